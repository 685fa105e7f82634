"""Signals and worker processes: a run stops when asked, and takes its workers with it.

In the driver, :func:`stop_on_signals` turns SIGINT and SIGTERM into :class:`Interrupted`
(raised in the main thread, once: a second signal while stopping is ignored); the run
then stops its workers, keeps the finished shards for ``--resume`` and the command line
prints one line and exits 130 or 143.

Worker processes are started with SIGINT and SIGTERM blocked (:func:`signals_blocked`
around the spawn: a signal mask survives fork and exec), and :func:`worker_init` then
ignores SIGINT, so that Ctrl-C, which the terminal sends to the whole process group, is
handled by the driver alone, which then ends the workers. A worker also dies with the
driver, even when the driver is killed with SIGKILL: on Linux through
``PR_SET_PDEATHSIG``, elsewhere (and as a second line of defence) by a thread that polls
its parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_PR_SET_PDEATHSIG = 1


class Interrupted(BaseException):
    """The run was stopped by a signal (a BaseException, like KeyboardInterrupt, so that no
    ``except Exception`` takes it for an error of the data)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.shards: tuple[int, int] | None = None  # (done, planned), once the shards are planned

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def message(self) -> str:
        name = signal.Signals(self.signum).name
        if self.shards is None:
            return f"dqkit: interrupted ({name}) before any shard was planned; the output folder was not changed"
        done, planned = self.shards
        return f"dqkit: interrupted ({name}): {done} of {planned} shards done; run again with --resume to continue"


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        for number in STOP_SIGNALS:  # stopping takes a moment: a second signal must not cut it short
            signal.signal(number, signal.SIG_IGN)
        raise Interrupted(signum)

    previous = {number: signal.signal(number, handler) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


@contextlib.contextmanager
def signals_blocked() -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread (and in the processes it starts meanwhile);
    a signal that arrives in the block is delivered when it ends."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def worker_init(parent: int) -> None:
    """The first thing a worker process does (it starts with SIGINT and SIGTERM blocked)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the driver handles it
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the driver died before the line above
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="dqkit-parent-watch").start()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # SIGTERM ends a worker as usual


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
