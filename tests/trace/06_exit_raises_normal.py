class Faulty:
    def __enter__(self):
        return 1

    def __exit__(self, exc_type, exc, tb):
        raise OSError("flush failed")


try:
    with Faulty() as one:
        print("body ran", one)
except OSError as e:
    print("got", e)
