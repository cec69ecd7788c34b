from contextlib import contextmanager


@contextmanager
def twice():
    yield 1
    print("second yield")
    yield 2


try:
    with twice() as v:
        print("body", v)
except RuntimeError as e:
    print("RuntimeError:", e)
