from contextlib import contextmanager


@contextmanager
def stubborn():
    try:
        yield "first"
    except ValueError:
        print("caught, yielding again")
        yield "second"


try:
    with stubborn():
        raise ValueError("x")
except RuntimeError as e:
    print("RuntimeError:", e, "| context:", repr(e.__context__))
