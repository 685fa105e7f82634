"""Throughput of ``dqkit clean`` on real corpora, one core, median of N runs.

    python benchmarks/bench_clean.py [--repeats 3]

Each run is a fresh ``python -m dqkit clean --workers 1`` process pinned to one CPU
(taskset) with polars limited to one thread; wall time and peak RSS (``wait4``) are
measured from outside, per-stage seconds come from the run's timings.json (the shard
stages summed over the shards, then the driver's phases; its ``total`` excludes
interpreter start-up and imports, which the wall time includes). MB/s counts the UTF-8
bytes of the text field. The runs of one corpus alternate between the modes, so that
both see the same machine. Goals (issue 2, one core, Reuters): at least 250 docs/s with
language ID and 2,500 without; and (issue 15) the boilerplate classifier's stages
(``line_scores`` + ``boilerplate``) take at most 15 % of the summed shard stage seconds of
the Reuters run without language ID (median of the runs' shares).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from results import DATA, Section, pin_to_one_core, read_jsonl, require, seconds_cell, timed_clean

CORPORA = {  # name -> (file, dqkit options, text field)
    "reuters21578": (
        DATA / "reuters21578-en-news" / "reuters21578.jsonl.gz",
        ["--text-field", "body", "--id-field", "newid"],
        "body",
    ),
    "dewikinews": (DATA / "german-news-human" / "dewikinews_1k.jsonl.gz", [], "text"),
}
MODES = {"with language ID": [], "without language ID": ["--no-langid"]}
GOALS = {"with language ID": 250, "without language ID": 2500}  # docs/s on Reuters
BOILERPLATE_STAGES = ("line_scores", "boilerplate")  # the classifier's survey and its removals
BOILERPLATE_SHARE_GOAL = 0.15  # of the shard stage seconds, Reuters without language ID


def corpus_size(path: Path, field: str) -> tuple[int, int]:
    """Documents and UTF-8 bytes of the text field."""
    records = read_jsonl(path)
    return len(records), sum(len((r.get(field) or "").encode("utf-8")) for r in records)


def boilerplate_share(timings: dict) -> float:
    """The share of :data:`BOILERPLATE_STAGES` in a run's summed shard stage seconds."""
    shard = timings["shard_stage_seconds_summed"]
    return sum(shard.get(stage, 0.0) for stage in BOILERPLATE_STAGES) / sum(shard.values())


def measure(path: Path, options: list[str], repeats: int, workdir: Path) -> dict[str, list[dict]]:
    """``repeats`` runs of each mode, alternating."""
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    for _ in range(repeats):
        for mode, extra in MODES.items():
            run = timed_clean(path, workdir / "out", ["--workers", "1", *options, *extra], prefix=pin_to_one_core())
            timings = run["timings"]
            stages = {**timings["shard_stage_seconds_summed"], **timings["seconds"]}
            runs[mode].append({**run, "stages": stages, "boilerplate_share": boilerplate_share(timings)})
            print(f"{path.name} {mode}: {run['seconds']:.1f} s", flush=True)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    require(*(path for path, _, _ in CORPORA.values()))
    section = Section("bench_clean", "dqkit clean: throughput on one core", timing=True)
    rows, stage_rows, rates, shares = [], [], {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (path, options, field) in CORPORA.items():
            docs, size = corpus_size(path, field)
            for mode, runs in measure(path, options, args.repeats, Path(tmp)).items():
                seconds = statistics.median(r["seconds"] for r in runs)
                rates[(name, mode)] = docs / seconds
                shares[(name, mode)] = [r["boilerplate_share"] for r in runs]
                rss = statistics.median(r["peak_rss_mb"] for r in runs)
                rows.append([name, mode, f"{docs:,}", f"{size / 1e6:.1f}", seconds_cell([r["seconds"] for r in runs])])
                rows[-1] += [f"{docs / seconds:,.0f}", f"{size / 1e6 / seconds:.2f}", f"{rss:.0f}"]
                stage_names = list(runs[0]["stages"])
                medians = (statistics.median(r["stages"][stage] for r in runs) for stage in stage_names)
                stage_rows.append([name, mode, *(f"{m:.2f}" for m in medians)])
    section.text(
        f"{args.repeats} runs per corpus and mode, alternating; seconds = median wall time [min–max], peak RSS of the "
        "process (median)."
    )
    section.table(["corpus", "mode", "docs", "MB", "seconds", "docs/s", "MB/s", "peak RSS MB"], rows, left=2)
    for mode, target in GOALS.items():
        rate = rates[("reuters21578", mode)]
        section.goal(f"≥ {target:,} docs/s {mode}, Reuters", f"{rate:,.0f} docs/s", rate >= target)
    runs_share = shares[("reuters21578", "without language ID")]
    share = statistics.median(runs_share)
    section.goal(
        f"≤ {BOILERPLATE_SHARE_GOAL * 100:.0f} % of the shard stage seconds in the boilerplate stages "
        f"({' + '.join(BOILERPLATE_STAGES)}) without language ID, Reuters",
        f"{share * 100:.1f} %, median of the runs [{min(runs_share) * 100:.1f}–{max(runs_share) * 100:.1f} %]",
        share <= BOILERPLATE_SHARE_GOAL,
    )
    section.text("Median seconds per stage (timings.json):")
    section.table(["corpus", "mode", *stage_names], stage_rows, left=2)
    section.write()


if __name__ == "__main__":
    main()
