from contextlib import contextmanager


@contextmanager
def passthrough():
    yield


try:
    with passthrough():
        raise StopIteration("from the body")
except StopIteration as e:
    print("StopIteration kept:", e)
