# A task cancelled inside three nested async withs: the three __aexit__
# run innermost first, each seeing CancelledError, which propagates.
import asyncio


class Level:
    def __init__(self, name):
        self.name = name

    async def __aenter__(self):
        return self.name

    async def __aexit__(self, t, v, tb):
        print("exit", self.name, t.__name__ if t else None)
        return False


async def worker(started):
    async with Level("a"):
        async with Level("b"):
            async with Level("c"):
                started.set()
                await asyncio.sleep(10)


async def main():
    started = asyncio.Event()
    task = asyncio.create_task(worker(started))
    await started.wait()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("worker cancelled:", task.cancelled())


asyncio.run(main())
