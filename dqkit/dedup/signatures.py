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

from dataclasses import asdict, dataclass

import numpy as np
import polars as pl
import xxhash

HASH_SEED = 20241022
PERMUTATION_SEED = 1
PRIME = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier that mixes n-gram positions
CHUNK_SHINGLES = 16_000  # shingles permuted at once: small enough to stay in the CPU cache


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
    """The words a signature is made of."""
    # No Unicode normalisation here: clean text is NFC already, and NFKC would double the cost.
    return (
        texts.str.to_lowercase()
        .str.replace_all(r"[\p{P}\p{S}\s]+", " ")
        .str.strip_chars()
        .str.split(by=" ")
        .list.eval(pl.element().filter(pl.element() != ""))
    )


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


def shingle_hashes(token_lists: pl.Series, ngram: int) -> list[np.ndarray]:
    """Per document, the 32-bit hashes of its word n-grams (a document shorter than
    ``ngram`` words is one shingle of all its words). Repeats are kept: MinHash ignores
    them, and exact Jaccard takes ``np.unique`` of the two documents it compares."""
    flat = token_lists.explode()
    lengths = token_lists.list.len().fill_null(0).to_numpy().astype(np.int64)
    vocabulary = flat.drop_nulls().unique()
    word_hash = pl.Series(
        [xxhash.xxh64_intdigest(w.encode("utf-8"), seed=HASH_SEED) for w in vocabulary], dtype=pl.UInt64
    )
    words = (
        pl.DataFrame({"w": flat})
        .join(pl.DataFrame({"w": vocabulary, "h": word_hash}), on="w", how="left", maintain_order="left")["h"]
        .fill_null(0)
        .to_numpy()
    )
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
    folded = (combined ^ (combined >> np.uint64(32))).astype(np.uint32)
    result = []
    for start, length in zip(starts, lengths, strict=True):
        if length >= ngram:
            result.append(folded[start : start + length - ngram + 1])
        elif length == 0:
            result.append(np.empty(0, dtype=np.uint32))
        else:  # shorter than one n-gram: all its words are the one shingle
            with np.errstate(over="ignore"):
                value = np.uint64(0)
                for word in words[start : start + length]:
                    value = value * PRIME + word
            result.append(np.array([(value ^ (value >> np.uint64(32))) & np.uint64(0xFFFFFFFF)], dtype=np.uint32))
    return result


def minhash(shingles: list[np.ndarray], num_perm: int) -> np.ndarray:
    """The (documents x num_perm) signature matrix; an empty document gets all 2^32-1."""
    a, b = permutations(num_perm)
    signatures = np.full((len(shingles), num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    doc = 0
    while doc < len(shingles):
        if len(shingles[doc]) > CHUNK_SHINGLES:  # one long document: a slice of its shingles at a time
            values = _fmix32(shingles[doc])
            for start in range(0, len(values), CHUNK_SHINGLES):
                part = values[start : start + CHUNK_SHINGLES]
                with np.errstate(over="ignore"):
                    permuted = a[:, None] * part[None, :] + b[:, None]
                signatures[doc] = np.minimum(signatures[doc], permuted.min(axis=1))
            doc += 1
            continue
        end, rows = doc, 0
        while (
            end < len(shingles) and len(shingles[end]) <= CHUNK_SHINGLES and rows + len(shingles[end]) <= CHUNK_SHINGLES
        ):
            rows += len(shingles[end])
            end += 1
        chunk = [s for s in shingles[doc:end]]
        sizes = np.array([len(s) for s in chunk])
        if sizes.sum():
            values = _fmix32(np.concatenate(chunk))
            with np.errstate(over="ignore"):
                # permutations x shingles, so the per-document minimum runs along contiguous rows
                permuted = a[:, None] * values[None, :] + b[:, None]
            present = np.flatnonzero(sizes)
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])[present]
            signatures[doc + present] = np.minimum.reduceat(permuted, starts, axis=1).T
        doc = end
    return signatures


def signatures(texts: list[str] | pl.Series, scheme: Scheme = Scheme()) -> tuple[np.ndarray, list[np.ndarray]]:
    """(signature matrix, shingle hashes per document) for ``texts``."""
    tokens = pl.DataFrame({"t": pl.Series(texts, dtype=pl.String).fill_null("")}).select(normalise(pl.col("t")))["t"]
    shingles = shingle_hashes(tokens, scheme.ngram)
    return minhash(shingles, scheme.num_perm), shingles
