"""Size extremes: does time stay within a small factor of linear?

    python benchmarks/bench_extremes.py [--big-mb 50] [--tiny 1000000] [--malformed 100000]

Each case runs at two sizes, the second ten times the first, and reports the time ratio
(10 is linear): one single-line document of 5 and 50 MB; 100k and 1M tiny documents;
JSONL with 10k and 100k malformed lines (every other line) under ``--on-error skip``.
Also an empty file (must stop at once with "empty corpus"). ``--workers 2 --no-langid``;
inputs are generated into a temporary folder. Writes the ``bench_extremes`` section of
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import replace_section

ROOT = Path(__file__).resolve().parent.parent
WORDS = "die der und Regierung Stadt Bericht sagte am Montag nach einem Jahr mit neuen Zahlen".split()


def run(inputs: Path, out: Path, *extra: str) -> tuple[float, int, str]:
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "POLARS_MAX_THREADS": "1"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "dqkit", "clean", str(inputs), "-o", str(out), "-q",
                           "--workers", "2", "--no-langid", *extra], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return seconds, done.returncode, done.stderr.strip()[-200:]


def big_line(folder: Path, megabytes: int) -> Path:
    rng = random.Random(megabytes)
    path = folder / f"line-{megabytes}mb.txt"
    with open(path, "w", encoding="utf-8") as handle:
        written = 0
        while written < megabytes * 1_000_000:
            chunk = " ".join(rng.choices(WORDS, k=10_000)) + " "
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big-mb", type=int, default=50)
    parser.add_argument("--tiny", type=int, default=1_000_000)
    parser.add_argument("--malformed", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = [
            ("one single-line document", "MB", args.big_mb, lambda n: big_line(tmp, n), ()),
            ("tiny documents", "documents", args.tiny, lambda n: tiny(tmp, n), ()),
            ("malformed JSONL lines, --on-error skip", "malformed lines", args.malformed,
             lambda n: malformed(tmp, n), ("--on-error", "skip")),
        ]
        for name, unit, large, make, extra in cases:
            timings = []
            for size in (large // 10, large):
                path = make(size)
                seconds, code, err = run(path, tmp / "out", *extra)
                if code != 0:
                    raise SystemExit(f"{name} {size}: exit {code}: {err}")
                timings.append((size, seconds))
                path.unlink()
                print(f"{name} {size:,} {unit}: {seconds:.1f} s", flush=True)
            rows.append((name, unit, timings))
        empty = tmp / "empty"
        empty.mkdir()
        (empty / "nothing.jsonl").write_text("")
        seconds, code, err = run(empty, tmp / "out")
        print(f"empty file: exit {code} in {seconds:.1f} s: {err}")
    lines = ["## Size extremes", "",
             f"Command: `python benchmarks/bench_extremes.py --big-mb {args.big_mb} --tiny {args.tiny} "
             f"--malformed {args.malformed}` (one run each, `--workers 2 --no-langid`, wall time including "
             "Python start-up; a ratio of 10 is linear).", "",
             "| case | smaller | seconds | larger | seconds | time ratio |", "|---|---:|---:|---:|---:|---:|"]
    for name, unit, ((small, t_small), (big, t_big)) in rows:
        lines.append(f"| {name} | {small:,} {unit} | {t_small:.1f} | {big:,} {unit} | {t_big:.1f} | "
                     f"{t_big / t_small:.1f} |")
    lines += ["", f"An empty file: exit {code} after {seconds:.1f} s with `{err}`.", ""]
    replace_section(args.out, "bench_extremes", "\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
