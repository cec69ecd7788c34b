from contextlib import contextmanager


class AppError(Exception):
    pass


@contextmanager
def translating():
    try:
        yield
    except KeyError as e:
        raise AppError(f"no such key {e}")


try:
    with translating():
        {}["x"]
except AppError as e:
    print("AppError:", e, "| context:", repr(e.__context__))
