"""Signatures and band keys where they lie, addressed by the run's document numbers.

Near-dedup numbers the documents that take part: the batch's, shard after shard in input
order, then those of a persistent index. Nobody holds one matrix of all signatures: each
shard folder keeps its own (``signatures.npy``, documents × slots, and ``band_keys.npy``,
bands × documents), and a :class:`Store` reads the rows a step asks for, memory-mapped, so a
band-group task touches one band of keys at a time and the signatures of its candidate
pairs only.

>>> import numpy as np
>>> first = Source(np.array([[1, 1], [2, 2], [3, 3]], np.uint32), np.zeros((1, 3), np.uint64), 0, np.array([0, 2]))
>>> second = Source(np.array([[4, 4]], np.uint32), np.ones((1, 1), np.uint64), 2)
>>> store = Store((first, second))
>>> store.size, store.signatures(np.array([2, 0, 1])).tolist(), [a.tolist() for a in store.band(0)]
(3, [[4, 4], [1, 1], [3, 3]], [[0, 0, 1], [0, 1, 2]])
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np


def bucket_of(keys: np.ndarray, buckets: int) -> np.ndarray:
    """The bucket of each band key: its top bits (``buckets`` a power of two)."""
    return (
        (keys >> np.uint64(64 - buckets.bit_length() + 1)).astype(np.int64)
        if buckets > 1
        else np.zeros(len(keys), np.int64)
    )


@dataclass(frozen=True)
class Source:
    """One block of documents: its signatures and band keys (arrays, or the paths of
    ``.npy`` files), the number of its first document, and which of its rows take part
    (``None``: all; a shard's rows less the documents dropped for a repeated id)."""

    signatures: np.ndarray | str
    keys: np.ndarray | str
    start: int
    rows: np.ndarray | None = None

    def _open(self, what: np.ndarray | str) -> np.ndarray:
        return what if isinstance(what, np.ndarray) else np.load(what, mmap_mode="r")

    @property
    def size(self) -> int:
        return len(self.rows) if self.rows is not None else self._open(self.signatures).shape[0]

    def file_rows(self, local: np.ndarray) -> np.ndarray:
        """The rows of its files that hold its documents ``local`` (numbers from 0 within the block)."""
        return local if self.rows is None else self.rows[local]

    def signature_rows(self, local: np.ndarray) -> np.ndarray:
        """The signatures of its documents ``local``."""
        return self._open(self.signatures)[self.file_rows(local)]

    def band(self, band: int) -> np.ndarray:
        keys = self._open(self.keys)[band]
        return np.asarray(keys if self.rows is None else keys[self.rows])

    def keys_of(self, band: int, local: np.ndarray) -> np.ndarray:
        """The keys of ``band`` of its documents ``local``."""
        return self._open(self.keys)[band][self.file_rows(local)]

    def band_bucket(self, band: int, bucket: int, buckets: int) -> tuple[np.ndarray, np.ndarray]:
        """Its keys of ``band`` that fall in ``bucket`` of ``buckets`` (a power of two: the
        keys' top bits), and the numbers of their documents."""
        assert buckets > 0 and buckets & (buckets - 1) == 0, "buckets are a power of two"
        keys = self.band(band)
        if buckets == 1:
            return keys, self.start + np.arange(len(keys))
        chosen = np.flatnonzero(bucket_of(keys, buckets) == bucket)
        return keys[chosen], self.start + chosen


@dataclass(frozen=True)
class Store:
    """The blocks of one run in document-number order (each ``start`` the sum of the sizes
    before it)."""

    sources: tuple[Source, ...]
    _starts: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", np.array([s.start for s in self.sources], dtype=np.int64))

    @property
    def size(self) -> int:
        return sum(s.size for s in self.sources)

    def locate(self, numbers: np.ndarray) -> Iterator[tuple[Source, np.ndarray, np.ndarray]]:
        """For each block that holds some of the documents ``numbers``: the block, which of
        ``numbers`` it holds (a mask) and their numbers within it."""
        which = np.searchsorted(self._starts, numbers, side="right") - 1
        for k in np.unique(which).tolist():
            chosen = which == k
            yield self.sources[k], chosen, numbers[chosen] - self.sources[k].start

    def signatures(self, numbers: np.ndarray) -> np.ndarray:
        """``len(numbers) × slots``: the signature of each document of ``numbers``."""
        rows: np.ndarray | None = None
        for source, chosen, local in self.locate(numbers):
            block = source.signature_rows(local)
            if rows is None:
                rows = np.empty((len(numbers), block.shape[1]), dtype=block.dtype)
            rows[chosen] = block
        return rows if rows is not None else np.empty((0, 0), dtype=np.uint32)

    def keys_of(self, band: int, numbers: np.ndarray) -> np.ndarray:
        """The keys of ``band`` of the documents ``numbers``."""
        keys = np.empty(len(numbers), dtype=np.uint64)
        for source, chosen, local in self.locate(numbers):
            keys[chosen] = source.keys_of(band, local)
        return keys

    def band(self, band: int, bucket: int = 0, buckets: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """The keys of ``band`` in ``bucket`` of ``buckets`` (by their top bits; one bucket:
        all), in document order, and the numbers of their documents. Documents that share
        a key share its bucket, so a bucket's pairs need no other bucket: a task that holds
        one holds ``1 / buckets`` of the band."""
        parts = [s.band_bucket(band, bucket, buckets) for s in self.sources]
        keys = np.concatenate([np.empty(0, np.uint64), *(k for k, _ in parts)])
        return keys, np.concatenate([np.empty(0, np.int64), *(n for _, n in parts)])
