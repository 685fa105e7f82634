"""The stage contract: a stage is one small step of cleaning a shard.

A stage reads and updates a :class:`Batch` (the shard's frames on their way through),
declares the edit kinds and reject reasons it may produce, and bumps its own counters;
the runner (:func:`dqkit.cleaning.clean_documents`) times it and, with
``DQKIT_CHECK_FRAMES=1``, checks what it produced. A new step is one class with a
``name`` and a ``run`` method, and one entry in :func:`dqkit.stages.default_stages`.

>>> class CountWords:
...     name = "words"
...     edit_kinds: tuple[EditKind, ...] = ()
...     reject_reasons: tuple[RejectReason, ...] = ()
...     def run(self, batch: Batch, context: StageContext) -> None:
...         batch.count(self.name, "words", int(batch.docs["text"].str.count_matches(r"\\w+").sum()))
>>> batch = Batch(docs=pl.DataFrame({"_doc": [0], "text": ["two words"]}))
>>> CountWords().run(batch, None)
>>> batch.counters
{'words': {'words': 2}}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import polars as pl

from dqkit.kinds import EditKind, RejectReason

if TYPE_CHECKING:
    from dqkit.assemble import LineOutcome
    from dqkit.options import CleanOptions
    from dqkit.rules.loading import RuleSet


@dataclass(frozen=True)
class StageContext:
    """What every stage of a run may read: the rules and the options."""

    rules: RuleSet
    options: CleanOptions


@dataclass
class Batch:
    """One shard's frames between stages.

    ``docs`` holds the documents still in the run (:data:`dqkit.frames.DOCUMENTS` and the
    input's other columns); until the ``assemble`` stage its ``text`` is the normalised
    text and ``lines`` holds the rules' verdicts (the clean texts among them), after it
    ``text`` is the clean text (:data:`dqkit.frames.CLEANED`). ``edits`` and ``rejects``
    collect each stage's frames in stage order.
    """

    docs: pl.DataFrame
    lines: LineOutcome | None = None
    hits: pl.DataFrame | None = None  # dqkit.frames.HITS, from the assemble stage on
    signals: pl.DataFrame | None = None  # _doc, mt_score, mt_reasons
    signatures: np.ndarray | None = None  # MinHash signatures of the surviving docs, in order
    edits: list[pl.DataFrame] = field(default_factory=list)
    rejects: list[pl.DataFrame] = field(default_factory=list)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, stage: str, counter: str, n: int = 1) -> None:
        """Add ``n`` to the stage's counter (reported in report.json under ``stages``)."""
        own = self.counters.setdefault(stage, {})
        own[counter] = own.get(counter, 0) + n


class Stage(Protocol):
    """One step of cleaning a shard (a class with these three attributes and ``run``)."""

    @property
    def name(self) -> str:
        """Its key in timings.json and in report.json's stage counters."""
        ...

    @property
    def edit_kinds(self) -> tuple[EditKind, ...]:
        """The kinds of edit it may add."""
        ...

    @property
    def reject_reasons(self) -> tuple[RejectReason, ...]:
        """The reasons it may reject a document with."""
        ...

    def run(self, batch: Batch, context: StageContext) -> None: ...
