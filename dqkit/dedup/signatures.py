"""MinHash signatures computed in bulk: tokens hashed once per distinct word, n-gram
shingles combined and permuted in numpy, no Python call per shingle.

Text is normalised first (lower case, punctuation and symbols dropped, split on any white
space), so a copy with other quotes, a repaired join or different line breaks has the
same shingles.
Hashes are stable across runs, machines and library versions: xxhash64 with a fixed seed
for words, fixed 64-bit arithmetic for n-grams, and the affine32 permutation scheme
(``h' = a·fmix32(h) + b mod 2^32``) with dqkit's own permutations drawn from a fixed seed.
The values are not comparable with sketches datasketch computes itself (its own
permutations differ); only datasketch's choice of LSH bands and rows is used with them.

>>> sig, shingles = signatures(["one two three four five six", "one two three four five seven", ""])
>>> sig.shape, sig.dtype, [len(s) for s in shingles]
((3, 128), dtype('uint32'), [2, 2, 0])
>>> float((sig[0] == sig[1]).mean()) < 1.0 and bool((sig[0] == sig[0]).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import overload

import numpy as np
import polars as pl
import xxhash

HASH_SEED = 20241022
PERMUTATION_SEED = 1
PRIME = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier that mixes n-gram positions
CHUNK_SHINGLES = 8192  # shingles permuted at once: a 4 MB buffer (128 permutations), fastest measured


@dataclass(frozen=True)
class Scheme:
    """Everything that decides a signature: stored with a persistent index."""

    num_perm: int = 128
    ngram: int = 5
    text: str = "lowercase-no-punctuation-ws-split"
    hash: str = "xxh64-seed20241022-ngram-mix64-fold32"
    permutation: str = "affine32-fmix32-seed1"

    def as_dict(self) -> dict:
        return asdict(self)


def normalise(texts: pl.Expr) -> pl.Expr:
    """The words a signature is made of: the maximal runs of characters that are neither
    punctuation, symbol nor white space, in lower case."""
    # No Unicode normalisation here: clean text is NFC already, and NFKC would double the cost.
    # One regex pass: the same tokens as replacing those runs by a space and splitting on it
    # (pinned in tests/test_near_dedup.py), without a list.eval filter per document.
    return texts.str.to_lowercase().str.extract_all(r"[^\p{P}\p{S}\s]+")


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(PERMUTATION_SEED)
    a = rng.randint(1, 2**32, size=num_perm, dtype=np.uint64).astype(np.uint32) | np.uint32(1)
    b = rng.randint(0, 2**32, size=num_perm, dtype=np.uint64).astype(np.uint32)
    return a, b


class Shingles(Sequence[np.ndarray]):
    """The 32-bit shingle hashes of every document, in one flat array: document ``i`` is
    ``hashes[offsets[i]:offsets[i + 1]]`` (a view), so no array is built per document."""

    def __init__(self, hashes: np.ndarray, offsets: np.ndarray):
        self.hashes = hashes
        self.offsets = offsets

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, index: int) -> np.ndarray: ...
    @overload
    def __getitem__(self, index: slice) -> list[np.ndarray]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        index %= len(self)
        return self.hashes[self.offsets[index] : self.offsets[index + 1]]


def word_hashes(words: pl.Series) -> np.ndarray:
    """xxh64 (seed ``HASH_SEED``) of every word, computed once per distinct word."""
    vocabulary = words.unique(maintain_order=True)
    hashes = np.fromiter(
        (xxhash.xxh64_intdigest(w.encode("utf-8"), seed=HASH_SEED) for w in vocabulary),
        dtype=np.uint64,
        count=len(vocabulary),
    )
    # An Enum of the vocabulary numbers every word by its place there: one hash lookup per
    # word, where joining on the strings took twice as long.
    codes = words.cast(pl.Enum(vocabulary)).to_physical().to_numpy()
    return hashes[codes]


def _fold(values: np.ndarray) -> np.ndarray:
    """64-bit n-gram values to the 32-bit shingle hashes."""
    return (values ^ (values >> np.uint64(32))).astype(np.uint32)


def shingle_hashes(token_lists: pl.Series, ngram: int) -> Shingles:
    """Per document, the 32-bit hashes of its word n-grams (a document shorter than
    ``ngram`` words is one shingle of all its words). Repeats are kept: MinHash ignores
    them, and exact Jaccard takes ``np.unique`` of the two documents it compares."""
    lengths = token_lists.list.len().fill_null(0).to_numpy().astype(np.int64)
    words = word_hashes(token_lists.explode().drop_nulls())
    starts = np.cumsum(lengths) - lengths  # where each text's words begin (none for no texts)
    total = len(words)
    # n-gram hash at every position i: sum of words[i + k] * PRIME^(n-1-k), in wrapping uint64.
    combined = np.zeros(total, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(ngram):
            shifted = np.zeros(total, dtype=np.uint64)
            if offset < total:  # fewer words in all than one n-gram: nothing to shift in
                shifted[: total - offset] = words[offset:]
            combined = combined * PRIME + shifted
    sizes = np.where(lengths >= ngram, lengths - ngram + 1, np.minimum(lengths, 1))
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    # document d's shingles are the n-grams at its first sizes[d] word positions
    positions = np.repeat(starts - offsets[:-1], sizes) + np.arange(offsets[-1])
    hashes = _fold(combined[positions]) if total else np.empty(0, dtype=np.uint32)
    short = np.flatnonzero((lengths > 0) & (lengths < ngram))
    hashes[offsets[short]] = _fold(_short_values(words, starts[short], lengths[short], ngram))
    return Shingles(hashes, offsets)


def _short_values(words: np.ndarray, starts: np.ndarray, lengths: np.ndarray, ngram: int) -> np.ndarray:
    """The one n-gram value of each document shorter than ``ngram`` words: the same mix over
    all its words (the next document's words do not count)."""
    values = np.zeros(len(starts), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(ngram - 1):
            inside = k < lengths
            word = words[np.where(inside, starts + k, 0)]
            values = np.where(inside, values * PRIME + word, values)
    return values


def minhash(shingles: Shingles, num_perm: int) -> np.ndarray:
    """The (documents x num_perm) signature matrix; an empty document gets all 2^32-1.

    Consecutive documents are permuted together, up to ``CHUNK_SHINGLES`` shingles at a
    time, into one buffer that is reused: a fresh permutations x shingles array per chunk
    cost more in page faults than the arithmetic. A document longer than a chunk is
    permuted a slice at a time, so memory stays bounded by the chunk."""
    a, b = permutations(num_perm)
    signatures = np.full((len(shingles), num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    values = _fmix32(shingles.hashes)
    offsets, sizes = shingles.offsets, shingles.sizes
    buffer = np.empty((num_perm, CHUNK_SHINGLES), dtype=np.uint32)
    doc = 0
    while doc < len(shingles):
        # the documents from doc on whose shingles fit in one chunk (at least doc itself)
        end = max(int(np.searchsorted(offsets, offsets[doc] + CHUNK_SHINGLES, side="right")) - 1, doc + 1)
        if sizes[doc] > CHUNK_SHINGLES:  # one long document
            for start in range(offsets[doc], offsets[doc + 1], CHUNK_SHINGLES):
                part = _permute(values[start : min(start + CHUNK_SHINGLES, offsets[doc + 1])], a, b, buffer)
                signatures[doc] = np.minimum(signatures[doc], part.min(axis=1))
        else:
            permuted = _permute(values[offsets[doc] : offsets[end]], a, b, buffer)
            present = np.flatnonzero(sizes[doc:end])
            if len(present):
                starts = offsets[doc:end][present] - offsets[doc]
                signatures[doc + present] = np.minimum.reduceat(permuted, starts, axis=1).T
        doc = end
    return signatures


def _permute(values: np.ndarray, a: np.ndarray, b: np.ndarray, buffer: np.ndarray) -> np.ndarray:
    """``a·values + b mod 2^32`` as permutations x shingles (so the per-document minimum runs
    along contiguous rows), written into the front of ``buffer``."""
    out = buffer[:, : len(values)]
    np.multiply(a[:, None], values[None, :], out=out)
    np.add(out, b[:, None], out=out)
    return out


def signatures(texts: list[str] | pl.Series, scheme: Scheme = Scheme()) -> tuple[np.ndarray, Shingles]:
    """(signature matrix, shingle hashes per document) for ``texts``."""
    tokens = pl.DataFrame({"t": pl.Series(texts, dtype=pl.String).fill_null("")}).select(normalise(pl.col("t")))["t"]
    shingles = shingle_hashes(tokens, scheme.ngram)
    return minhash(shingles, scheme.num_perm), shingles
