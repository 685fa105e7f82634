"""Near-duplicates: LSH candidates, each verified, clustered, one copy kept per cluster.

Candidates come from LSH banding with the bands and rows datasketch's ``MinHashLSH``
chooses for ``threshold`` and ``num_perm`` (chosen as it does, without scipy:
:mod:`dqkit.dedup.banding`), done in numpy (:func:`candidate_pairs`).
Every candidate pair is verified with the Jaccard similarity estimated from the two full
signatures before it counts, so a pair that only shares a band is never a duplicate.
Verified pairs form clusters (union-find); in each cluster one document is kept by a
deterministic policy and every other names it in ``dup_of`` with their similarity. With
a persistent index (:mod:`dqkit.dedup.index`), documents accepted in earlier batches
take part too.

Signatures are computed where the texts are (each shard), the clustering where all
signatures meet; :func:`ranking_columns` gives what the keep policy needs besides.

>>> import polars as pl
>>> from dqkit.dedup.signatures import signatures
>>> texts = pl.DataFrame({"id": ["a", "b", "c"], "_order": [0, 1, 2], "_quality": [0.0, 0.0, 0.0],
...                       "text": ["one two three four five six seven eight nine ten",
...                                "one two three four five six seven eight nine ten eleven",
...                                "something else entirely, with other words in it"]})
>>> options = NearDupOptions(threshold=0.5)
>>> matrix, _ = signatures(texts["text"], options.scheme)
>>> docs = texts.with_columns(ranking_columns(pl.col("text"))).drop("text")
>>> find_near_duplicates(docs, matrix, options).select("id", "dup_of").rows()
[('a', 'b')]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl

from dqkit.dedup.banding import optimal_bands
from dqkit.dedup.index import Index
from dqkit.dedup.signatures import Scheme
from dqkit.frames import LENGTH, ORDER, QUALITY

KEEP_POLICIES = ("best", "earliest", "longest")


@dataclass(frozen=True)
class NearDupOptions:
    threshold: float = 0.5  # measured on syndication-dev: F1 1.0 at 0.45-0.5; at 0.4 a shared template merges
    num_perm: int = 128
    ngram: int = 5
    keep: str = "best"  # best | earliest | longest

    @property
    def scheme(self) -> Scheme:
        return Scheme(num_perm=self.num_perm, ngram=self.ngram)


class UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


LSH_MARGIN = 0.1  # candidates are collected below the threshold, so LSH misses fewer true pairs


BIG_BUCKET = 64  # documents sharing one band value beyond this are paired with its first member only


def lsh_bands(options: NearDupOptions) -> tuple[int, int]:
    """Bands and rows for the threshold, as datasketch's ``MinHashLSH`` chooses them."""
    return optimal_bands(max(0.05, options.threshold - LSH_MARGIN), options.num_perm)


def candidate_pairs(
    matrix: np.ndarray, options: NearDupOptions, bands: Iterable[int] | None = None
) -> set[tuple[int, int]]:
    """Pairs of documents that agree on all rows of at least one band (of ``bands``: a
    subset, so that bands can be shared out between workers; default all).

    The banding is datasketch's (:func:`lsh_bands`), done in numpy: the same candidates as
    inserting and querying a ``MinHashLSH`` (tested; benchmarks/bench_dedup.py runs both
    side by side), about ten times faster.
    """
    count, rows = lsh_bands(options)
    pairs: set[tuple[int, int]] = set()
    for band in range(count) if bands is None else bands:
        keys = np.ascontiguousarray(matrix[:, band * rows : (band + 1) * rows])
        keys = keys.view(np.dtype((np.void, keys.dtype.itemsize * rows))).ravel()
        _, bucket, counts = np.unique(keys, return_inverse=True, return_counts=True)
        shared = np.flatnonzero(counts[bucket] > 1)
        if not len(shared):
            continue
        order = shared[np.argsort(bucket[shared], kind="stable")]
        groups = np.split(order, np.flatnonzero(np.diff(bucket[order])) + 1)
        for group in groups:
            members = group.tolist()
            if len(members) > BIG_BUCKET:  # a star keeps it connected without k^2 pairs
                pairs.update((members[0], m) for m in members[1:])
                continue
            pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    return pairs


def ranking_columns(text: pl.Expr) -> pl.Expr:
    """``_length``, what the keep policies compare besides order and quality: characters
    with white-space runs counted once (spacing is not content)."""
    # The characters less each white-space run's extra ones: the length after replacing every
    # run by one space, without writing the replaced text (five times faster on Reuters).
    extra = text.str.extract_all(r"\s{2,}").list.eval(pl.element().str.len_chars() - 1).list.sum()
    return (text.str.len_chars() - extra.fill_null(0).cast(pl.UInt32)).alias(LENGTH)


def _ranking(docs: pl.DataFrame, keep: str) -> list[tuple]:
    """Sort key per document: the smallest key in a cluster is kept."""
    length = docs[LENGTH].to_list()
    order = docs[ORDER].to_list()
    ids = docs["id"].to_list()
    if keep == "earliest":
        return list(zip(order, ids, strict=True))
    if keep == "longest":
        return [(-n, o, i) for n, o, i in zip(length, order, ids, strict=True)]
    # best: the fewest repairs and MT flags, then the longest, then the smallest id
    quality = docs[QUALITY].to_list()
    return [(q, -n, i) for q, n, i in zip(quality, length, ids, strict=True)]


def find_near_duplicates(
    docs: pl.DataFrame,
    matrix: np.ndarray,
    options: NearDupOptions,
    index: Index | None = None,
    candidates=candidate_pairs,
) -> pl.DataFrame:
    """For ``docs`` (``id, _order, _quality, _length``) with signatures ``matrix`` (one row
    each): every non-kept member of a cluster, as ``id, dup_of, similarity, dup_batch``
    (``dup_batch``: the index batch of ``dup_of`` when it was accepted in an earlier batch).
    ``candidates(signatures, options)`` finds the LSH candidate pairs (:func:`candidate_pairs`,
    or an engine's version that shares the bands out).

    Documents already in ``index`` were accepted before: a cluster that holds one keeps
    it, and the pair similarity with an index document is estimated from the signatures.
    """
    schema = {"id": pl.String, "dup_of": pl.String, "similarity": pl.Float64, "dup_batch": pl.String}
    n = docs.height
    earlier = index.matrix if index is not None and index.size else np.empty((0, options.num_perm), np.uint32)
    if n + len(earlier) < 2:
        return pl.DataFrame(schema=schema)

    everything = np.vstack([matrix, earlier]) if len(earlier) else matrix  # no copy without an index

    def similarity(a: int, b: int) -> float:
        # Estimated from the full signatures: the same for a pair in one batch and for a pair
        # across batches (an index keeps signatures, not texts), so batches cluster like one run.
        return float((everything[a] == everything[b]).mean())

    union = UnionFind(n + len(earlier))
    for a, b in sorted(candidates(everything, options)):
        if a >= n:
            continue  # two earlier documents: deduplicated when they were accepted
        if similarity(a, b) >= options.threshold:
            union.union(a, b)
    clusters: dict[int, list[int]] = {}
    for node in range(n + len(earlier)):
        clusters.setdefault(union.find(node), []).append(node)
    rank = _ranking(docs, options.keep)
    ids = docs["id"].to_list()
    rows = []
    for members in clusters.values():
        batch_members = [m for m in members if m < n]
        if len(members) < 2 or not batch_members:
            continue
        previous = [m for m in members if m >= n]
        if previous:  # an earlier batch holds this story: its accepted copy stays
            assert index is not None  # members >= n are the index's documents
            position = {doc: k for k, doc in enumerate(index.ids)}
            targets = {index.dup_of[m - n] or index.ids[m - n] for m in previous}
            kept = n + min(position[t] for t in targets)
        else:
            kept = min(batch_members, key=lambda m: rank[m])
        kept_id = index.ids[kept - n] if index is not None and kept >= n else ids[kept]
        kept_batch = index.batches[kept - n] if index is not None and kept >= n else None
        for member in batch_members:
            if member != kept:
                value = similarity(min(member, kept), max(member, kept))
                rows.append((ids[member], kept_id, round(value, 4), kept_batch))
    return pl.DataFrame(rows, schema=schema, orient="row").sort("id")
