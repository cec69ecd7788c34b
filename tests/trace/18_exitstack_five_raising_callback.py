from contextlib import ExitStack


class Res:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        print("enter", self.name)
        return self.name

    def __exit__(self, exc_type, exc, tb):
        print("exit", self.name, repr(exc))
        return False


def boom():
    print("callback boom runs")
    raise RuntimeError("boom")


try:
    with ExitStack() as stack:
        stack.enter_context(Res("a"))
        stack.callback(print, "callback 2")
        stack.callback(boom)
        stack.enter_context(Res("d"))
        stack.callback(print, "callback 5")
        print("body done")
except RuntimeError as e:
    print("caught", repr(e), "context", repr(e.__context__))
