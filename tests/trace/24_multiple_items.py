class M:
    def __init__(self, n):
        self.n = n

    def __enter__(self):
        print("enter", self.n)
        return self.n

    def __exit__(self, exc_type, exc, tb):
        print("exit", self.n, exc_type.__name__ if exc_type else None)
        return self.n == 1


with M(1) as a, M(2) as b, M(3) as c:
    print(a, b, c)
    raise ValueError("caught by the first")
print("after")
