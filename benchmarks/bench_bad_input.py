"""How soon a misspelt field stops a run (issue 18): Reuters with a text field and an id field
that its records do not have.

    python benchmarks/bench_bad_input.py [--repeats 5]

Each run is a fresh ``python -m dqkit clean`` process (wall time from outside, median of
``--repeats``); the run must fail with exit 1 and name the file, the line and the fields the
record has. Goal: under 2 seconds for the missing text field.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import DATA, Section, require

REUTERS = DATA / "reuters21578-en-news" / "reuters21578.jsonl.gz"
CASES = {
    "missing text field (`--text-field bdoy`)": (["--text-field", "bdoy"], "text field 'bdoy' is missing"),
    "missing id field (`--text-field body --id-field nwid`)": (
        ["--text-field", "body", "--id-field", "nwid"],
        "id field 'nwid' is missing",
    ),
}
GOAL_SECONDS = 2.0


def failed_run(args: list[str], out: Path) -> tuple[float, str]:
    """Wall seconds and the error line of one run that must fail with exit 1."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "dqkit", "clean", str(REUTERS), "-o", str(out), "-q", *args],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 1:
        raise SystemExit(f"expected exit 1, got {done.returncode}: {done.stderr}")
    return seconds, done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    require(REUTERS)
    section = Section("bench_bad_input", "A misspelt field stops the run up front (issue 18)", timing=True)
    rows, text_seconds = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for label, (options, expected) in CASES.items():
            runs = [failed_run(options, Path(tmp) / "out") for _ in range(args.repeats)]
            message = runs[0][1]
            if expected not in message or f"{REUTERS}:1:" not in message or "fields present: body" not in message:
                raise SystemExit(f"the error does not name the file, line and fields: {message}")
            seconds = statistics.median(s for s, _ in runs)
            text_seconds = text_seconds or seconds
            rows.append([label, message.replace(str(REUTERS), "reuters21578.jsonl.gz"), f"{seconds:.2f}"])
    section.table("input | message | seconds (median)", rows, left=2)
    section.goal(f"missing text field fails in < {GOAL_SECONDS:g} s", f"{text_seconds:.2f} s", text_seconds < GOAL_SECONDS)
    section.write()


if __name__ == "__main__":
    main()
