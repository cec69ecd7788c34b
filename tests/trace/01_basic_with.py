class Resource:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        print("open", self.name)
        return self.name.upper()

    def __exit__(self, exc_type, exc, tb):
        print("close", self.name)
        return False


with Resource("db") as handle:
    print("using", handle)
print("after")
