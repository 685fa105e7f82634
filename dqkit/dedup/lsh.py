"""LSH banding: band keys, and the candidate pairs of documents that share one.

A signature of ``bands × rows`` slots is cut into bands; two documents are candidates
when every slot of at least one band agrees. Each band of each signature is reduced to a
64-bit *band key* (:func:`band_keys`), so that a band is one number to sort and to store:
a shard writes its keys band by band (band-major, one contiguous run per band) and the
task that owns a group of bands reads only its runs. The bands and rows are those
datasketch's ``MinHashLSH`` chooses for the threshold (:func:`lsh_bands`), and the
candidates are the ones its insert-and-query gives (tested).

A band key packs the band's 32-bit slots two to a 64-bit word and folds the words with
the splitmix64 finaliser, a bijection: bands of one or two slots never collide, longer
ones collide with probability about 2^-64 per pair of documents, which a verified pair
(its similarity from the two full signatures) would absorb in any case.

>>> import numpy as np
>>> matrix = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 7, 3, 4]], dtype=np.uint32)
>>> keys = band_keys(matrix, bands=2, rows=2)
>>> keys.shape, bool(keys[0, 0] == keys[0, 1]), bool(keys[1, 0] == keys[1, 2])
((2, 3), True, True)
>>> band_pairs(keys[0]).tolist(), band_pairs(keys[1]).tolist()
([[0, 1]], [[0, 2]])
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from dqkit.dedup.banding import optimal_bands

if TYPE_CHECKING:
    from dqkit.dedup.near import NearDupOptions

LSH_MARGIN = 0.1  # candidates are collected below the threshold, so LSH misses fewer true pairs
BIG_BUCKET = 64  # documents sharing one band key beyond this are paired with its first member only

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_SEED = np.uint64(0x9E3779B97F4A7C15)


def lsh_bands(options: NearDupOptions) -> tuple[int, int]:
    """Bands and rows for the threshold, as datasketch's ``MinHashLSH`` chooses them."""
    return optimal_bands(max(0.05, options.threshold - LSH_MARGIN), options.num_perm)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place: a bijection of 64-bit words that spreads every bit."""
    z ^= z >> np.uint64(30)
    z *= _M1
    z ^= z >> np.uint64(27)
    z *= _M2
    z ^= z >> np.uint64(31)
    return z


def band_keys(matrix: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``bands × documents`` uint64: the key of each band of each signature (``matrix``:
    documents × slots, uint32; slots beyond ``bands · rows`` are not banded)."""
    keys = np.empty((bands, len(matrix)), dtype=np.uint64)
    for band in range(bands):
        slots = matrix[:, band * rows : (band + 1) * rows].astype(np.uint64)
        key = np.full(len(matrix), _SEED, dtype=np.uint64)
        for word in range(0, rows, 2):
            packed = slots[:, word] << np.uint64(32)
            if word + 1 < rows:
                packed |= slots[:, word + 1]
            key ^= packed
            _mix(key)
        keys[band] = key
    return keys


def band_pairs(keys: np.ndarray) -> np.ndarray:
    """``pairs × 2`` int64, ``a < b``: the documents (positions in ``keys``) that share a key.

    A key shared by up to :data:`BIG_BUCKET` documents pairs all of them; a bigger one
    (a template, an empty text) is a star from its first document, which keeps them
    connected without k² pairs.
    """
    order = np.argsort(keys, kind="stable")  # stable: each key's documents in ascending order
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    found = [np.empty((0, 2), dtype=np.int64)]
    for size in np.unique(sizes[sizes > 1]).tolist():
        members = order[starts[sizes == size][:, None] + np.arange(size)]  # one row per key
        if size > BIG_BUCKET:
            first, rest = np.zeros(size - 1, dtype=np.intp), np.arange(1, size)
        else:
            first, rest = np.triu_indices(size, 1)
        found.append(np.stack([members[:, first].ravel(), members[:, rest].ravel()], axis=1).astype(np.int64))
    return np.concatenate(found)


def unique_pairs(pairs: Iterable[np.ndarray]) -> np.ndarray:
    """The distinct rows of several ``pairs × 2`` arrays, sorted."""
    stacked = np.concatenate([np.empty((0, 2), dtype=np.int64), *pairs])
    return np.unique(stacked, axis=0)


def candidate_pairs(
    matrix: np.ndarray, options: NearDupOptions, bands: Iterable[int] | None = None
) -> set[tuple[int, int]]:
    """Pairs of rows of ``matrix`` that agree on all rows of at least one band (of
    ``bands``; default all): the candidates of inserting and querying a ``MinHashLSH``
    (tested; benchmarks/bench_dedup.py runs both side by side)."""
    count, rows = lsh_bands(options)
    keys = band_keys(matrix, count, rows)
    found = unique_pairs(band_pairs(keys[band]) for band in (range(count) if bands is None else bands))
    return {(int(a), int(b)) for a, b in found}
