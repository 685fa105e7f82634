"""How far the running shards have got, so that the progress bar moves while they run.

A shard runs its stages one after another over all its documents, so "documents done"
is only known at its end. While it runs, each stage it finishes counts as that share of
its documents (:func:`note`): 3 of 12 stages of a 10,000-document shard count 2,500. The
engine hands the shard function's process a table of these counts, one slot per shard of
the plan (:func:`attach`): a shared array in worker processes, which the driver reads
while it waits, or a list in the driver itself, with a callback that redraws the bar.

>>> slots = [0, 0]
>>> attach(slots)
>>> note(1, 10_000, 3, 12)
>>> slots
[0, 2500]
>>> attach(None)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_SLOTS: Any = None  # documents counted done per shard of the running phase, or None
_ON_CHANGE: Callable[[], None] | None = None


def attach(slots: Any, on_change: Callable[[], None] | None = None) -> None:
    """Count into ``slots`` (indexable by shard, or None: count nothing); ``on_change`` runs
    after each count (the in-process engine redraws the bar there)."""
    global _SLOTS, _ON_CHANGE
    _SLOTS, _ON_CHANGE = slots, on_change


def note(shard_index: int, documents: int, stages_done: int, stages: int) -> None:
    """Shard ``shard_index`` of ``documents`` has finished ``stages_done`` of its ``stages``."""
    if _SLOTS is None or stages <= 0:
        return
    _SLOTS[shard_index] = documents * stages_done // stages
    if _ON_CHANGE is not None:
        _ON_CHANGE()
