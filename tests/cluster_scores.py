"""Cluster quality against a truth, for the tests: pairwise precision, recall, F1 and the adjusted Rand index.

>>> scores = pair_scores({"a": "1", "b": "1", "c": "2"}, {"a": "x", "b": "x", "c": "y"})
>>> scores["f1"], scores["ari"]
(1.0, 1.0)
"""

from __future__ import annotations

from collections import Counter
from math import comb


def _pairs(assignment: dict[str, str]) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = {}
    for item, cluster in assignment.items():
        groups.setdefault(cluster, []).append(item)
    return {
        (a, b) for members in groups.values() for i, a in enumerate(sorted(members)) for b in sorted(members)[i + 1 :]
    }


def pair_scores(predicted: dict[str, str], truth: dict[str, str]) -> dict[str, float]:
    """Scores of ``predicted`` (item -> cluster) against ``truth`` over the same items."""
    found, true = _pairs(predicted), _pairs(truth)
    hits = len(found & true)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # Adjusted Rand index from the contingency table.
    n = len(truth)
    table = Counter((predicted[i], truth[i]) for i in truth)
    index = sum(comb(v, 2) for v in table.values())
    rows = sum(comb(v, 2) for v in Counter(predicted[i] for i in truth).values())
    cols = sum(comb(v, 2) for v in Counter(truth.values()).values())
    expected = rows * cols / comb(n, 2) if n > 1 else 0.0
    maximum = (rows + cols) / 2
    ari = (index - expected) / (maximum - expected) if maximum != expected else 1.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "ari": round(ari, 4),
        "predicted_pairs": len(found),
        "true_pairs": len(true),
    }
