from contextlib import ExitStack


class Conn:
    def __init__(self, n):
        self.n = n

    def __enter__(self):
        print("connect", self.n)
        return self

    def __exit__(self, *exc):
        print("disconnect", self.n)


with ExitStack() as stack:
    conns = [stack.enter_context(Conn(i)) for i in range(2)]
    keep = stack.pop_all()
print("the with ended; connections still open")
keep.close()
print("closed later")
