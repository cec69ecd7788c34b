from contextlib import contextmanager


@contextmanager
def tag(name):
    print(f"<{name}>")
    yield name
    print(f"</{name}>")


with tag("p") as t:
    print("text in", t)
