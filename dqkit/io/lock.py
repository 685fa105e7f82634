"""One run at a time: an exclusive lock on a file, held for as long as the run lasts.

:class:`FileLock` takes ``fcntl.flock`` on an open lock file without waiting and writes
the holder's pid into it; a second taker is refused at once with the error its caller
chose, naming that pid. The kernel releases a flock when the process ends, however it
ends (even SIGKILL), so a lock is never stale: a file left by a killed run is simply
taken by the next one. A run that ends normally removes the file.

>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "x.lock"
>>> with FileLock(path, lambda pid: RuntimeError(f"busy: {pid}")):
...     try:
...         FileLock(path, lambda pid: RuntimeError(f"busy: {pid}")).__enter__()
...     except RuntimeError as exc:
...         print(str(exc) == f"busy: {os.getpid()}")
True
>>> path.exists()
False
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path


class FileLock:
    """``with FileLock(path, refuse):`` holds ``path`` exclusively; ``refuse(holder_pid)``
    is the exception raised when another process holds it."""

    def __init__(self, path: Path, refuse: Callable[[str], BaseException]):
        self.path = path
        self.refuse = refuse
        self._fd: int | None = None

    def __enter__(self) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
                os.close(fd)
                raise self.refuse(holder) from None
            # The last holder removes the file on release: if it did so between our open and
            # our flock, we hold a file nobody else will open; take the new one instead.
            try:
                current = os.stat(self.path)
            except FileNotFoundError:
                current = None
            mine = os.fstat(fd)
            if current is not None and (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino):
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)  # while still held, so that no one takes the old file
        os.close(self._fd)
        self._fd = None
