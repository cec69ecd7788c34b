from contextlib import contextmanager


@contextmanager
def ignoring(kind):
    try:
        yield
    except kind as e:
        print("ignored", repr(e))


with ignoring(ZeroDivisionError):
    print(1 / 0)
print("went on")
