class Faulty:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        raise RuntimeError("cleanup failed")


try:
    with Faulty():
        raise ValueError("original")
except RuntimeError as e:
    print("got", repr(e), "context", repr(e.__context__))
