"""Connected components of the verified edges, in numpy: one array of document numbers.

An iterative union-find done a whole edge list at a time: every edge whose two ends have
different roots hooks the larger root under the smallest root it meets, then every chain
is cut short to its root; repeated until no edge joins two roots. A parent is never larger
than its node, so no step makes a cycle, and each round removes at least one root. The
memory is the parent array (8 bytes a document) and the edges; no Python object per node.

>>> import numpy as np
>>> components(np.array([[3, 4], [1, 4], [0, 2]]), 6).tolist()
[0, 1, 0, 1, 1, 5]
"""

from __future__ import annotations

import numpy as np


def components(edges: np.ndarray, size: int) -> np.ndarray:
    """For each of ``size`` documents, the smallest document of its component (``edges``:
    ``edges × 2`` document numbers)."""
    parent = np.arange(size, dtype=np.int64)
    a, b = edges[:, 0], edges[:, 1]
    while True:
        root_a, root_b = parent[a], parent[b]
        apart = root_a != root_b
        if not apart.any():
            return parent
        a, b, root_a, root_b = a[apart], b[apart], root_a[apart], root_b[apart]  # a joined pair stays joined
        low, high = np.minimum(root_a, root_b), np.maximum(root_a, root_b)
        np.minimum.at(parent, high, low)
        while True:  # every node straight to its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
