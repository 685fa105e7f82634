"""Through which copy each removed copy of a near-duplicate cluster joined it.

A cluster is what the verified edges connect, so a copy can join it through another copy
without being similar enough to the kept one itself: on Reuters, 10 of 404 near-duplicates
share only 0.38 of their shingles with their kept copy. For a reviewer each copy names its
neighbour on a shortest path of edges towards the kept copy (none where it has an edge to
the kept copy itself), with their similarity. A copy similar enough to the kept one may name
a neighbour too, where LSH did not propose the pair. Where several neighbours are equally close to
the kept copy, the one most similar to the copy is named, then the one numbered first
(input order), so the choice does not depend on shards or workers.

Breadth-first over whole edge arrays in numpy, one step a round: the memory is a few arrays
of the documents on an edge, and the rounds are the clusters' largest depth.

>>> edges = np.array([[0, 1], [1, 2], [2, 3], [1, 3], [5, 6]])
>>> similarity = {(3, 1): 0.6, (3, 2): 0.9, (2, 1): 0.7}
>>> via, sim = steps_towards(edges, np.array([1, 2, 3, 6]), np.array([0, 0, 0, 5]),
...                          lambda pairs: np.array([similarity[tuple(p)] for p in pairs.tolist()]))
>>> via.tolist(), sim.tolist()
([-1, 1, 1, -1], [nan, 0.7, 0.6, nan])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def distances(edges: np.ndarray, nodes: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """For each of ``nodes`` (ascending, every end of ``edges`` among them), the number of
    edges on a shortest path to the nearest of ``sources``; -1 where none is reached."""
    a, b = np.searchsorted(nodes, edges[:, 0]), np.searchsorted(nodes, edges[:, 1])
    distance = np.full(len(nodes), -1, dtype=np.int64)
    distance[np.searchsorted(nodes, sources)] = 0
    level = 0
    while True:
        near_a, near_b = distance[a] == level, distance[b] == level
        reached = np.concatenate([b[near_a & (distance[b] < 0)], a[near_b & (distance[a] < 0)]])
        if not len(reached):
            return distance
        level += 1
        distance[reached] = level


def steps_towards(
    edges: np.ndarray,
    members: np.ndarray,
    keepers: np.ndarray,
    similarity: Callable[[np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``members`` (documents of the clusters of ``edges``) with its kept copy
    ``keepers[i]``: its neighbour on a shortest path of edges to the kept copy, -1 where
    it has an edge to the kept copy; and their ``similarity`` (``pairs × 2`` numbers to
    one value each), NaN where -1. ``similarity`` is asked of the candidate steps of the
    members that have no edge to their kept copy only."""
    via = np.full(len(members), -1, dtype=np.int64)
    via_similarity = np.full(len(members), np.nan)
    if not len(members):
        return via, via_similarity
    nodes = np.unique(np.concatenate([edges.ravel(), keepers]))
    distance = distances(edges, nodes, np.unique(keepers))
    where = np.searchsorted(nodes, members)
    assert (distance[where] > 0).all(), "every copy is connected to its kept copy"
    start, end = np.concatenate([edges[:, 0], edges[:, 1]]), np.concatenate([edges[:, 1], edges[:, 0]])
    d_start, d_end = distance[np.searchsorted(nodes, start)], distance[np.searchsorted(nodes, end)]
    step = (d_start > 1) & (d_end == d_start - 1)  # from a copy two or more edges away, one edge closer
    start, end = start[step], end[step]
    if not len(start):
        return via, via_similarity
    found = similarity(np.stack([start, end], axis=1))
    best = np.lexsort([end, -found, start])  # per copy: the most similar neighbour, then the first
    first = np.r_[True, start[best][1:] != start[best][:-1]]
    copies, steps, values = start[best][first], end[best][first], found[best][first]
    at = np.searchsorted(copies, members)
    linked = (at < len(copies)) & (copies[np.minimum(at, len(copies) - 1)] == members)
    via[linked], via_similarity[linked] = steps[at[linked]], values[at[linked]]
    return via, via_similarity
