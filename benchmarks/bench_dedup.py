"""Near-dedup: signature + LSH speed on one core, index size per document, LSH recall.

    python benchmarks/bench_dedup.py [--repeats 3] [--update-docs 500]

rensa is in the ``bench`` extra (``pip install -e '.[bench]'``); without it the rensa row
says it was not measured and everything else runs.

1. Speed, one core (this process pins itself to CPU 0 and sets the thread pools of
   polars, Rayon and OpenMP to one before numpy or polars are imported), median of N
   repetitions; each repetition runs every path in turn on the same ~3 KB documents
   (consecutive Reuters bodies joined and cut at ~3,000 characters, see
   :func:`three_kb_documents`), after one untimed warm-up on 50 documents:

   - dqkit: ``signatures(texts, Scheme(128, 5))`` (lower-case, punctuation, tokens, xxh64
     per distinct word, 5-gram mix, affine32 in numpy), then ``candidate_pairs`` at the
     default threshold 0.5 (banding in numpy with MinHashLSH's bands x rows, 32 x 4: rensa's
     LSH needs bands that divide num_perm, which 0.4's 37 x 3 does not).
   - rensa ``RMinHash.from_token_sets`` (num_perm 128, seed 1) from the same word 5-grams
     as ``str`` (built in polars from dqkit's ``normalise`` tokens: the *shingle prep*
     column, the fastest way found to hand rensa n-grams; checked equal to the byte shingles
     below), then ``RMinHashLSH`` with the same bands (``insert_many`` + ``query_all``).
     rensa's sketches use its own hashing, so its pairs differ a little from dqkit's.
   - datasketch ``MinHash.bulk`` and per-shingle ``MinHash.update``: the same word
     5-grams of the same normalised tokens as UTF-8 bytes (building them is the *shingle
     prep* column, counted in the end-to-end rate), ``hashfunc=xxh32``, ``seed=1``,
     affine32, then ``MinHashLSH`` insert + query with the same bands x rows.
     ``update()`` is slow, so it runs on the first ``--update-docs`` documents only;
     dqkit and ``bulk`` run on that subset too, for a same-documents comparison.

   Goals: signature + LSH at least 5,000 docs/s per core, and at least 1.5x rensa's rate
   (issue 17; both from text, measured side by side in one run).
2. Index size per document: ``id``, ``batch`` and the 128 uint32 signature written to
   Parquet (zstd), read back and compared; file size / documents, next to raw uint32 and
   ``LeanMinHash.serialize``. Goal: at most 1.5 KB per document. Parquet comes out below
   raw because each slot is the minimum of a document's shingle hashes: with k distinct
   shingles its top ~log2(k) bits are mostly zero, which zstd removes.
3. Recall on all 21,578 Reuters bodies: ground truth = every pair whose shingle *sets*
   have exact Jaccard >= t (:func:`near_reference.exact_pairs`, checked against
   :func:`near_reference.jaccard` on every pair); recall and precision of the candidates,
   of the candidates verified with the exact Jaccard (precision 100 % by construction),
   of clusters of those (union-find), and of the candidates verified with the signature
   estimate as ``find_near_duplicates`` decides. A tokenisation check recounts the truth
   after collapsing white space (Reuters is hard-wrapped; dqkit splits tokens on spaces).
"""

from __future__ import annotations

import os

# One core, one thread: before numpy / polars are imported (they size their pools at import).
for _variable in ("POLARS_MAX_THREADS", "RAYON_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_variable] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {0})

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

import datasketch  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import xxhash  # noqa: E402
from datasketch import LeanMinHash, MinHash, MinHashLSH  # noqa: E402
from near_reference import exact_pairs, jaccard, query_pairs  # noqa: E402
from results import DATA, Section, pct, read_jsonl, require, seconds_cell  # noqa: E402

from dqkit.dedup.components import components  # noqa: E402
from dqkit.dedup.lsh import candidate_pairs, lsh_bands  # noqa: E402
from dqkit.dedup.near import NearDupOptions  # noqa: E402
from dqkit.dedup.signatures import Scheme, normalise, signatures  # noqa: E402

try:
    import rensa
except ImportError:  # the bench extra is not installed: measure the rest
    rensa = None

REUTERS = DATA / "reuters21578-en-news" / "reuters21578.jsonl.gz"
NUM_PERM, NGRAM, SEED = 128, 5, 1
SCHEME = Scheme(num_perm=NUM_PERM, ngram=NGRAM)
SPEED = NearDupOptions(num_perm=NUM_PERM, ngram=NGRAM)  # default threshold: bands that rensa's LSH accepts
THRESHOLDS = (0.4, 0.5, 0.8)
JACCARD_BINS = [(0.4, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0), (1.0, 1.0)]
DOC_CHARS = 3000
GOAL_DOCS_PER_S, GOAL_INDEX_BYTES, GOAL_OVER_RENSA = 5000, 1536, 1.5
RENSA_MISSING = "rensa is not installed (pip install -e '.[bench]'): its row is not measured"
PATHS = {
    "dqkit": "dqkit signature + LSH",
    "rensa": "rensa `RMinHash` + `RMinHashLSH`",
    "bulk": "datasketch `MinHash.bulk` + LSH",
    "update": "datasketch `update()` per shingle + LSH",
}


# --- data -----------------------------------------------------------------------------------


def three_kb_documents(bodies: list[str], size: int = DOC_CHARS) -> list[str]:
    """Consecutive non-empty bodies (file order), stripped and joined with a blank line into
    one stream, cut into consecutive pieces of at most ``size`` characters, each ending at
    the last white space before the limit; a last piece shorter than 90 % is dropped."""
    stream = "\n\n".join(b.strip() for b in bodies if b.strip())
    docs, start = [], 0
    while start < len(stream):
        end = min(start + size, len(stream))
        if end < len(stream) and not stream[end].isspace():
            cut = max(stream.rfind(" ", start, end), stream.rfind("\n", start, end))
            end = cut if cut > start else end
        piece = stream[start:end].strip()
        if len(piece) >= 0.9 * size:
            docs.append(piece)
        start = end
    return docs


def byte_shingles(texts: list[str]) -> list[list[bytes]]:
    """Word 5-grams of dqkit's normalised tokens as UTF-8 bytes, repeats kept; a document
    shorter than 5 words is one shingle of all its words (as dqkit does)."""
    frame = pl.DataFrame({"t": pl.Series(texts, dtype=pl.String)}).select(normalise(pl.col("t")))
    result = []
    for tokens in frame["t"].to_list():
        grams = [" ".join(tokens[i : i + NGRAM]) for i in range(len(tokens) - NGRAM + 1)] or [" ".join(tokens)]
        result.append([gram.encode("utf-8") for gram in grams] if tokens else [])
    return result


def string_shingles(texts: list[str]) -> list[list[str]]:
    """The shingles of :func:`byte_shingles` as ``str``, built in polars: each 5-gram joins
    a word with the next four (shifted columns), kept where all five are in its document."""
    tokens = pl.DataFrame({"t": pl.Series(texts, dtype=pl.String)}).select(normalise(pl.col("t")))
    words = tokens.with_row_index("doc").explode("t").drop_nulls("t")
    position, count = pl.int_range(pl.len()).over("doc"), pl.len().over("doc")
    grams = (
        words.with_columns(pl.concat_str([pl.col("t").shift(-k) for k in range(NGRAM)], separator=" ").alias("g"))
        .filter(position <= count - NGRAM)
        .group_by("doc", maintain_order=True)
        .agg("g")
    )
    result: list[list[str]] = [[] for _ in texts]
    for doc, shingles in grams.iter_rows():
        result[doc] = shingles
    for doc, document in enumerate(tokens["t"].to_list()):
        if 0 < len(document) < NGRAM:  # shorter than one n-gram: all its words are the one shingle
            result[doc] = [" ".join(document)]
    return result


# --- speed ----------------------------------------------------------------------------------


def datasketch_lsh(sketches: list) -> set[tuple[int, int]]:
    """MinHashLSH insert + query with the bands x rows dqkit's ``candidate_pairs`` uses."""
    return query_pairs(MinHashLSH(num_perm=NUM_PERM, params=lsh_bands(SPEED)), sketches)


def bulk_sketches(shingles: list[list[bytes]]) -> list:
    return MinHash.bulk(shingles, num_perm=NUM_PERM, seed=SEED, hashfunc=xxhash.xxh32_intdigest)


def update_sketches(shingles: list[list[bytes]]) -> list:
    sketches = []
    for document in shingles:
        sketch = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=xxhash.xxh32_intdigest)
        for shingle in document:
            sketch.update(shingle)
        sketches.append(sketch)
    return sketches


def rensa_sketches(shingles: list[list[str]]) -> list:
    return rensa.RMinHash.from_token_sets(shingles, num_perm=NUM_PERM, seed=SEED)


def rensa_lsh(sketches: list) -> set[tuple[int, int]]:
    """RMinHashLSH insert + query with the bands dqkit's ``candidate_pairs`` uses."""
    bands, _ = lsh_bands(SPEED)
    lsh = rensa.RMinHashLSH(threshold=SPEED.threshold, num_perm=NUM_PERM, num_bands=bands)
    lsh.insert_many(sketches)
    return {(min(i, j), max(i, j)) for i, found in enumerate(lsh.query_all(sketches)) for j in found if j != i}


def timed(function, *args) -> tuple[object, float, float]:
    """The result, wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def run_path(path: str, texts: list[str]) -> dict:
    """One end-to-end run: seconds and CPU seconds of each step, candidate pairs, the signatures."""
    if path == "dqkit":
        (matrix, _), signature, cpu_signature = timed(signatures, texts, SCHEME)
        pairs, lsh, cpu_lsh = timed(candidate_pairs, matrix, SPEED)
        prep = cpu_prep = 0.0
    elif path == "rensa":
        shingles, prep, cpu_prep = timed(string_shingles, texts)
        sketches, signature, cpu_signature = timed(rensa_sketches, shingles)
        pairs, lsh, cpu_lsh = timed(rensa_lsh, sketches)
        matrix = np.array([m.digest() for m in sketches], dtype=np.uint32)
    else:
        shingles, prep, cpu_prep = timed(byte_shingles, texts)
        sketches, signature, cpu_signature = timed(bulk_sketches if path == "bulk" else update_sketches, shingles)
        pairs, lsh, cpu_lsh = timed(datasketch_lsh, sketches)
        matrix = np.array([m.hashvalues for m in sketches])
    return {
        "prep": prep,
        "signature": signature,
        "lsh": lsh,
        "total": prep + signature + lsh,
        "cpu": cpu_prep + cpu_signature + cpu_lsh,
        "pairs": len(pairs),
        "pair_set": pairs,
        "matrix": matrix,
    }


def measure_speed(docs: list[str], update_docs: int, repeats: int) -> list[dict]:
    """Median of each path on all documents and on the first ``update_docs``."""
    cases = [("dqkit", docs), *([("rensa", docs)] if rensa else []), ("bulk", docs)]
    cases += [("dqkit", docs[:update_docs]), ("bulk", docs[:update_docs]), ("update", docs[:update_docs])]
    for path in dict.fromkeys(path for path, _ in cases):  # warm-up: regex compilation, first calls
        run_path(path, docs[:50])
    runs: list[list[dict]] = [[] for _ in cases]
    for repeat in range(repeats):
        for (path, texts), group in zip(cases, runs, strict=True):
            group.append(run_path(path, texts))
            print(f"repeat {repeat + 1}: {path} {len(texts)} docs {group[-1]['total']:.2f} s", flush=True)
    rows = []
    for (path, texts), group in zip(cases, runs, strict=True):
        median = {key: statistics.median(r[key] for r in group) for key in ("prep", "signature", "lsh", "cpu")}
        totals = [r["total"] for r in group]
        rows.append(
            {
                "path": path,
                "docs": len(texts),
                **median,
                "totals": totals,
                "pairs": group[0]["pairs"],
                "pair_set": group[0]["pair_set"],
                "matrix": group[0]["matrix"],
            }
        )
    return rows


def speed_part(section: Section, docs: list[str], bodies: int, args) -> None:
    if rensa is None:
        print(RENSA_MISSING, flush=True)
    else:  # the same shingles, or the comparison is not like for like
        assert [[g.encode() for g in d] for d in string_shingles(docs)] == byte_shingles(docs)
    rows = measure_speed(docs, args.update_docs, args.repeats)
    bands, band_rows = lsh_bands(SPEED)
    subset = {r["path"]: r for r in rows if r["docs"] == min(args.update_docs, len(docs))}
    same = bool((subset["bulk"]["matrix"] == subset["update"]["matrix"]).all())
    shingles = statistics.mean(len(s) for s in byte_shingles(docs))
    section.heading("Speed on ~3 KB documents, one core")
    section.text(
        f"n = {len(docs):,} documents cut from the {bodies:,} non-empty Reuters-21578 bodies: mean "
        f"{statistics.mean(len(d) for d in docs):,.0f} characters, "
        f"{statistics.mean(len(d.encode()) for d in docs):,.0f} "
        f"UTF-8 bytes, {shingles:.0f} 5-gram shingles with repeats. Threshold {SPEED.threshold} "
        f"(`NearDupOptions()` default: {NearDupOptions().threshold}); LSH {bands} bands × {band_rows} rows on every "
        f"path. Median of {args.repeats} repetitions, total [min–max]; docs/s = docs / median total."
    )
    headers = "path | docs | shingle prep s | signature s | LSH s | total s | docs/s | CPU s | pairs"
    table = [
        [
            PATHS[r["path"]],
            f"{r['docs']:,}",
            "in signature" if r["path"] == "dqkit" else f"{r['prep']:.2f}",
            f"{r['signature']:.2f}",
            f"{r['lsh']:.2f}",
            seconds_cell(r["totals"]),
            f"{r['docs'] / statistics.median(r['totals']):,.0f}",
            f"{r['cpu']:.2f}",
            f"{r['pairs']:,}",
        ]
        for r in rows
    ]
    section.table(headers, table)
    full = {r["path"]: r for r in rows if r["docs"] == len(docs)}
    rate = len(docs) / statistics.median(full["dqkit"]["totals"])
    section.goal(
        f"signature + LSH ≥ {GOAL_DOCS_PER_S:,} docs/s per core", f"dqkit {rate:,.0f} docs/s", rate >= GOAL_DOCS_PER_S
    )
    rensa_part(section, docs, full)
    section.text(
        f"Steps alone, n = {len(docs):,}: dqkit signatures {len(docs) / full['dqkit']['signature']:,.0f} docs/s, "
        f"dqkit LSH {len(docs) / full['dqkit']['lsh']:,.0f} docs/s, `bulk` from byte shingles "
        f"{len(docs) / full['bulk']['signature']:,.0f} docs/s. `bulk` and `update()` sketches identical: {same}."
    )


def rensa_part(section: Section, docs: list[str], full: dict) -> None:
    """dqkit against rensa: docs/s of each (median of the repeats, one run), their ratio, the goal."""
    if "rensa" not in full:
        section.text(f"rensa: {RENSA_MISSING}.")
        section.goal(f"signature + LSH ≥ {GOAL_OVER_RENSA}× rensa", "not measured", False)
        return
    rates = {path: len(docs) / statistics.median(full[path]["totals"]) for path in ("dqkit", "rensa", "bulk")}
    ratio = rates["dqkit"] / rates["rensa"]
    both = len(full["dqkit"]["pair_set"] & full["rensa"]["pair_set"])
    section.text(
        f"Side by side in this run, n = {len(docs):,}, "
        f"from text: dqkit {rates['dqkit']:,.0f} docs/s, rensa {rates['rensa']:,.0f} docs/s, datasketch `bulk` "
        f"{rates['bulk']:,.0f} docs/s; dqkit / rensa = {ratio:.2f}×. rensa's own part (sketches + LSH, without "
        f"the shingle prep) runs at {len(docs) / (full['rensa']['signature'] + full['rensa']['lsh']):,.0f} docs/s: "
        f"its lead over dqkit is in MinHash itself, dqkit's in making the shingles (hashes, not strings). "
        f"Candidate pairs found by both: {both:,}."
    )
    section.goal(f"signature + LSH ≥ {GOAL_OVER_RENSA}× rensa", f"{ratio:.2f}×", ratio >= GOAL_OVER_RENSA)


# --- index size --------------------------------------------------------------------------------


def index_bytes(matrix: np.ndarray, ids: list[str], dtype: pl.DataType, workdir: Path) -> float:
    """Parquet (zstd) bytes per document of id, batch and signature, after a round trip check."""
    column = pl.Series("sig", matrix if isinstance(dtype, pl.Array) else list(matrix), dtype=dtype)
    path = workdir / "index.parquet"
    pl.DataFrame({"id": ids, "batch": ["b1"] * len(ids), "sig": column}).write_parquet(path, compression="zstd")
    back = pl.read_parquet(path)
    assert np.array_equal(np.array(back["sig"].to_list(), dtype=np.uint32), matrix)
    return path.stat().st_size / len(ids)


def index_part(section: Section, corpora: dict[str, tuple[list[str], list[str]]]) -> None:
    lean = LeanMinHash(seed=SEED, hashvalues=np.zeros(NUM_PERM, np.uint32), scheme="affine32").bytesize()
    rows, goal_bytes = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for name, (ids, texts) in corpora.items():
            matrix, shingles = signatures(texts, SCHEME)
            array = index_bytes(matrix, ids, pl.Array(pl.UInt32, NUM_PERM), Path(tmp))
            listed = index_bytes(matrix, ids, pl.List(pl.UInt32), Path(tmp))
            goal_bytes = goal_bytes or array
            distinct = statistics.median(len(np.unique(s)) for s in shingles)
            rows.append(
                [
                    name,
                    f"{len(ids):,}",
                    f"{distinct:,.0f}",
                    f"{array:,.0f} B",
                    f"{listed:,.0f} B",
                    f"{matrix.shape[1] * matrix.itemsize} B",
                    f"{lean} B",
                ]
            )
    section.heading("Index size per document")
    headers = (
        "documents | n | median distinct shingles | Parquet, sig as Array(UInt32, 128) | "
        "Parquet, sig as List(UInt32) | raw uint32 | `LeanMinHash.serialize`"
    )
    section.table(headers, rows)
    section.goal(
        "index ≤ 1.5 KB per document (3 KB documents, Array)", f"{goal_bytes:,.0f} B", goal_bytes <= GOAL_INDEX_BYTES
    )


# --- recall ---------------------------------------------------------------------------------


def recall_row(threshold: float, truth_all: dict, matrix: np.ndarray, shingles: list[np.ndarray]) -> dict:
    truth = {pair for pair, value in truth_all.items() if value >= threshold}
    options = NearDupOptions(threshold=threshold, num_perm=NUM_PERM, ngram=NGRAM)
    candidates, seconds, _ = timed(candidate_pairs, matrix, options)
    verified = {p for p in candidates if jaccard(shingles[p[0]], shingles[p[1]]) >= threshold}
    estimated = {p for p in candidates if (matrix[p[0]] == matrix[p[1]]).mean() >= threshold}
    root = components(np.array(sorted(verified), dtype=np.int64).reshape(-1, 2), len(matrix))
    clustered = sum(root[a] == root[b] for a, b in truth)
    bins = {}
    for low, high in JACCARD_BINS:
        if high > threshold:
            members = [p for p in truth if (truth_all[p] == 1.0 if low == high else low <= truth_all[p] < high)]
            bins[(low, high)] = pct(sum(p in candidates for p in members), len(members))
    bands, rows = lsh_bands(options)
    found = len(candidates & truth)
    return {
        "bins": bins,
        "cells": [
            threshold,
            f"{bands} × {rows}",
            f"{len(truth):,}",
            f"{len(candidates):,}",
            pct(found, len(truth)),
            pct(found, len(candidates)),
            pct(len(verified & truth), len(truth)),
            pct(clustered, len(truth)),
            pct(len(estimated & truth), len(truth)),
            pct(len(estimated & truth), len(estimated)),
            f"{seconds:.2f}",
        ],
    }


def recall_part(section: Section, bodies: list[str]) -> None:
    (matrix, shingles), signature_seconds, _ = timed(signatures, bodies, SCHEME)
    truth_all, truth_seconds, _ = timed(exact_pairs, shingles, min(THRESHOLDS))
    mismatch = sum(abs(jaccard(shingles[a], shingles[b]) - v) > 1e-9 for (a, b), v in truth_all.items())
    error = np.array([(matrix[a] == matrix[b]).mean() - v for (a, b), v in truth_all.items()])
    rows = [recall_row(t, truth_all, matrix, shingles) for t in THRESHOLDS]
    _, collapsed = signatures([" ".join(b.split()) for b in bodies], SCHEME)
    collapsed_truth = exact_pairs(collapsed, min(THRESHOLDS))
    section.heading("LSH recall against exact Jaccard, Reuters-21578")
    section.text(
        f"All {len(bodies):,} bodies, one document each: signatures {signature_seconds:.1f} s, exact ground truth "
        f"{truth_seconds:.1f} s ({len(truth_all):,} pairs ≥ {min(THRESHOLDS)}; {mismatch} differ from `jaccard()`)."
    )
    headers = (
        "t | bands × rows | true pairs | candidates | candidate recall | candidate precision | exact-verified recall | "
        "clustered recall | estimate-verified recall | estimate-verified precision | LSH s"
    )
    section.table(headers, [r["cells"] for r in rows])
    section.text("Candidate recall by the exact Jaccard of the true pair:")
    labels = [f"[{low}, {high})" if low != high else "= 1.0" for low, high in JACCARD_BINS]
    section.table(
        ["t", *labels],
        [[t, *(r["bins"].get(b, "") for b in JACCARD_BINS)] for t, r in zip(THRESHOLDS, rows, strict=True)],
    )
    section.text(
        f"Signature estimate minus exact Jaccard over those {len(truth_all):,} pairs: mean {error.mean():+.4f}, "
        f"mean absolute {np.abs(error).mean():.4f}. True pairs with white space collapsed in each body first: "
        + "; ".join(
            f"≥ {t}: {sum(v >= t for v in collapsed_truth.values()):,} "
            f"(as stored {sum(v >= t for v in truth_all.values()):,})"
            for t in THRESHOLDS
        )
        + "."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--update-docs", type=int, default=500)
    args = parser.parse_args()
    require(REUTERS)
    section = Section("bench_dedup", "Near-dedup: signature + LSH speed, index size, LSH recall", timing=True)
    section.text(
        f"One process pinned to CPU 0, one thread; numpy {np.__version__}, datasketch {datasketch.__version__}, "
        f"rensa {metadata.version('rensa') if rensa else 'not installed'}, "
        f"xxhash {xxhash.VERSION}; num_perm {NUM_PERM}, word {NGRAM}-grams."
    )
    records = read_jsonl(REUTERS)
    ids, bodies = [str(r["newid"]) for r in records], [r.get("body") or "" for r in records]
    docs = three_kb_documents(bodies)
    speed_part(section, docs, sum(1 for b in bodies if b.strip()), args)
    three_kb_ids = [f"r3k-{i:05d}" for i in range(len(docs))]
    index_part(section, {"3 KB documents": (three_kb_ids, docs), "Reuters bodies (id = newid)": (ids, bodies)})
    recall_part(section, bodies)
    section.write()


if __name__ == "__main__":
    main()
