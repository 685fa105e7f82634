"""Near-duplicates: LSH candidates, each verified, clustered, one copy kept per cluster.

Candidates come from LSH banding (:mod:`dqkit.dedup.lsh`) with the bands and rows
datasketch's ``MinHashLSH`` chooses for ``threshold`` and ``num_perm``. Every candidate
pair is verified with the Jaccard similarity estimated from the two full signatures before
it counts, so a pair that only shares a band is never a duplicate (:mod:`dqkit.dedup.edges`).
The verified edges form clusters (:mod:`dqkit.dedup.components`); in each cluster one
document is kept by a deterministic policy and every other names it in ``dup_of`` with
their similarity, and the copy it joined through where that is not the kept one
(:func:`cluster_duplicates`). With a persistent index
(:mod:`dqkit.dedup.index`), documents accepted in earlier batches take part too.

Signatures are computed where the texts are (each shard) and stay there; the run finds
the edges in tasks over groups of bands and clusters them in the driver, which holds the
documents on an edge, never the signatures (:mod:`dqkit.pipeline`).
:func:`find_near_duplicates` does all of it in memory; :func:`ranking_columns` gives
what the keep policy needs besides.

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

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from dqkit.dedup.components import components
from dqkit.dedup.edges import BandGroup, similarities, verified_edges
from dqkit.dedup.index import Index
from dqkit.dedup.lsh import band_keys, lsh_bands
from dqkit.dedup.paths import steps_towards
from dqkit.dedup.signatures import Scheme
from dqkit.dedup.store import Source, Store
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


def ranking_columns(text: pl.Expr) -> pl.Expr:
    """``_length``, what the keep policies compare besides order and quality: characters
    with white-space runs counted once (spacing is not content)."""
    # The characters less each white-space run's extra ones: the length after replacing every
    # run by one space, without writing the replaced text (five times faster on Reuters).
    extra = text.str.extract_all(r"\s{2,}").list.eval(pl.element().str.len_chars() - 1).list.sum()
    return (text.str.len_chars() - extra.fill_null(0).cast(pl.UInt32)).alias(LENGTH)


SCHEMA = {
    "id": pl.String,
    "dup_of": pl.String,
    "similarity": pl.Float64,
    "dup_batch": pl.String,
    "linked_via": pl.String,
    "linked_via_similarity": pl.Float64,
}


def _rank_keys(ranked: pl.DataFrame, keep: str) -> list[np.ndarray]:
    """The keys, most significant first, whose smallest row in a cluster is kept (a larger
    length counts as smaller; the id last: its rank among the ranked documents)."""
    by_id = ranked["id"].rank("ordinal").to_numpy()
    order, length = ranked[ORDER].to_numpy(), -ranked[LENGTH].cast(pl.Int64).to_numpy()
    if keep == "earliest":
        return [order, by_id]
    if keep == "longest":
        return [length, order, by_id]
    # best: the fewest repairs and MT flags, then the longest, then the smallest id
    return [ranked[QUALITY].to_numpy() + 0.0, length, by_id]


def _earlier_targets(index: Index) -> np.ndarray:
    """For each document of the index, the position of the accepted copy it stands for."""
    position = {doc: k for k, doc in enumerate(index.ids)}
    return np.array([position[d] if d else k for k, d in enumerate(index.dup_of)], dtype=np.int64)


def cluster_duplicates(
    rankings: Callable[[np.ndarray], pl.DataFrame],
    batch: int,
    edges: np.ndarray,
    store: Store,
    options: NearDupOptions,
    index: Index | None = None,
) -> pl.DataFrame:
    """Every non-kept member of a cluster of ``edges``, as ``id, dup_of, similarity,
    dup_batch, linked_via, linked_via_similarity`` (``dup_batch``: the index batch of
    ``dup_of`` when it was accepted in an earlier batch; ``linked_via``: the copy through
    which it joined the cluster, null where it has an edge to ``dup_of``,
    :mod:`dqkit.dedup.paths`). Documents ``0 … batch-1`` of ``store`` are this batch's, the index's
    follow them; ``rankings(numbers)`` gives ``node, id, _order, _quality, _length`` of
    the batch's documents ``numbers``, asked of those in a cluster only.

    A cluster that holds a document of the index keeps its accepted copy; the similarity
    with an index document is estimated from the signatures, as within one batch, so that
    batches cluster like one run.
    """
    if not len(edges):
        return pl.DataFrame(schema=SCHEMA)
    # Only documents on an edge are in a cluster: number those alone, so that the step holds
    # what duplicates there are, not an array of every document; numpy, not frames and joins
    # (a few arrays of the clustered documents: about half the memory).
    clustered, local = np.unique(edges, return_inverse=True)
    root = clustered[components(local.reshape(edges.shape), len(clustered))]
    new = clustered < batch
    nodes, roots = clustered[new], root[new]  # ascending nodes
    if not len(nodes):  # clusters of earlier batches only: settled then
        return pl.DataFrame(schema=SCHEMA)
    ranked = rankings(nodes).sort("node")
    assert np.array_equal(ranked["node"].to_numpy(), nodes), "a ranking for every clustered document"
    order = np.lexsort([*reversed(_rank_keys(ranked, options.keep)), roots])  # by root, then the policy
    first = np.r_[True, roots[order][1:] != roots[order][:-1]]
    cluster_roots, kept = roots[order][first], nodes[order][first]  # roots ascending
    old, old_roots = clustered[~new], root[~new]
    targets = _earlier_targets(index)[old - batch] + batch if index is not None else old
    if len(old_roots):  # an earlier batch holds this story: its accepted copy stays
        by_root = np.lexsort([targets, old_roots])
        lead = np.r_[True, old_roots[by_root][1:] != old_roots[by_root][:-1]]
        held, accepted = old_roots[by_root][lead], targets[by_root][lead]
        at = np.searchsorted(cluster_roots, held)
        inside = (at < len(cluster_roots)) & (cluster_roots[np.minimum(at, len(cluster_roots) - 1)] == held)
        kept[at[inside]] = accepted[inside]
    keeper = kept[np.searchsorted(cluster_roots, roots)]
    copies = np.flatnonzero(keeper != nodes)
    member, keeper = nodes[copies], keeper[copies]
    similarity = similarities(store, np.stack([member, keeper], axis=1))
    steps = np.concatenate([edges, _accepted_links(old, targets, old_roots, cluster_roots, kept)])
    via, via_similarity = steps_towards(steps, member, keeper, functools.partial(similarities, store))
    ids = ranked["id"]

    def names(numbers: np.ndarray) -> tuple[list[str | None], list[str | None]]:
        """The id of each document ``numbers`` (None for -1) and its index batch (None: this one's)."""
        found: list[str | None] = [None] * len(numbers)
        batches: list[str | None] = [None] * len(numbers)
        inside_batch = np.flatnonzero((numbers >= 0) & (numbers < batch))
        named = ids.gather(np.searchsorted(nodes, numbers[inside_batch])).to_list()
        for position, name in zip(inside_batch.tolist(), named, strict=True):
            found[position] = name
        for position in np.flatnonzero(numbers >= batch).tolist():
            assert index is not None
            found[position] = index.ids[numbers[position] - batch]
            batches[position] = index.batches[numbers[position] - batch]
        return found, batches

    kept_ids, kept_batches = names(keeper)
    return pl.DataFrame(
        {
            "id": ids.gather(copies),
            "dup_of": kept_ids,
            "similarity": [round(float(value), 4) for value in similarity],
            "dup_batch": kept_batches,
            "linked_via": names(via)[0],
            "linked_via_similarity": [None if np.isnan(v) else round(float(v), 4) for v in via_similarity],
        },
        schema=SCHEMA,
    ).sort("id")


def _accepted_links(
    old: np.ndarray, targets: np.ndarray, old_roots: np.ndarray, cluster_roots: np.ndarray, kept: np.ndarray
) -> np.ndarray:
    """The edges an earlier batch settled that lead to the kept copies: each index
    document ``old`` (in the cluster of ``old_roots``) to the accepted copy it stands for
    (``targets``), where its cluster keeps that copy (``kept`` of ``cluster_roots``), so
    that every copy has a path to its kept copy (pairs within the index are not edges)."""
    at = np.minimum(np.searchsorted(cluster_roots, old_roots), max(len(cluster_roots) - 1, 0))
    leads = (cluster_roots[at] == old_roots) & (kept[at] == targets) & (targets != old)
    return np.stack([np.minimum(old, targets)[leads], np.maximum(old, targets)[leads]], axis=1)


def index_source(index: Index | None, options: NearDupOptions, start: int) -> tuple[Source, ...]:
    """The index's documents as the last block of a store (none without an index)."""
    if index is None or not index.size:
        return ()
    return (Source(index.matrix, band_keys(index.matrix, *lsh_bands(options)), start),)


def find_near_duplicates(
    docs: pl.DataFrame, matrix: np.ndarray, options: NearDupOptions, index: Index | None = None
) -> pl.DataFrame:
    """:func:`cluster_duplicates` of ``docs`` with signatures ``matrix`` (one row each),
    every step in this process."""
    bands = lsh_bands(options)
    store = Store((Source(matrix, band_keys(matrix, *bands), 0), *index_source(index, options, len(matrix))))
    edges, _ = verified_edges(BandGroup(store, tuple(range(bands[0])), options.threshold, len(matrix)))
    numbered = docs.with_row_index("node").with_columns(pl.col("node").cast(pl.Int64))
    return cluster_duplicates(
        lambda numbers: numbered.filter(pl.col("node").is_in(pl.Series(numbers).implode())),
        len(matrix),
        edges,
        store,
        options,
        index,
    )
