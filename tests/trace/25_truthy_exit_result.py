class Answer:
    def __init__(self, result):
        self.result = result

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.result


for result in (1, "yes", [], None, 0.0):
    try:
        with Answer(result):
            raise ArithmeticError(repr(result))
        print(repr(result), "suppressed")
    except ArithmeticError:
        print(repr(result), "propagated")
