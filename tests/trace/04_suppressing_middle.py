class Level:
    def __init__(self, n, swallow=False):
        self.n = n
        self.swallow = swallow

    def __enter__(self):
        return self.n

    def __exit__(self, exc_type, exc, tb):
        print("exit", self.n, repr(exc))
        return self.swallow


with Level(1) as a:
    with Level(2, swallow=True) as b:
        with Level(3) as c:
            raise KeyError("lost")
    print("the middle one swallowed it", a, b, c)
