"""The peak resident memory of this process, its own.

``getrusage`` is no good for that on Linux: a process started by fork and exec begins with
its parent's high-water mark (the kernel keeps it across exec), so a worker spawned by a
driver of 300 MiB reports at least 300 MiB however little it uses. ``VmHWM`` in
``/proc/self/status`` is the high-water mark of this process's own memory map, which exec
starts afresh. Elsewhere ``getrusage`` is the best there is.

>>> own_peak_rss_mb() > 0
True
"""

from __future__ import annotations

import resource
import sys


def own_peak_rss_mb() -> float:
    """Peak resident set size of this process since it started (its program), MiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        pass
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale, 1)
