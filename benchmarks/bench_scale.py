"""Scale: workers, corpus size, memory and the Ray engine.

    python benchmarks/bench_scale.py [--repeats 3] [--sizes 10000,100000,1000000] [--skip-ray]

1. Speed-up of ``--workers 2`` over ``--workers 1`` on the Reuters articles (with language
   ID), median of ``--repeats`` runs each, measured alternately in one session.
2. A generated scale set (German-looking articles of ~1 KB from a fixed vocabulary, every
   one different, a boilerplate line in some): time and peak memory for each size, without
   language ID (so that the 1M run fits), ``--workers 2``; the driver's and the largest
   worker's peak RSS come from timings.json.
3. The Ray engine against the local engine on the 100k set, both with 2 CPUs.

Writes the ``bench_scale`` section of benchmarks/RESULTS.md. The generated files go to a
temporary folder (about 1 GB for 1M documents) and are removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
from pathlib import Path

from results import replace_section, timed_clean

ROOT = Path(__file__).resolve().parent.parent
REUTERS = ROOT.parent / "shared" / "data" / "reuters21578-en-news" / "reuters21578.jsonl.gz"
REUTERS_FIELDS = ["--text-field", "body", "--id-field", "newid"]
VOCABULARY = ("die der und in zu den das nicht von sie ist des sich mit dem dass er es ein ich auf so eine auch "
              "als an nach wie im für man aber aus durch wenn nur war noch werden bei hat wir was wird sein "
              "Regierung Haushalt Schule Stadt Bürger Woche Bericht Antrag Gericht Verkehr Wetter Hafen Markt "
              "Kirche Verein Straße Brücke Wahl Polizei Feuer Jahr Zeit Land Menschen Geld Arbeit Familie Kinder "
              "Minister Partei Gemeinde Unternehmen Preis Energie Wasser Zukunft Sicherheit Krankenhaus").split()
BOILERPLATE = ["Folgen Sie uns auf Facebook und Instagram", "Lesen Sie auch: Weitere Nachrichten aus der Region",
               "Schreibe einen Kommentar"]


def generate(path: Path, documents: int, seed: int = 7) -> int:
    """Write ``documents`` JSONL records of ~1 KB; return the bytes of text."""
    rng = random.Random(seed)
    size = 0
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(documents):
            sentences = [" ".join(rng.choices(VOCABULARY, k=rng.randint(8, 16))).capitalize() + "."
                         for _ in range(rng.randint(9, 13))]
            paragraphs = [" ".join(sentences[:4]), " ".join(sentences[4:8]), " ".join(sentences[8:])]
            if n % 3 == 0:
                paragraphs.append(BOILERPLATE[n % len(BOILERPLATE)])
            text = f"Meldung {n}\n\n" + "\n\n".join(paragraphs)
            size += len(text.encode("utf-8"))
            handle.write(json.dumps({"id": f"g{n:07d}", "text": text, "lang": "de"}, ensure_ascii=False) + "\n")
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    args = parser.parse_args()
    lines = ["## Scale: workers, corpus size, memory, Ray", "",
             f"Command: `python benchmarks/bench_scale.py --repeats {args.repeats} --sizes {args.sizes}` "
             f"({os.cpu_count()} cores, shared machine; `POLARS_MAX_THREADS=1` in every process).", ""]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if REUTERS.exists():
            times: dict[int, list[float]] = {1: [], 2: []}
            for _ in range(args.repeats):  # alternate, so that both see the same machine
                for workers in (1, 2):
                    result = timed_clean(REUTERS, tmp / "out", [*REUTERS_FIELDS, "--workers", str(workers),
                                                        "--shard-docs", "2000"])
                    times[workers].append(result["seconds"])
                    print(f"reuters workers={workers}: {result['seconds']:.1f} s", flush=True)
            one, two = statistics.median(times[1]), statistics.median(times[2])
            lines += ["### `--workers 2` against `--workers 1` (Reuters-21578, 21,578 articles, language ID on)", "",
                      f"`--shard-docs 2000` (11 shards), runs alternated, median of {args.repeats}:", "",
                      "| workers | seconds (median) | runs | docs/s |", "|---:|---:|---|---:|",
                      f"| 1 | {one:.1f} | {', '.join(f'{t:.1f}' for t in times[1])} | {21578 / one:,.0f} |",
                      f"| 2 | {two:.1f} | {', '.join(f'{t:.1f}' for t in times[2])} | {21578 / two:,.0f} |",
                      "", f"Speed-up: **{one / two:.2f}×** (goal ≥ 1.8×).", ""]
        else:
            lines += [f"Reuters not found at {REUTERS}: speed-up not measured.", ""]

        rows = []
        sets = {}
        for size in (int(s) for s in args.sizes.split(",")):
            path = tmp / f"scale-{size}.jsonl"
            text_bytes = generate(path, size)
            sets[size] = path
            repeats = args.repeats if size <= 100_000 else 1
            results = [timed_clean(path, tmp / "out", ["--workers", "2", "--no-langid"]) for _ in range(repeats)]
            seconds = statistics.median(r["seconds"] for r in results)
            peak = results[0]["timings"]["peak_rss_mb"]
            rows.append((size, text_bytes, seconds, [r["seconds"] for r in results], peak,
                         results[0]["timings"]["shards"]))
            print(f"scale {size:>9,}: {seconds:.1f} s, driver {peak['driver']:.0f} MB, "
                  f"worker {peak['largest_worker']:.0f} MB", flush=True)
            if size != 100_000:
                path.unlink()
        base = rows[0][2]
        lines += ["### Generated scale set (~1 KB German-looking articles, `--workers 2 --no-langid`)", "",
                  "| documents | MB | shards | seconds | runs | docs/s | × the smallest | driver peak RSS MB | "
                  "largest worker peak RSS MB |", "|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
        for size, text_bytes, seconds, runs, peak, shards in rows:
            lines.append(f"| {size:,} | {text_bytes / 1e6:,.0f} | {shards} | {seconds:.1f} | "
                         f"{', '.join(f'{t:.1f}' for t in runs)} | {size / seconds:,.0f} | {seconds / base:.1f} | "
                         f"{peak['driver']:.0f} | {peak['largest_worker']:.0f} |")
        lines += ["", "The driver holds the dedup signatures (128 × 4 bytes a document) and light per-document "
                  "columns for the report; a worker holds one shard (10,000 documents).", ""]

        if not args.skip_ray and 100_000 in sets:
            try:
                import ray  # noqa: F401
            except ImportError:
                lines += ["Ray not installed: Ray overhead not measured.", ""]
            else:
                engine_times: dict[str, list[float]] = {"local": [], "ray": []}
                for _ in range(args.repeats):
                    for engine in ("local", "ray"):
                        result = timed_clean(sets[100_000], tmp / "out",
                                             ["--workers", "2", "--no-langid", "--engine", engine])
                        engine_times[engine].append(result["seconds"])
                        print(f"100k engine={engine}: {result['seconds']:.1f} s", flush=True)
                local, ray_s = statistics.median(engine_times["local"]), statistics.median(engine_times["ray"])
                lines += ["### Ray engine against the local engine (100k generated documents, 2 CPUs, no language ID)",
                          "", "| engine | seconds (median) | runs |", "|---|---:|---|",
                          f"| local | {local:.1f} | {', '.join(f'{t:.1f}' for t in engine_times['local'])} |",
                          f"| ray | {ray_s:.1f} | {', '.join(f'{t:.1f}' for t in engine_times['ray'])} |", "",
                          f"Ray overhead: {ray_s - local:+.1f} s ({100 * (ray_s / local - 1):+.0f} %), most of it "
                          "starting a local Ray.", ""]
    replace_section(args.out, "bench_scale", "\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
