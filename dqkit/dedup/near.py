"""Near-duplicates: LSH candidates, each verified, clustered, one copy kept per cluster.

Candidates come from datasketch's ``MinHashLSH`` (bands and rows chosen for
``threshold`` and ``num_perm``). Every candidate pair is verified with the exact Jaccard
similarity of the two documents' shingle sets before it counts, so a pair that only shares
a band is never a duplicate. Verified pairs form clusters (union-find); in each cluster
one document is kept by a deterministic policy and every other names it in ``dup_of``
with their similarity.

>>> import polars as pl
>>> docs = pl.DataFrame({"id": ["a", "b", "c"], "_order": [0, 1, 2], "_quality": [0.0, 0.0, 0.0],
...                      "text": ["one two three four five six seven eight nine ten",
...                               "one two three four five six seven eight nine ten eleven",
...                               "something else entirely, with other words in it"]})
>>> find_near_duplicates(docs, NearDupOptions(threshold=0.5)).select("id", "dup_of").rows()
[('a', 'b')]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from datasketch import LeanMinHash, MinHashLSH

from dqkit.dedup.signatures import PERMUTATION_SEED, Scheme, signatures

KEEP_POLICIES = ("best", "earliest", "longest")


@dataclass(frozen=True)
class NearDupOptions:
    threshold: float = 0.4
    num_perm: int = 128
    ngram: int = 5
    keep: str = "best"  # best | earliest | longest

    @property
    def scheme(self) -> Scheme:
        return Scheme(num_perm=self.num_perm, ngram=self.ngram)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.unique(a), np.unique(b)
    if not len(a) and not len(b):
        return 1.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


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


def candidate_pairs(matrix: np.ndarray, options: NearDupOptions) -> set[tuple[int, int]]:
    lsh = MinHashLSH(threshold=options.threshold, num_perm=options.num_perm)
    sketches = [LeanMinHash(seed=PERMUTATION_SEED, hashvalues=row, scheme="affine32") for row in matrix]
    with lsh.insertion_session() as session:
        for index, sketch in enumerate(sketches):
            session.insert(index, sketch, check_duplication=False)
    pairs = set()
    for index, sketch in enumerate(sketches):
        for other in lsh.query(sketch):
            if other != index:
                pairs.add((min(index, other), max(index, other)))
    return pairs


def _ranking(docs: pl.DataFrame, keep: str) -> list[tuple]:
    """Sort key per document: the smallest key in a cluster is kept."""
    length = docs["text"].str.len_chars().to_list()
    order = docs["_order"].to_list()
    ids = docs["id"].to_list()
    if keep == "earliest":
        return list(zip(order, ids))
    if keep == "longest":
        return [(-n, o, i) for n, o, i in zip(length, order, ids)]
    # best: the fewest repairs and MT flags, then the longest, then the smallest id
    quality = docs["_quality"].to_list()
    return [(q, -n, i) for q, n, i in zip(quality, length, ids)]


def find_near_duplicates(docs: pl.DataFrame, options: NearDupOptions) -> pl.DataFrame:
    """For ``docs`` (``id, text, _order, _quality``): every non-kept member of a cluster,
    as ``id, dup_of, similarity, cluster_id`` (cluster_id = the kept document's id)."""
    schema = {"id": pl.String, "dup_of": pl.String, "similarity": pl.Float64, "cluster_id": pl.String}
    if docs.height < 2:
        return pl.DataFrame(schema=schema)
    matrix, shingles = signatures(docs["text"], options.scheme)
    union = UnionFind(docs.height)
    similarity: dict[tuple[int, int], float] = {}
    for a, b in sorted(candidate_pairs(matrix, options)):
        value = jaccard(shingles[a], shingles[b])
        if value >= options.threshold:
            similarity[(a, b)] = value
            union.union(a, b)
    clusters: dict[int, list[int]] = {}
    for index in range(docs.height):
        clusters.setdefault(union.find(index), []).append(index)
    rank = _ranking(docs, options.keep)
    ids = docs["id"].to_list()
    rows = []
    for members in clusters.values():
        if len(members) < 2:
            continue
        kept = min(members, key=lambda m: rank[m])
        for member in members:
            if member != kept:
                pair = (min(member, kept), max(member, kept))
                value = similarity.get(pair)
                if value is None:  # joined through a chain: say how similar it is to the kept copy
                    value = jaccard(shingles[member], shingles[kept])
                rows.append((ids[member], ids[kept], round(value, 4), ids[kept]))
    return pl.DataFrame(rows, schema=schema, orient="row").sort("id")
