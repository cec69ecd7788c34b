class OnlyEnter:
    def __enter__(self):
        return self


for bad in (42, OnlyEnter()):
    try:
        with bad:
            pass
    except TypeError as e:
        print("TypeError:", e)
