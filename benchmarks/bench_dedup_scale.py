"""Near-dedup's steps at scale, on synthetic signatures: the time and memory of each.

    python benchmarks/bench_dedup_scale.py [--sizes 1000000,10000000] [--shard-docs 100000] [--tasks 2]
                                           [--buckets 1,8]

The steps are the ones ``dqkit clean`` runs after the shards (``dqkit/pipeline.py``), on
shard folders written here instead of by cleaning text (10M documents of text would take
hours; the dedup steps only see signatures):

1. **shards**: each shard's signatures (random 128-slot uint32 rows; every tenth row a
   near-copy of an earlier row of the same or the previous shard, a share of its slots
   changed, so that similarities spread around the threshold) and its band keys
   (:func:`dqkit.dedup.lsh.band_keys`, timed: the shard-side cost of dedup).
2. **edges**: ``--tasks`` band-group tasks (:func:`dqkit.dedup.edges.band_group_task`),
   each band cut into each of ``--buckets`` key-range buckets (a task per group and
   bucket), each task in its own process, two at a time (the machine has two cores): wall
   seconds of the step, and each task's seconds and peak RSS. Every bucket count runs on
   the same shard files and must find the same edges.
3. **clusters**: the driver's step in its own process: the edges read, the components and
   the keep policy (:func:`dqkit.dedup.near.cluster_duplicates`), which asks the ranking
   columns (id, order, quality, length) of the clustered documents only (the run reads them
   from the shards' survivors; made up here).

Peak RSS is each process's own high-water mark (``VmHWM``, :mod:`dqkit.peak_memory`; not
``wait4``, which starts a child at its parent's peak), interpreter and imports included
(about 60 MiB for numpy and polars). The files go to a temporary folder: about 840 bytes a document.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
from results import Section

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dqkit.dedup.edges import BandGroup, band_group_task  # noqa: E402
from dqkit.dedup.lsh import band_keys, lsh_bands  # noqa: E402
from dqkit.dedup.near import NearDupOptions, cluster_duplicates  # noqa: E402
from dqkit.dedup.store import Source, Store  # noqa: E402
from dqkit.peak_memory import own_peak_rss_mb  # noqa: E402

OPTIONS = NearDupOptions()
COPY_EVERY = 10


def write_shards(folder: Path, documents: int, shard_docs: int) -> float:
    """The synthetic shard folders; returns the seconds spent on band keys."""
    rng = np.random.default_rng(17)
    bands, rows = lsh_bands(OPTIONS)
    previous, keyed = None, 0.0
    for k, start in enumerate(range(0, documents, shard_docs)):
        size = min(shard_docs, documents - start)
        matrix = rng.integers(0, 2**32, size=(size, OPTIONS.num_perm), dtype=np.uint32)
        pool = matrix if previous is None else np.vstack([previous, matrix])
        for row in range(COPY_EVERY - 1, size, COPY_EVERY):
            original = rng.integers(0, len(pool) - size + row)  # an earlier row
            changed = rng.random(OPTIONS.num_perm) < rng.uniform(0.05, 0.8)
            matrix[row] = np.where(changed, matrix[row], pool[original])
        shard = folder / f"{k:06d}"
        shard.mkdir(parents=True)
        np.save(shard / "signatures.npy", matrix)
        clock = time.perf_counter()
        np.save(shard / "band_keys.npy", band_keys(matrix, bands, rows))
        keyed += time.perf_counter() - clock
        previous = matrix
    return keyed


def store_of(folder: Path) -> Store:
    sources, start = [], 0
    for shard in sorted(p for p in folder.iterdir() if p.is_dir()):
        size = np.load(shard / "signatures.npy", mmap_mode="r").shape[0]
        sources.append(Source(str(shard / "signatures.npy"), str(shard / "band_keys.npy"), start))
        start += size
    return Store(tuple(sources))


def edges_step(folder: Path, task: int, tasks: int, bucket: int, buckets: int) -> None:
    store = store_of(folder / "shards")
    bands, _ = lsh_bands(OPTIONS)
    out = str(folder / f"edges-{task}-{bucket}.npy")
    group = BandGroup(store, tuple(range(task, bands, tasks)), OPTIONS.threshold, store.size, out, bucket, buckets)
    counts = band_group_task(group)
    print(f"{counts['candidates']} {counts['edges']} {counts['peak_rss_mb']}")


def clusters_step(folder: Path, tasks: int, buckets: int) -> None:
    store = store_of(folder / "shards")

    def rankings(numbers: np.ndarray) -> pl.DataFrame:
        node = pl.Series("node", numbers, dtype=pl.Int64)
        return pl.DataFrame(node).with_columns(
            ("d" + pl.col("node").cast(pl.String).str.zfill(9)).alias("id"),
            pl.col("node").alias("_order"),
            pl.lit(0.0).alias("_quality"),
            (pl.col("node") % 3000).cast(pl.UInt32).alias("_length"),
        )

    edges = np.concatenate([np.load(folder / f"edges-{k}-{b}.npy") for k in range(tasks) for b in range(buckets)])
    found = cluster_duplicates(rankings, store.size, edges, store, OPTIONS)
    print(f"{found.height} {own_peak_rss_mb()}")


def measured(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, stdout=subprocess.PIPE, env={**os.environ, "POLARS_MAX_THREADS": "1"})


def finish(process: subprocess.Popen, started: float) -> dict:
    """The step's seconds, its own peak RSS (the last figure it prints) and what else it printed."""
    assert process.stdout is not None
    printed = process.stdout.read().decode().split()
    if process.wait() != 0:
        raise SystemExit(f"a step failed: {process.args}")
    return {"seconds": time.perf_counter() - started, "mib": float(printed[-1]), "out": printed[:-1]}


def run_size(documents: int, args, workdir: Path) -> list[dict]:
    """The three steps at ``documents``, the edges and clusters once per bucket count."""
    folder = workdir / f"dedup-{documents}"
    keyed = write_shards(folder / "shards", documents, args.shard_docs)
    disk = sum(p.stat().st_size for p in folder.rglob("*.npy"))
    results = []
    for buckets in (int(b) for b in args.buckets.split(",")):
        me = [sys.executable, __file__, "--folder", str(folder), "--tasks", str(args.tasks), "--buckets", str(buckets)]
        clock = time.perf_counter()
        tasks, running = [], []
        for task in range(args.tasks):
            for bucket in range(buckets):  # two at a time
                step = [*me, "--step", "edges", "--task", str(task), "--bucket", str(bucket)]
                running.append((measured(step), time.perf_counter()))
                if len(running) == 2:
                    tasks.append(finish(*running.pop(0)))
        tasks += [finish(*pair) for pair in running]
        edges_wall = time.perf_counter() - clock
        clusters = finish(measured([*me, "--step", "clusters"]), time.perf_counter())
        print(f"{documents:,} in {buckets} bucket(s): edges {edges_wall:.1f} s, clusters {clusters['seconds']:.1f} s")
        results.append(
            {"buckets": buckets, "keyed": keyed, "tasks": tasks, "edges_wall": edges_wall, "clusters": clusters}
        )
        for path in folder.glob("edges-*.npy"):
            path.unlink()
    subprocess.run(["rm", "-rf", str(folder)], check=True)
    return [{**result, "disk": disk} for result in results]


def table_row(documents: int, result: dict) -> list[str]:
    tasks = result["tasks"]
    return [
        f"{documents:,}",
        str(result["buckets"]),
        f"{result['keyed']:.1f}",
        f"{result['edges_wall']:.1f}",
        f"{max(t['seconds'] for t in tasks):.1f}",
        f"{max(t['mib'] for t in tasks):,.0f}",
        f"{sum(int(t['out'][0]) for t in tasks):,}",
        f"{sum(int(t['out'][1]) for t in tasks):,}",
        f"{result['clusters']['seconds']:.1f}",
        f"{result['clusters']['mib']:,.0f}",
        f"{int(result['clusters']['out'][0]):,}",
        f"{result['disk'] / 2**30:.1f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--shard-docs", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--step", choices=["edges", "clusters"], help=argparse.SUPPRESS)
    parser.add_argument("--buckets", default="1,8", help="bucket counts to run each size with (powers of two)")
    parser.add_argument("--task", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--bucket", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "edges":
        return edges_step(args.folder, args.task, args.tasks, args.bucket, int(args.buckets))
    if args.step == "clusters":
        return clusters_step(args.folder, args.tasks, int(args.buckets))
    bands, rows = lsh_bands(OPTIONS)
    section = Section(
        "bench_dedup_scale", "Near-dedup's steps at 1M and 10M documents (synthetic signatures)", timing=True
    )
    section.text(
        f"{OPTIONS.num_perm} slots, threshold {OPTIONS.threshold} ({bands} bands × {rows} rows), shards of "
        f"{args.shard_docs:,} documents, every {COPY_EVERY}th a near-copy; {args.tasks} band-group tasks times the "
        "buckets, two at a time. One run per size and bucket count. Peak RSS per process includes the interpreter, "
        "numpy and polars."
    )
    rows_out = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("DQKIT_BENCH_TMP")) as tmp:
        for documents in (int(s) for s in args.sizes.split(",")):
            rows_out += [table_row(documents, result) for result in run_size(documents, args, Path(tmp))]
    section.table(
        "documents | buckets | band keys s (all shards) | edges step wall s | slowest task s | largest task peak MiB | "
        "candidate pairs | verified edges | clusters step s | clusters step peak MiB | duplicates | files GiB",
        rows_out,
    )
    section.write()


if __name__ == "__main__":
    main()
