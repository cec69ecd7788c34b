from contextlib import contextmanager


@contextmanager
def empty():
    if False:
        yield
    print("returned without yielding")


try:
    with empty():
        print("never")
except RuntimeError as e:
    print("RuntimeError:", e)
