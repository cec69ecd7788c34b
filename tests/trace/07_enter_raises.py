class Locked:
    def __enter__(self):
        raise PermissionError("locked")

    def __exit__(self, *a):
        print("never runs")


try:
    with Locked():
        print("never runs either")
except PermissionError as e:
    print("caught", e)
