"""Reference implementations the near-dedup benchmark measures dqkit against.

None of this is on dqkit's path: exact Jaccard on shingle sets (what the signature
estimate approximates), every pair above a threshold counted exactly (the ground truth
of LSH recall), and datasketch's own ``MinHashLSH`` insert + query (what dqkit's numpy
banding replaces).
"""

from __future__ import annotations

import numpy as np
from datasketch import MinHashLSH


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two documents' shingle-hash sets (two empty ones: 1)."""
    a, b = np.unique(a), np.unique(b)
    if not len(a) and not len(b):
        return 1.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


def query_pairs(lsh: MinHashLSH, sketches: list) -> set[tuple[int, int]]:
    """Insert every sketch into ``lsh``, then query each: the candidate pairs (i < j)."""
    with lsh.insertion_session() as session:
        for index, sketch in enumerate(sketches):
            session.insert(index, sketch, check_duplication=False)
    pairs = set()
    for index, sketch in enumerate(sketches):
        for other in lsh.query(sketch):
            if other != index:
                pairs.add((min(index, other), max(index, other)))
    return pairs


def exact_pairs(shingles: list[np.ndarray], threshold: float) -> dict[tuple[int, int], float]:
    """Every pair (i < j) whose shingle *sets* have exact Jaccard >= threshold.

    An inverted index shingle -> documents: for each document i, the shared-shingle count
    with every j > i is how often j appears in the postings of i's shingles. No posting
    list is skipped, so no pair with a shared shingle is missed. Two empty documents
    (Jaccard 1, as :func:`jaccard` says) are added separately.
    """
    sets = [np.unique(s) for s in shingles]
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    flat = np.concatenate(sets) if sets else np.empty(0, np.uint32)
    owner = np.repeat(np.arange(len(sets), dtype=np.int64), sizes)
    _, shingle_id, counts = np.unique(flat, return_inverse=True, return_counts=True)
    postings = owner[np.argsort(shingle_id, kind="stable")]
    pointer = np.concatenate([[0], np.cumsum(counts)])
    doc_start = np.concatenate([[0], np.cumsum(sizes)])
    result: dict[tuple[int, int], float] = {}
    for i in range(len(sets)):
        ids = shingle_id[doc_start[i] : doc_start[i + 1]]
        lengths = counts[ids]
        if lengths.sum() <= len(ids):  # every shingle only in document i
            continue
        offsets = np.repeat(pointer[ids] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        others = postings[offsets + np.arange(lengths.sum())]
        others = others[others > i]
        if not len(others):
            continue
        shared = np.bincount(others - i - 1)
        j = np.flatnonzero(shared) + i + 1
        similarity = shared[j - i - 1] / (sizes[i] + sizes[j] - shared[j - i - 1])
        above = similarity >= threshold
        result.update(
            ((i, other), value) for other, value in zip(j[above].tolist(), similarity[above].tolist(), strict=True)
        )
    empty = np.flatnonzero(sizes == 0).tolist()
    result.update(((a, b), 1.0) for k, a in enumerate(empty) for b in empty[k + 1 :])
    return result
