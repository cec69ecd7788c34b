class Scope:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        print("open", self.name)

    def __exit__(self, *exc):
        print("close", self.name)


def numbers():
    with Scope("gen"):
        yield 1
        yield 2


for n in numbers():
    print("got", n)
