class Level:
    def __init__(self, n):
        self.n = n

    def __enter__(self):
        print("enter", self.n)
        return self

    def __exit__(self, exc_type, exc, tb):
        print("exit", self.n, exc_type.__name__ if exc_type else None)


try:
    with Level(1):
        with Level(2):
            with Level(3):
                raise ValueError("deep")
except ValueError as e:
    print("caught", e)
