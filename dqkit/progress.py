"""Progress on stderr for long runs: one line per stage, a bar for per-document loops.

Silent when stderr is not a terminal (CI logs, pipes) or with ``--quiet``; a
:meth:`~Progress.note` (something the user should know, such as a broken shard redone
on resume) is printed anyway, unless ``--quiet``.
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, enabled: bool, stream=None, notes: bool = False):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.notes = notes or enabled
        self._started = 0.0
        self._last_draw = 0.0
        self._mid_line = False  # a bar is drawn and its line not ended

    @classmethod
    def for_terminal(cls, quiet: bool) -> Progress:
        return cls(enabled=not quiet and sys.stderr.isatty(), notes=not quiet)

    def warn(self, message: str) -> None:
        """A warning line (shown like :meth:`note`, terminal or not, unless ``--quiet``)."""
        self.note(f"warning: {message}")

    def stage(self, label: str) -> None:
        self._last_draw = 0.0
        self._started = time.perf_counter()
        if self.enabled:
            self.end_line()
            self.stream.write(f"{label} ...\n")
            self.stream.flush()

    def note(self, text: str) -> None:
        """One line that is shown whenever output is not ``--quiet``, terminal or not."""
        if self.notes:
            self.end_line()
            self.stream.write(f"dqkit: {text}\n")
            self.stream.flush()

    def end_line(self) -> None:
        """End a bar's line, so that what follows starts on a line of its own."""
        if self._mid_line:
            self.stream.write("\n")
            self.stream.flush()
            self._mid_line = False

    def advance(self, done: int, total: int) -> None:
        """Draw the bar of the current stage (throttled to ~10 updates a second)."""
        if not self.enabled or total <= 0:
            return
        now = time.perf_counter()
        if done < total and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        elapsed = max(now - self._started, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 else 0
        filled = int(30 * done / total)
        self.stream.write(
            f"\r  [{'#' * filled}{' ' * (30 - filled)}] {done}/{total} "
            f"{rate:,.0f} docs/s ETA {int(eta) // 60}:{int(eta) % 60:02d}   "
        )
        self._mid_line = done < total
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
