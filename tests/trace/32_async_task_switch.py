# Two tasks take turns inside their managers: the trace shows each task
# suspending and resuming while a manager is open, at its own depth.
import asyncio


class Held:
    def __init__(self, name):
        self.name = name

    async def __aenter__(self):
        print("hold", self.name)
        return self

    async def __aexit__(self, t, v, tb):
        print("release", self.name)
        return False


async def worker(name):
    async with Held(name):
        await asyncio.sleep(0)
        print(name, "working")


async def main():
    await asyncio.gather(worker("a"), worker("b"))


asyncio.run(main())
