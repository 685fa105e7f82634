"""Progress on stderr for long runs: one line per stage, a bar for per-document loops.

Silent when stderr is not a terminal (CI logs, pipes) or with ``--quiet``.
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, enabled: bool, stream=None, warnings: bool = True):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.warnings = warnings  # warn() writes even when stderr is not a terminal
        self._started = 0.0
        self._last_draw = 0.0

    @classmethod
    def for_terminal(cls, quiet: bool) -> Progress:
        return cls(enabled=not quiet and sys.stderr.isatty(), warnings=not quiet)

    def warn(self, message: str) -> None:
        """One line that the user should see (also in CI logs), unless ``--quiet``."""
        if self.warnings:
            self.stream.write(f"dqkit: warning: {message}\n")
            self.stream.flush()

    def stage(self, label: str) -> None:
        self._last_draw = 0.0
        self._started = time.perf_counter()
        if self.enabled:
            self.stream.write(f"{label} ...\n")
            self.stream.flush()

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
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
