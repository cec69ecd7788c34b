class Inner:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        raise TypeError("inner exit failed")


class Outer:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        print("outer saw", repr(exc), "whose context is", repr(exc.__context__))
        return True


with Outer():
    with Inner():
        raise KeyError("start")
print("outer swallowed the chain")
