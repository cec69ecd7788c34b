from contextlib import contextmanager


@contextmanager
def logged(name):
    try:
        yield
    except Exception as e:
        print(name, "saw", repr(e))
        raise


try:
    with logged("job"):
        raise LookupError("missing")
except LookupError as e:
    print("caller got", repr(e))
