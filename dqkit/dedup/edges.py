"""The shuffle of near-dedup: one task per group of bands finds its verified edges.

A task reads one band at a time of every block's band keys (:class:`~dqkit.dedup.store.Store`),
pairs the documents that share a key (:func:`~dqkit.dedup.lsh.band_pairs`), and keeps a
candidate pair only when the Jaccard similarity estimated from the two full signatures
reaches the threshold: an *edge*. Its edges go to a ``.npy`` file (or come back, in memory),
and the clustering (:mod:`dqkit.dedup.components`) needs nothing else. Pairs of two
documents of an earlier batch (both numbers at or above ``batch``) were settled when that
batch was accepted and are skipped. Tasks of different groups are independent, so an
engine runs them side by side; together they find every edge one task over all bands finds.

>>> import numpy as np
>>> from dqkit.dedup.lsh import band_keys
>>> from dqkit.dedup.store import Source, Store
>>> matrix = np.array([[1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 8, 9]], dtype=np.uint32)
>>> store = Store((Source(matrix, band_keys(matrix, 2, 2), 0),))
>>> group = BandGroup(store, bands=(0, 1), threshold=0.7, batch=3)
>>> edges, found = verified_edges(group)
>>> edges.tolist(), found
([[0, 1]], {'candidates': 3, 'edges': 1})
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from dqkit.dedup.lsh import band_pairs, unique_pairs
from dqkit.dedup.store import Store, bucket_of
from dqkit.peak_memory import own_peak_rss_mb

# Candidate pairs whose signatures are read at once. Reading a row of a memory-mapped shard
# file maps the pages around it too, so fewer at a time keep a step's peak down: on 5M
# synthetic documents the clusters step peaked at 327 MiB with 32,768 and 267 MiB with
# 8,192, in the same time.
VERIFY_PAIRS = 8_192


@dataclass(frozen=True)
class BandGroup:
    """One task: ``bands`` of the documents in ``store``, the first ``batch`` of them new."""

    store: Store
    bands: tuple[int, ...]
    threshold: float
    batch: int
    out: str | None = None  # where the edges go (.npy); None: returned
    bucket: int = 0  # of each band, the keys of this bucket of ``buckets`` (Store.band)
    buckets: int = 1


def similarities(store: Store, pairs: np.ndarray) -> np.ndarray:
    """The share of equal slots of each pair's two signatures (``pairs × 2`` numbers), in
    slices of :data:`VERIFY_PAIRS` so that only their signatures are read at once."""
    found = np.empty(len(pairs), dtype=np.float64)
    for start in range(0, len(pairs), VERIFY_PAIRS):
        chunk = pairs[start : start + VERIFY_PAIRS]
        left, right = store.signatures(chunk[:, 0]), store.signatures(chunk[:, 1])
        found[start : start + len(chunk)] = np.count_nonzero(left == right, axis=1) / left.shape[1]
    return found


def _bucket_pairs(group: BandGroup, band: int) -> np.ndarray:
    """The candidate pairs (document numbers) of ``band`` in the group's bucket."""
    keys, numbers = group.store.band(band, group.bucket, group.buckets)
    return numbers[band_pairs(keys)]


def _owner(group: BandGroup, pairs: np.ndarray) -> np.ndarray:
    """The bucket that owns each pair: that of the first of the group's bands where its two
    documents share a key. A pair that shares keys in several bands is found by the tasks of
    several buckets; only its owner keeps it, so it is verified once."""
    owner = np.full(len(pairs), -1, dtype=np.int64)
    for band in group.bands:
        left, right = group.store.keys_of(band, pairs[:, 0]), group.store.keys_of(band, pairs[:, 1])
        first = (left == right) & (owner < 0)
        owner[first] = bucket_of(left[first], group.buckets)
    return owner


def verified_edges(group: BandGroup) -> tuple[np.ndarray, dict[str, int]]:
    """The group's edges (``edges × 2`` int64, ``a < b``, sorted) and its counts."""
    pairs = unique_pairs(_bucket_pairs(group, band) for band in group.bands)
    if group.buckets > 1:
        pairs = pairs[_owner(group, pairs) == group.bucket]
    pairs = pairs[pairs[:, 0] < group.batch]  # both of an earlier batch: settled then
    edges = pairs[similarities(group.store, pairs) >= group.threshold] if len(pairs) else pairs
    return edges, {"candidates": len(pairs), "edges": len(edges)}


def band_group_task(group: BandGroup) -> dict:
    """An engine's task: the group's edges written to ``group.out``; its counts, and the
    process that ran it with its peak memory."""
    assert group.out is not None, "a task writes its edges to a file"
    edges, found = verified_edges(group)
    np.save(group.out, edges)
    return {**found, "pid": os.getpid(), "peak_rss_mb": own_peak_rss_mb()}
