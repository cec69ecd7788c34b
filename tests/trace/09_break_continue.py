class Step:
    def __init__(self, i):
        self.i = i

    def __enter__(self):
        return self.i

    def __exit__(self, *exc):
        print("exit", self.i, exc)


for i in range(4):
    with Step(i) as n:
        if n == 1:
            continue
        if n == 2:
            break
        print("body", n)
print("loop done")
