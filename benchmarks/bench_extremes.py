"""Size extremes: does time stay within a small factor of linear?

    python benchmarks/bench_extremes.py [--big-mb 50] [--tiny 1000000] [--malformed 100000]

Each case runs at two sizes, the second ten times the first, one run each, and reports
the time ratio (10 is linear): one single-line document of 5 and 50 MB; 100k and 1M tiny
documents; JSONL with 10k and 100k malformed lines (every other line) under ``--on-error
skip``. Also an empty file, which must stop at once with "empty corpus". Every run is
``--workers 2 --no-langid``, wall time including Python start-up; the inputs are
generated into a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import ONE_THREAD, Section, timed_clean

WORDS_TEXT = "die der und Regierung Stadt Bericht sagte am Montag nach einem Jahr mit neuen Zahlen"
OPTIONS = ["--workers", "2", "--no-langid"]


def big_line(folder: Path, megabytes: int) -> Path:
    rng = random.Random(megabytes)
    path = folder / f"line-{megabytes}mb.txt"
    with open(path, "w", encoding="utf-8") as handle:
        written = 0
        while written < megabytes * 1_000_000:
            chunk = " ".join(rng.choices(WORDS_TEXT.split(), k=10_000)) + " "
            handle.write(chunk)
            written += len(chunk.encode())
    return path


def tiny(folder: Path, documents: int) -> Path:
    path = folder / f"tiny-{documents}.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(documents):
            handle.write(json.dumps({"id": f"t{n}", "text": f"Kurz {n}."}) + "\n")
    return path


def malformed(folder: Path, bad: int) -> Path:
    path = folder / f"malformed-{bad}.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(bad):
            handle.write(json.dumps({"id": f"m{n}", "text": f"Ein kurzer Text Nummer {n} mit Inhalt."}) + "\n")
            handle.write('{"id": "broken' + str(n) + '", "text": \n')
    return path


def empty_corpus(folder: Path) -> tuple[float, int, str]:
    """Seconds, exit code and the last of stderr of a run on one empty file."""
    empty = folder / "empty"
    empty.mkdir()
    (empty / "nothing.jsonl").write_text("")
    command = [sys.executable, "-m", "dqkit", "clean", str(empty), "-o", str(folder / "out"), "-q", *OPTIONS]
    started = time.perf_counter()
    done = subprocess.run(command, env={**os.environ, **ONE_THREAD}, capture_output=True, text=True)
    return time.perf_counter() - started, done.returncode, done.stderr.strip()[-200:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big-mb", type=int, default=50)
    parser.add_argument("--tiny", type=int, default=1_000_000)
    parser.add_argument("--malformed", type=int, default=100_000)
    args = parser.parse_args()
    section = Section("bench_extremes", "Size extremes", timing=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = [
            # beyond the default --max-record-bytes: raised, so that the document is cleaned
            ("one single-line document", "MB", args.big_mb, big_line, ["--max-record-bytes", str((args.big_mb + 1) << 20)]),
            ("tiny documents", "documents", args.tiny, tiny, []),
            (
                "malformed JSONL lines, --on-error skip",
                "malformed lines",
                args.malformed,
                malformed,
                ["--on-error", "skip"],
            ),
        ]
        for name, unit, large, make, extra in cases:
            row, times = [name], []
            for size in (large // 10, large):
                path = make(folder, size)
                seconds = timed_clean(path, folder / "out", [*OPTIONS, *extra])["seconds"]
                path.unlink()
                times.append(seconds)
                row += [f"{size:,} {unit}", f"{seconds:.1f}"]
                print(f"{name} {size:,} {unit}: {seconds:.1f} s", flush=True)
            rows.append([*row, f"{times[1] / times[0]:.1f}"])
        seconds, code, message = empty_corpus(folder)
    section.text("One run per size (a ratio of 10 is linear).")
    section.table(["case", "smaller", "seconds", "larger", "seconds", "time ratio"], rows)
    section.text(f"An empty file: exit {code} after {seconds:.1f} s with `{message}`.")
    section.write()


if __name__ == "__main__":
    main()
