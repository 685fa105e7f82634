"""A worker's peak memory is its own, not its parent's at the moment it was started."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

CHILD = (
    "import json, resource; from dqkit.peak_memory import own_peak_rss_mb; "
    "print(json.dumps([own_peak_rss_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))"
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmHWM is Linux's")
def test_a_child_of_a_large_process_reports_its_own_peak():
    held = np.ones(300 * 2**20 // 8)  # the parent holds 300 MiB when it starts the child
    held[::512] = 2.0  # touched: resident
    own, rusage = json.loads(subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                                            check=True).stdout)
    assert rusage > 300  # what getrusage says: the parent's high-water mark, carried over
    assert 5 < own < 150  # an interpreter with dqkit.peak_memory imported
    del held
