"""Each benchmark script owns one section of RESULTS.md, between two marker comments;
re-running a script replaces its section and leaves the rest (other sections, notes) alone.
:func:`timed_clean` is the one way the scripts time a ``dqkit clean`` run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ONE_THREAD = {"POLARS_MAX_THREADS": "1", "RAYON_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def timed_clean(inputs: Path, out: Path, args: list[str], prefix: list[str] = ()) -> dict:
    """Run ``[prefix] python -m dqkit clean INPUTS -o OUT -q ARGS`` in a fresh process with
    one polars thread; return wall seconds, peak RSS (``wait4``, MB) and its timings.json.
    OUT is removed before and after."""
    shutil.rmtree(out, ignore_errors=True)
    command = [*prefix, sys.executable, "-m", "dqkit", "clean", str(inputs), "-o", str(out), "-q", *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, env={**os.environ, **ONE_THREAD}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"dqkit failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    timings = json.loads((out / "timings.json").read_text())
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "timings": timings}


def replace_section(path: Path, name: str, body: str) -> None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# dqkit benchmark results\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
