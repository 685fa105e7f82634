"""LSH bands and rows for a Jaccard threshold: the choice datasketch's ``MinHashLSH`` makes.

datasketch picks the ``(b, r)`` with ``b · r ≤ num_perm`` that minimises the sum of two
areas, each weighted 0.5: under the S-curve ``P(s) = 1 − (1 − s^r)^b`` below the threshold
(false positives) and above it under ``1 − P(s)`` (false negatives), integrated with
``scipy.integrate.quad``. Importing scipy for that costs about half a second on every run,
so the same areas are computed here with Gauss–Legendre quadrature: ``P`` is a polynomial
of degree ``b · r ≤ num_perm``, which ``num_perm // 2 + 1`` nodes integrate exactly, up to
rounding. ``tests/test_near_dedup.py`` checks the choice equals datasketch's over a grid of
thresholds and permutation counts.

>>> optimal_bands(0.5, 128)
(25, 5)
"""

from __future__ import annotations

import functools

import numpy as np

FALSE_POSITIVE_WEIGHT = FALSE_NEGATIVE_WEIGHT = 0.5  # datasketch's default weights


def _areas(threshold: float, b: np.ndarray, r: np.ndarray, lower: float, upper: float, nodes: int) -> np.ndarray:
    """∫ from ``lower`` to ``upper`` of ``1 − (1 − s^r)^b`` ds, for each (b, r) pair."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    s = (upper - lower) / 2 * x + (upper + lower) / 2  # the nodes moved onto [lower, upper]
    curve = 1 - (1 - s[None, :] ** r[:, None]) ** b[:, None]
    return (upper - lower) / 2 * (curve @ w)


@functools.lru_cache(maxsize=64)
def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` for ``threshold`` and ``num_perm``, as ``MinHashLSH`` chooses them
    (the first pair in its order, bands then rows ascending, of the least weighted error)."""
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    b = np.array([p[0] for p in pairs], dtype=np.float64)
    r = np.array([p[1] for p in pairs], dtype=np.float64)
    nodes = num_perm // 2 + 1
    false_positive = _areas(threshold, b, r, 0.0, threshold, nodes)
    false_negative = (1.0 - threshold) - _areas(threshold, b, r, threshold, 1.0, nodes)
    error = false_positive * FALSE_POSITIVE_WEIGHT + false_negative * FALSE_NEGATIVE_WEIGHT
    return pairs[int(np.argmin(error))]  # argmin: the first of equal errors, as datasketch's strict "<"
