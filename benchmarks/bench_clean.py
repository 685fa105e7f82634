"""Throughput of ``dqkit clean`` on real corpora, one core, median of N runs.

    python benchmarks/bench_clean.py [--repeats 3] [--out benchmarks/RESULTS.md]

Each run is a fresh ``python -m dqkit clean`` process pinned to one CPU (taskset) with
polars limited to one thread; wall time and peak RSS (``wait4``) are measured from
outside, per-stage seconds come from the run's timings.json. MB/s counts the UTF-8
bytes of the text field. The corpora are read from ../shared/data and never copied; the
script exits with a message when they are absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import statistics
import tempfile
from pathlib import Path

from results import replace_section, timed_clean

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CORPORA = {
    "reuters21578": (DATA / "reuters21578-en-news" / "reuters21578.jsonl.gz", ["--text-field", "body", "--id-field", "newid"], "body"),
    "dewikinews": (DATA / "german-news-human" / "dewikinews_1k.jsonl.gz", [], "text"),
}
MODES = {"with language ID": [], "without language ID": ["--no-langid"]}


def corpus_size(path: Path, field: str) -> tuple[int, int]:
    docs = size = 0
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                docs += 1
                size += len((json.loads(line).get(field) or "").encode("utf-8"))
    return docs, size


def run_once(path: Path, extra: list[str], workdir: Path) -> dict:
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    result = timed_clean(path, workdir / "out", ["--workers", "1", *extra], prefix=pin)
    timings = result.pop("timings")
    return {**result, "stages": {**timings["shard_stage_seconds_summed"], **timings["seconds"]}}


def median_stages(runs: list[dict]) -> dict:
    names = runs[0]["stages"].keys()
    return {name: statistics.median(r["stages"][name] for r in runs) for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    args = parser.parse_args()
    missing = [str(p) for p, _, _ in CORPORA.values() if not p.exists()]
    if missing:
        raise SystemExit(f"evaluation data not found ({', '.join(missing)}): nothing measured")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (path, fields, text_field) in CORPORA.items():
            docs, size = corpus_size(path, text_field)
            for mode, extra in MODES.items():
                runs = [run_once(path, fields + extra, Path(tmp)) for _ in range(args.repeats)]
                seconds = statistics.median(r["seconds"] for r in runs)
                rows.append({
                    "corpus": name, "mode": mode, "docs": docs, "mb": size / 1e6, "seconds": seconds,
                    "spread": (min(r["seconds"] for r in runs), max(r["seconds"] for r in runs)),
                    "docs_per_s": docs / seconds, "mb_per_s": size / 1e6 / seconds,
                    "rss": statistics.median(r["peak_rss_mb"] for r in runs), "stages": median_stages(runs),
                })
                print(f"{name:13} {mode:20} {docs / seconds:8,.0f} docs/s  {size / 1e6 / seconds:6.2f} MB/s  "
                      f"{rows[-1]['rss']:6.0f} MB", flush=True)
    write_results(args.out, rows, args.repeats)


def write_results(path: Path, rows: list[dict], repeats: int) -> None:
    import polars

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else "?"
    lines = [
        "## dqkit clean: throughput on one core",
        "",
        f"Command: `python benchmarks/bench_clean.py --repeats {repeats}` (each run a fresh "
        "`python -m dqkit clean --workers 1` pinned with `taskset -c 0`, `POLARS_MAX_THREADS=1`; median of "
        f"{repeats} runs, min–max in brackets; peak RSS of the process).",
        f"Machine: {cpu}, {os.cpu_count()} cores (one used); Python {platform.python_version()}, "
        f"polars {polars.__version__}. The machine is shared: expect ±10–25 % between runs.",
        "",
        "| corpus | mode | docs | MB | seconds | docs/s | MB/s | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['corpus']} | {r['mode']} | {r['docs']:,} | {r['mb']:.1f} | {r['seconds']:.2f} "
                     f"[{r['spread'][0]:.2f}–{r['spread'][1]:.2f}] | {r['docs_per_s']:,.0f} | "
                     f"{r['mb_per_s']:.2f} | {r['rss']:.0f} |")
    lines += ["", "Median seconds per stage (from timings.json: the shard stages summed over the shards, then "
              "the driver's phases; `total` excludes interpreter start-up and imports, which the wall time "
              "above includes):", "",
              "| corpus | mode | " + " | ".join(rows[0]["stages"]) + " |",
              "|---|---|" + "---:|" * len(rows[0]["stages"])]
    for r in rows:
        lines.append(f"| {r['corpus']} | {r['mode']} | " + " | ".join(f"{v:.2f}" for v in r["stages"].values()) + " |")
    replace_section(path, "bench_clean", "\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
