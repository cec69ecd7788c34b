from contextlib import suppress, nullcontext, closing


class Thing:
    def close(self):
        print("Thing closed")


with suppress(IndexError, KeyError):
    [][1]
with nullcontext(5) as five:
    print("five", five)
with closing(Thing()):
    print("using thing")
