"""Scale: workers, corpus size, memory and the Ray engine.

    python benchmarks/bench_scale.py [--repeats 3] [--sizes 10000,100000,1000000] [--shard-docs 1000] [--skip-ray]
                                     [--parts workers,sizes,ray]

1. Speed-up of ``--workers 2`` over ``--workers 1`` on the Reuters articles (language ID
   on), runs alternating, median of ``--repeats`` each. Goal: at least 1.8x. The default
   ``--shard-docs 1000`` gives 22 shards, 11 for each worker; with 2,000 (11 shards) one
   worker gets 6 and the other 5, which caps the speed-up near 1.83 before the serial part.
2. A generated scale set (German-looking articles of ~1 KB from a fixed vocabulary, every
   one different, a boilerplate line in every third): time and peak memory for each size,
   ``--workers 2 --no-langid``; the driver's and the largest worker's peak RSS come from
   timings.json. Sizes above 100,000 run once (a million documents take minutes). Goals
   (issue 17): at 1M documents a driver peak of at most 400 MB and at most 110 times the
   seconds of the 10k run.
3. The Ray engine against the local engine on the 100k set, both ``--workers 2``, runs
   alternating.

The generated files go to a temporary folder (about 1 GB for 1M documents).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
from pathlib import Path

from results import DATA, Section, require, timed_clean

REUTERS = DATA / "reuters21578-en-news" / "reuters21578.jsonl.gz"
REUTERS_OPTIONS = ["--text-field", "body", "--id-field", "newid"]
REUTERS_DOCS = 21578
GOAL_SPEED_UP = 1.8
GOAL_DRIVER_MB, GOAL_TIME_RATIO = 400, 110
VOCABULARY_TEXT = (
    "die der und in zu den das nicht von sie ist des sich mit dem dass er es ein ich auf so eine auch "
    "als an nach wie im für man aber aus durch wenn nur war noch werden bei hat wir was wird sein "
    "Regierung Haushalt Schule Stadt Bürger Woche Bericht Antrag Gericht Verkehr Wetter Hafen Markt "
    "Kirche Verein Straße Brücke Wahl Polizei Feuer Jahr Zeit Land Menschen Geld Arbeit Familie Kinder "
    "Minister Partei Gemeinde Unternehmen Preis Energie Wasser Zukunft Sicherheit Krankenhaus"
)
BOILERPLATE = [
    "Folgen Sie uns auf Facebook und Instagram",
    "Lesen Sie auch: Weitere Nachrichten aus der Region",
    "Schreibe einen Kommentar",
]


def generate(path: Path, documents: int, seed: int = 7) -> int:
    """Write ``documents`` JSONL records of ~1 KB; return the bytes of text."""
    rng, vocabulary = random.Random(seed), VOCABULARY_TEXT.split()
    size = 0
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(documents):
            sentences = [
                " ".join(rng.choices(vocabulary, k=rng.randint(8, 16))).capitalize() + "."
                for _ in range(rng.randint(9, 13))
            ]
            paragraphs = [" ".join(sentences[:4]), " ".join(sentences[4:8]), " ".join(sentences[8:])]
            if n % 3 == 0:
                paragraphs.append(BOILERPLATE[n % len(BOILERPLATE)])
            text = f"Meldung {n}\n\n" + "\n\n".join(paragraphs)
            size += len(text.encode("utf-8"))
            handle.write(json.dumps({"id": f"g{n:07d}", "text": text, "lang": "de"}, ensure_ascii=False) + "\n")
    return size


def alternate(inputs: Path, variants: dict[str, list[str]], repeats: int, workdir: Path) -> dict[str, list[float]]:
    """Wall seconds of ``repeats`` runs of each variant, alternating so that all see the same machine."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, options in variants.items():
            times[name].append(timed_clean(inputs, workdir / "out", options)["seconds"])
            print(f"{inputs.name} {name}: {times[name][-1]:.1f} s", flush=True)
    return times


def runs_cell(runs: list[float]) -> str:
    return ", ".join(f"{t:.1f}" for t in runs)


def workers_part(section: Section, args, workdir: Path) -> None:
    options = [*REUTERS_OPTIONS, "--shard-docs", str(args.shard_docs)]
    variants = {"1": [*options, "--workers", "1"], "2": [*options, "--workers", "2"]}
    times = alternate(REUTERS, variants, args.repeats, workdir)
    one, two = statistics.median(times["1"]), statistics.median(times["2"])
    section.heading(f"`--workers 2` against `--workers 1` (Reuters-21578, {REUTERS_DOCS:,} articles, language ID on)")
    section.text(f"`--shard-docs {args.shard_docs}`, runs alternated, median of {args.repeats}:")
    rows = [
        [w, f"{statistics.median(t):.1f}", runs_cell(t), f"{REUTERS_DOCS / statistics.median(t):,.0f}"]
        for w, t in times.items()
    ]
    section.table(["workers", "seconds (median)", "runs", "docs/s"], rows)
    pairwise = ", ".join(f"{a / b:.2f}" for a, b in zip(times["1"], times["2"], strict=True))
    section.goal(
        f"speed-up ≥ {GOAL_SPEED_UP}×",
        f"{one / two:.2f}× from the medians; pairwise {pairwise}",
        one / two >= GOAL_SPEED_UP,
    )


def sizes_part(section: Section, args, workdir: Path) -> Path | None:
    """The scale set at each size; returns the 100k file (kept for the Ray part) if made."""
    rows, kept, base = [], None, None
    measured: dict[int, tuple[float, float]] = {}  # size: (seconds, driver peak MB)
    for size in (int(s) for s in args.sizes.split(",")):
        path = workdir / f"scale-{size}.jsonl"
        text_bytes = generate(path, size)
        runs = [
            timed_clean(path, workdir / "out", ["--workers", "2", "--no-langid"])
            for _ in range(args.repeats if size <= 100_000 else 1)
        ]
        seconds = statistics.median(r["seconds"] for r in runs)
        base = base or seconds
        peak, shards = runs[0]["timings"]["peak_rss_mb"], runs[0]["timings"]["shards"]
        measured[size] = (seconds, peak["driver"])
        rows.append(
            [
                f"{size:,}",
                f"{text_bytes / 1e6:,.0f}",
                shards,
                f"{seconds:.1f}",
                runs_cell([r["seconds"] for r in runs]),
                f"{size / seconds:,.0f}",
                f"{seconds / base:.1f}",
                f"{peak['driver']:.0f}",
                f"{peak['largest_worker']:.0f}",
            ]
        )
        print(f"scale {size:,}: {seconds:.1f} s", flush=True)
        if size == 100_000:
            kept = path
        else:
            path.unlink()
    section.heading("Generated scale set (~1 KB German-looking articles, `--workers 2 --no-langid`)")
    headers = [
        "documents",
        "MB",
        "shards",
        "seconds (median)",
        "runs",
        "docs/s",
        "× the smallest",
        "driver peak RSS MB",
        "largest worker peak RSS MB",
    ]
    section.table(headers, rows)
    if 10_000 in measured and 1_000_000 in measured:
        (small, _), (large, driver) = measured[10_000], measured[1_000_000]
        section.goal(f"driver peak RSS at 1M ≤ {GOAL_DRIVER_MB} MB", f"{driver:.0f} MB", driver <= GOAL_DRIVER_MB)
        section.goal(
            f"1M seconds ≤ {GOAL_TIME_RATIO}× the 10k run", f"{large / small:.0f}×", large / small <= GOAL_TIME_RATIO
        )
    return kept


def ray_part(section: Section, args, scale_set: Path, workdir: Path) -> None:
    options = ["--workers", "2", "--no-langid", "--engine"]
    times = alternate(scale_set, {"local": [*options, "local"], "ray": [*options, "ray"]}, args.repeats, workdir)
    local, ray = statistics.median(times["local"]), statistics.median(times["ray"])
    section.heading("Ray engine against the local engine (100k generated documents, `--workers 2 --no-langid`)")
    rows = [[engine, f"{statistics.median(t):.1f}", runs_cell(t)] for engine, t in times.items()]
    section.table(["engine", "seconds (median)", "runs"], rows)
    section.text(f"Ray against local: {ray - local:+.1f} s ({100 * (ray / local - 1):+.0f} %).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--shard-docs", type=int, default=1000)
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--parts", default="workers,sizes,ray", help="which parts to run (comma-separated)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    require(REUTERS)
    section = Section("bench_scale", "Scale: workers, corpus size, memory, Ray", timing=True)
    with tempfile.TemporaryDirectory() as tmp:
        if "workers" in parts:
            workers_part(section, args, Path(tmp))
        scale_set = sizes_part(section, args, Path(tmp)) if "sizes" in parts else None
        if args.skip_ray or "ray" not in parts or scale_set is None:
            section.text("Ray engine not measured (`--skip-ray`, or 100,000 not among `--sizes`).")
        else:
            ray_part(section, args, scale_set, Path(tmp))
    section.write()


if __name__ == "__main__":
    main()
