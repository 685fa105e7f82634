"""The steps of near-dedup without a driver-held matrix: band keys, band-group tasks,
verified edges, connected components; each against a plain reference."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqkit.dedup import edges as edges_module
from dqkit.dedup.components import components
from dqkit.dedup.edges import BandGroup, verified_edges
from dqkit.dedup.lsh import band_keys, candidate_pairs, lsh_bands
from dqkit.dedup.near import NearDupOptions
from dqkit.dedup.store import Source, Store

OPTIONS = NearDupOptions()


def _reference_roots(edges: list[tuple[int, int]], size: int) -> list[int]:
    """The smallest member of each node's component, by a plain union-find."""
    parent = list(range(size))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    return [find(x) for x in range(size)]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1),
                                                                                        st.integers(0, n - 1))))))
def test_components_are_those_of_a_plain_union_find(case):
    size, edges = case
    found = components(np.array(edges, dtype=np.int64).reshape(-1, 2), size)
    assert found.tolist() == _reference_roots(edges, size)


def test_a_long_chain_in_scrambled_order_is_one_component():
    rng = np.random.default_rng(3)
    order = rng.permutation(50_000)
    edges = np.stack([order[:-1], order[1:]], axis=1)
    assert set(components(edges[rng.permutation(len(edges))], 50_000).tolist()) == {0}


def _corpus(documents: int, seed: int = 1) -> np.ndarray:
    """Random signatures with near-copies planted: every fifth copies an earlier one with a
    share of its slots changed (similarities spread around the threshold)."""
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 2**32, size=(documents, OPTIONS.num_perm), dtype=np.uint32)
    for row in range(5, documents, 5):
        original = rng.integers(0, row)
        changed = rng.random(OPTIONS.num_perm) < rng.uniform(0.05, 0.7)
        matrix[row] = np.where(changed, matrix[row], matrix[original])
    return matrix


def _files(tmp_path, matrix: np.ndarray, cuts: list[int], dropped: set[int]) -> tuple[Store, np.ndarray]:
    """``matrix`` written as shard files cut at ``cuts``, less the rows ``dropped``; the
    store, and the matrix of the documents that take part, in their numbering."""
    bands, rows = lsh_bands(OPTIONS)
    sources, start, kept = [], 0, []
    for k, (low, high) in enumerate(zip([0, *cuts], [*cuts, len(matrix)], strict=True)):
        block = matrix[low:high]
        np.save(tmp_path / f"s{k}.npy", block)
        np.save(tmp_path / f"k{k}.npy", band_keys(block, bands, rows))
        taking = np.array([r for r in range(len(block)) if low + r not in dropped], dtype=np.int64)
        sources.append(Source(str(tmp_path / f"s{k}.npy"), str(tmp_path / f"k{k}.npy"), start, taking))
        start += len(taking)
        kept.append(block[taking])
    return Store(tuple(sources)), np.concatenate(kept)


def test_band_groups_find_the_verified_candidates_of_one_matrix(tmp_path):
    matrix = _corpus(3_000)
    store, taking = _files(tmp_path, matrix, [700, 701, 2_200], dropped={3, 1_000, 2_999})
    assert store.size == len(taking) == 2_997
    assert np.array_equal(store.signatures(np.array([2_996, 0, 1_500])), taking[[2_996, 0, 1_500]])
    expected = {(a, b) for a, b in candidate_pairs(taking, OPTIONS)
                if (taking[a] == taking[b]).mean() >= OPTIONS.threshold}
    assert len(expected) > 100  # the planted copies above the threshold
    bands, _ = lsh_bands(OPTIONS)
    for tasks, buckets in ((1, 1), (2, 1), (5, 1), (1, 4), (2, 8)):
        found: list[tuple[int, int]] = []
        for k in range(tasks):
            for bucket in range(buckets):
                group = BandGroup(store, tuple(range(k, bands, tasks)), OPTIONS.threshold, 2_997, None, bucket, buckets)
                edges, counts = verified_edges(group)
                assert counts["edges"] == len(edges) <= counts["candidates"]
                found += [tuple(edge) for edge in edges.tolist()]
        assert set(found) == expected, (tasks, buckets)
        if tasks == 1:  # a pair shares every key it shares within one bucket: found once
            assert len(found) == len(expected), buckets


def test_pairs_of_two_earlier_documents_are_left_alone():
    matrix = np.repeat(_corpus(1), 4, axis=0)  # four equal signatures
    store = Store((Source(matrix, band_keys(matrix, *lsh_bands(OPTIONS)), 0),))
    edges, _ = verified_edges(BandGroup(store, (0,), OPTIONS.threshold, batch=2))
    assert edges.tolist() == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3]]  # not (2, 3): both earlier


@pytest.mark.parametrize("rows", [1, 2])
def test_band_keys_of_one_or_two_slots_never_collide(rows):
    rng = np.random.default_rng(rows)
    matrix = rng.integers(0, 40, size=(20_000, 2 * rows), dtype=np.uint32)  # many equal, many near-equal bands
    keys = band_keys(matrix, 2, rows)
    for band in range(2):
        values = matrix[:, band * rows : (band + 1) * rows]
        assert len(np.unique(keys[band])) == len(np.unique(values, axis=0))


def test_the_steps_read_what_they_need_not_the_signature_matrix(tmp_path, monkeypatch):
    """numpy reports its allocations to tracemalloc; the shard files are memory-mapped. What
    is held at once: one band of keys and one slice of candidate pairs' signatures."""
    monkeypatch.setattr(edges_module, "VERIFY_PAIRS", 1_024)
    matrix = _corpus(40_000)
    store, _ = _files(tmp_path, matrix, [10_000, 20_000, 30_000], dropped=set())
    bands, _ = lsh_bands(OPTIONS)
    tracemalloc.start()
    try:
        edges, counts = verified_edges(BandGroup(store, tuple(range(bands)), OPTIONS.threshold, 40_000))
        root = components(edges, 40_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counts["edges"] > 1_000 and len(set(root.tolist())) < 40_000
    assert peak < matrix.nbytes / 5, (peak, matrix.nbytes)
