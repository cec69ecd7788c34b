class Guard:
    def __enter__(self):
        print("guard on")

    def __exit__(self, *exc):
        print("guard off", exc[0])


def find(items, wanted):
    with Guard():
        for x in items:
            if x == wanted:
                return x * 10
    return None


print(find([1, 2, 3], 2))
print(find([1], 5))
