"""afile for CPython: the reference the afile_*.wy golden outputs are made
with. The same API as withy's C module (stdlib/afile.c), written over the
builtin open() and asyncio.to_thread, the way aiofiles works:

    PYTHONPATH=tests/shims python3.11 tests/scripts/afile_X.wy > tests/scripts/afile_X.out
"""
import asyncio
import builtins
from io import UnsupportedOperation

__all__ = ["open", "AsyncFile", "UnsupportedOperation"]


class AsyncFile:
    """A file whose blocking operations run on a worker thread."""

    def __init__(self, raw):
        self._raw = raw
        self.name = raw.name

    @property
    def closed(self):
        return self._raw.closed

    @property
    def mode(self):
        return self._raw.mode

    def __repr__(self):
        return f"<afile.AsyncFile name={self.name!r} mode={self.mode!r}>"

    async def read(self, size=-1):
        return await asyncio.to_thread(self._raw.read, size)

    async def readline(self, size=-1):
        return await asyncio.to_thread(self._raw.readline, size)

    async def readlines(self):
        return await asyncio.to_thread(self._raw.readlines)

    async def write(self, data):
        return await asyncio.to_thread(self._raw.write, data)

    async def writelines(self, lines):
        return await asyncio.to_thread(self._raw.writelines, lines)

    async def seek(self, offset, whence=0):
        return await asyncio.to_thread(self._raw.seek, offset, whence)

    async def tell(self):
        return await asyncio.to_thread(self._raw.tell)

    async def flush(self):
        return await asyncio.to_thread(self._raw.flush)

    async def close(self):
        return await asyncio.to_thread(self._raw.close)

    def __aiter__(self):
        return self

    async def __anext__(self):
        line = await self.readline()
        if not line:
            raise StopAsyncIteration
        return line

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc, tb):
        await self.close()


class AFileContextManager:
    """What open() returns: awaitable, and an async context manager."""

    def __init__(self, file, mode, encoding):
        self._args = (file, mode, encoding)
        self._file = None

    async def _open(self):
        file, mode, encoding = self._args
        raw = await asyncio.to_thread(builtins.open, file, mode, encoding=encoding)
        return AsyncFile(raw)

    def __await__(self):
        return self._open().__await__()

    async def __aenter__(self):
        self._file = await self._open()
        return self._file

    async def __aexit__(self, exc_type, exc, tb):
        await self._file.close()


def open(file, mode="r", encoding=None):
    return AFileContextManager(file, mode, encoding)
