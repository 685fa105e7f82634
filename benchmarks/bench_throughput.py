"""Issue 17's speed and memory lines, this tree side by side with the tree before the work.

    python benchmarks/bench_throughput.py [--repeats 3] [--against 43a1cee]

``--against`` defaults to 43a1cee, the last commit before issue 17's speed work (its
outputs are those of the corpora of ``compare_outputs.py``). Its tree is exported with
``git archive`` (``compare_outputs.export_tree``) and run from there with ``PYTHONPATH``,
in the same virtual environment; every run is a fresh ``python -m dqkit clean`` process in
an empty folder (built-in rules, default options), timed from outside (wall, peak RSS by
``wait4``), runs of the two trees or the
two worker counts alternating. This tree's word-list cache (``DQKIT_CACHE_DIR``, a folder of
the benchmark's own) is warmed by one untimed run on each input first.

1. Reuters (21,578 stories, ``--text-field body --id-field newid``), ``--no-langid
   --workers 1``, pinned to one core with one polars thread: MB/s of the text field,
   peak RSS. Goal: at least 4 MB/s, with the same outputs as the tree before: every
   output file but timings.json of one run of each tree compared byte for byte; the cleaned
   corpus and its audit must be identical (rejects.* and the reports gained fields in
   issue 18, so those are listed as differing by design).
2. ``dqkit clean seeds/`` (five short articles, default options): wall seconds and peak
   RSS. Goal: at most 1.0 s and 200 MiB.
3. Reuters at default settings (language ID on, both cores, no pinning), ``--workers 2``
   against ``--workers 1``: the speed-up (median seconds of 1 over median seconds of 2),
   and the largest worker's peak RSS (timings.json ``peak_rss_mb.largest_worker``: each
   worker's own high-water mark, ``VmHWM``, which it reports with its shard; ``getrusage``
   would include the driver's memory at the moment the worker was started). Goals: at least 1.85 times and at most
   250 MiB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

from compare_outputs import differences, export_tree
from results import DATA, ROOT, Section, pin_to_one_core, read_jsonl, require, seconds_cell, timed_clean

REUTERS = DATA / "reuters21578-en-news" / "reuters21578.jsonl.gz"
REUTERS_OPTIONS = ["--text-field", "body", "--id-field", "newid"]
SEEDS = ROOT / "seeds"
GOAL_MB_S, GOAL_SEEDS_SECONDS, GOAL_SEEDS_MIB = 4.0, 1.0, 200
GOAL_SPEED_UP, GOAL_WORKER_MIB = 1.85, 250
# What the speed work may not change; rejects.* and the reports gained fields later (issue 18).
CORPUS_FILES = ("clean.jsonl", "clean.parquet", "edits.parquet")


def run(tree: Path, inputs: Path, args: list[str], workdir: Path, pin: bool = False, keep: bool = False) -> dict:
    """One timed ``dqkit clean`` with ``tree``'s dqkit, in an empty folder of ``workdir``."""
    out = workdir / "out"
    prefix = pin_to_one_core() if pin else []
    return timed_clean(inputs, out, args, prefix=prefix, keep_output=keep, env={"PYTHONPATH": str(tree)})


def alternate(trees: dict[str, Path], inputs: Path, args: list[str], repeats: int, workdir: Path, pin: bool):
    """``repeats`` runs of each tree, alternating; {label: [run, ...]}."""
    runs: dict[str, list[dict]] = {label: [] for label in trees}
    for _ in range(repeats):
        for label, tree in trees.items():
            runs[label].append(run(tree, inputs, args, workdir, pin))
            print(f"{inputs.name} {' '.join(args)} [{label}]: {runs[label][-1]['seconds']:.2f} s", flush=True)
    return runs


def same_outputs(trees: dict[str, Path], inputs: Path, args: list[str], workdir: Path) -> list[str]:
    """The output files that differ between one run of each of the two trees."""
    folders: list[Path] = []
    for tree in trees.values():
        folder = workdir / f"outputs-{len(folders)}"
        run(tree, inputs, args, workdir, keep=True)
        (workdir / "out").rename(folder)
        folders.append(folder)
    return differences(*folders)


def median_mib(runs: list[dict]) -> float:
    """The median peak RSS of ``runs``: ``wait4``'s ru_maxrss is KiB, so /1024 is MiB already."""
    return statistics.median(r["peak_rss_mb"] for r in runs)


def one_core_part(section: Section, trees: dict[str, Path], repeats: int, workdir: Path) -> None:
    records = read_jsonl(REUTERS)
    megabytes = sum(len((r.get("body") or "").encode("utf-8")) for r in records) / 1e6
    args = [*REUTERS_OPTIONS, "--no-langid", "--workers", "1"]
    runs = alternate(trees, REUTERS, args, repeats, workdir, pin=True)
    section.heading("1. Reuters, one core, `--no-langid --workers 1`")
    rows, rates = [], {}
    for label, these in runs.items():
        seconds = statistics.median(r["seconds"] for r in these)
        rates[label] = megabytes / seconds
        stages = {
            stage: statistics.median(r["timings"]["shard_stage_seconds_summed"][stage] for r in these)
            for stage in these[0]["timings"]["shard_stage_seconds_summed"]
        }
        top = ", ".join(f"{stage} {stages[stage]:.2f}" for stage in sorted(stages, key=lambda s: -stages[s])[:5])
        rss = f"{median_mib(these):.0f}"
        rows.append([label, seconds_cell([r["seconds"] for r in these]), f"{rates[label]:.2f}", rss, top])
    section.table(["tree", "seconds", "MB/s", "peak RSS MiB", "slowest shard stages, seconds (median)"], rows)
    before, this = list(runs)
    section.text(
        f"Speed-up: {rates[this] / rates[before]:.2f}× ({megabytes:.1f} MB of text, {len(records):,} stories)."
    )
    found = same_outputs(trees, REUTERS, args, workdir)
    corpus = [f for f in found if f.split(":")[0] in CORPUS_FILES]
    others = [f for f in found if f not in corpus]
    section.text(
        "Outputs, one run of each tree: the cleaned corpus and its audit (clean.*, edits.parquet) "
        + ("byte-identical" if not corpus else "DIFFERENT: " + "; ".join(corpus))
        + (
            f"; differing by design: {'; '.join(others)} (issue 18 added fields to rejects.* and the reports)."
            if others
            else "; every other file (but timings.json) byte-identical too."
        )
    )
    section.goal(
        f"≥ {GOAL_MB_S:g} MB/s with the same cleaned corpus and audit",
        f"{rates[this]:.2f} MB/s, corpus and audit {'identical' if not corpus else 'different'}",
        rates[this] >= GOAL_MB_S and not corpus,
    )


def seeds_part(section: Section, trees: dict[str, Path], repeats: int, workdir: Path) -> None:
    runs = alternate(trees, SEEDS, [], repeats, workdir, pin=False)
    section.heading("2. `dqkit clean seeds/`, default options")
    rows = []
    for label, these in runs.items():
        rows.append([label, seconds_cell([r["seconds"] for r in these]), f"{median_mib(these):.0f}"])
    section.table(["tree", "seconds", "peak RSS MiB"], rows)
    this = runs[list(runs)[-1]]
    seconds, mib = statistics.median(r["seconds"] for r in this), median_mib(this)
    section.goal(
        f"≤ {GOAL_SEEDS_SECONDS:g} s and ≤ {GOAL_SEEDS_MIB} MiB",
        f"{seconds:.2f} s, {mib:.0f} MiB",
        seconds <= GOAL_SEEDS_SECONDS and mib <= GOAL_SEEDS_MIB,
    )


def workers_part(section: Section, tree: Path, repeats: int, workdir: Path) -> None:
    runs: dict[int, list[dict]] = {1: [], 2: []}
    for _ in range(repeats):
        for workers in runs:
            runs[workers].append(run(tree, REUTERS, [*REUTERS_OPTIONS, "--workers", str(workers)], workdir))
            print(f"Reuters default --workers {workers}: {runs[workers][-1]['seconds']:.1f} s", flush=True)
    section.heading("3. Reuters at default settings (language ID on, both cores), this tree")
    rows = []
    for workers, these in runs.items():
        # timings.json's peak_rss_mb: MiB, each process's own VmHWM (getrusage would count the
        # driver's memory at the moment it started a worker, dqkit/peak_memory.py)
        worker_mib = statistics.median(r["timings"]["peak_rss_mb"]["largest_worker"] for r in these)
        driver_mib = statistics.median(r["timings"]["peak_rss_mb"]["driver"] for r in these)
        shards = these[0]["timings"]["shards"]
        rows.append([f"--workers {workers}", seconds_cell([r["seconds"] for r in these]), shards, f"{driver_mib:.0f}"])
        rows[-1].append(f"{worker_mib:.0f}" if workers > 1 else "(in the driver)")
    section.table(["run", "seconds", "shards", "driver peak RSS MiB", "largest worker peak RSS MiB"], rows)
    speed_up = statistics.median(r["seconds"] for r in runs[1]) / statistics.median(r["seconds"] for r in runs[2])
    worker_mib = statistics.median(r["timings"]["peak_rss_mb"]["largest_worker"] for r in runs[2])
    section.goal(f"`--workers 2` ≥ {GOAL_SPEED_UP}× `--workers 1`", f"{speed_up:.2f}×", speed_up >= GOAL_SPEED_UP)
    section.goal(f"peak RSS per worker ≤ {GOAL_WORKER_MIB} MiB", f"{worker_mib:.0f} MiB", worker_mib <= GOAL_WORKER_MIB)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--against", default="43a1cee", help="the commit before the speed work")
    parser.add_argument("--parts", default="1,2,3", help="which parts to run, e.g. 1,3")
    args = parser.parse_args()
    require(REUTERS)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", args.against], check=True, capture_output=True, text=True
    ).stdout.strip()
    trees = {f"`{commit}` (before)": export_tree(commit), "this tree": ROOT}
    section = Section("bench_throughput", "Throughput, start-up and memory (issue 17)", timing=True)
    parts = {int(p) for p in args.parts.split(",")}
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # no dqkit.toml of the current folder applies
        # A word-list cache of the benchmark's own, warmed by one untimed run of each input:
        # the timed runs are those of a user's second run (a first run builds a list in ~0.1 s).
        os.environ["DQKIT_CACHE_DIR"] = str(Path(tmp) / "cache")
        for inputs, options in ((SEEDS, []), (REUTERS, [*REUTERS_OPTIONS, "--no-langid"])):
            run(ROOT, inputs, options, Path(tmp))
        section.text("Word-list cache warm (one untimed run of this tree on each input first).")
        if 1 in parts:
            one_core_part(section, trees, args.repeats, Path(tmp))
        if 2 in parts:
            seeds_part(section, trees, args.repeats, Path(tmp))
        if 3 in parts:
            workers_part(section, ROOT, args.repeats, Path(tmp))
    section.write()


if __name__ == "__main__":
    main()
