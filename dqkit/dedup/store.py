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
>>> store.size, store.signatures(np.array([2, 0, 1])).tolist(), store.band(0).tolist()
(3, [[4, 4], [1, 1], [3, 3]], [0, 0, 1])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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

    def signature_rows(self, local: np.ndarray) -> np.ndarray:
        """The signatures of its documents ``local`` (numbers from 0 within the block)."""
        return self._open(self.signatures)[local if self.rows is None else self.rows[local]]

    def band(self, band: int) -> np.ndarray:
        keys = self._open(self.keys)[band]
        return np.asarray(keys if self.rows is None else keys[self.rows])


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

    def signatures(self, numbers: np.ndarray) -> np.ndarray:
        """``len(numbers) × slots``: the signature of each document of ``numbers``."""
        which = np.searchsorted(self._starts, numbers, side="right") - 1
        rows: np.ndarray | None = None
        for k in np.unique(which).tolist():
            chosen = which == k
            block = self.sources[k].signature_rows(numbers[chosen] - self.sources[k].start)
            if rows is None:
                rows = np.empty((len(numbers), block.shape[1]), dtype=block.dtype)
            rows[chosen] = block
        return rows if rows is not None else np.empty((0, 0), dtype=np.uint32)

    def band(self, band: int) -> np.ndarray:
        """Every document's key of ``band``, in document order."""
        return np.concatenate([np.empty(0, np.uint64), *(s.band(band) for s in self.sources)])
