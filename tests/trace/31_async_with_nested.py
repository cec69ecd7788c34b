# async with, nested, an exception crossing two levels: the __aexit__
# awaits and their verdicts appear when the await finishes.
import asyncio


class Session:
    def __init__(self, name, suppress=False):
        self.name = name
        self.suppress = suppress

    async def __aenter__(self):
        await asyncio.sleep(0)
        print("open", self.name)
        return self.name.upper()

    async def __aexit__(self, t, v, tb):
        await asyncio.sleep(0)
        print("close", self.name, t.__name__ if t else None)
        return self.suppress


async def main():
    async with Session("outer", suppress=True) as o:
        async with Session("inner") as i:
            print("body", o, i)
            raise KeyError("lost")
    print("after")


asyncio.run(main())
