class Quiet:
    def __enter__(self):
        pass

    def __exit__(self, *args):
        pass


with Quiet():
    print("inside")
with Quiet() as q:
    print("q is", q)
