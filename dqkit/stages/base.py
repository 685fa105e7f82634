"""The stage contract: a stage is one small step of cleaning a shard.

A stage reads and updates a :class:`Batch` (the shard's frames on their way through),
declares the edit kinds and reject reasons it may produce, and bumps its own counters;
the runner (:func:`dqkit.cleaning.clean_documents`) times it and, with
``DQKIT_CHECK_FRAMES=1``, checks what it produced. A new step is one class with a
``name`` and a ``run`` method, and one entry in :func:`dqkit.stages.default_stages`.

Some facts are known only once every shard has been seen (the language each source is
written in). Stages before the first one that sets ``reads_corpus = True`` form a shard's
*survey*: they count what the corpus needs into ``batch.survey`` (nested dicts of counts,
summed over the shards by :func:`merge_survey`), or, where the counts would grow with the
corpus, put rows into ``batch.survey_tables`` (a frame per name, kept as a file in the shard
folder and scanned across all shards at once). The run then decides the facts once
(:func:`corpus_facts`) and the later stages read them in ``context.corpus``; so the
outputs do not depend on how the corpus was cut into shards.

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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import polars as pl

from dqkit.detect.language_prior import LanguagePrior, decide_prior
from dqkit.kinds import EditKind, RejectReason

if TYPE_CHECKING:
    from dqkit.assemble import LineOutcome
    from dqkit.options import CleanOptions
    from dqkit.rules.loading import RuleSet


@dataclass(frozen=True)
class CorpusFacts:
    """What the survey of the whole corpus settled, for the stages that read it."""

    language_prior: LanguagePrior = field(default_factory=LanguagePrior)
    repeated_lines: frozenset[int] = frozenset()  # line ids (source and line key hashed), dqkit.stages.boilerplate


def corpus_facts(survey: Mapping[str, Any], tables: Mapping[str, pl.LazyFrame] | None = None) -> CorpusFacts:
    """The facts the summed survey of every shard settles, with the survey ``tables`` of
    every shard (each name's rows of all shards as one frame)."""
    from dqkit.stages.boilerplate import SURVEY_KEY, repeated_line_keys

    return CorpusFacts(
        language_prior=decide_prior(survey.get("languages", {})),
        repeated_lines=repeated_line_keys((tables or {}).get(SURVEY_KEY)),
    )


def merge_survey(total: dict[str, Any], part: Mapping[str, Any]) -> dict[str, Any]:
    """``total`` with the counts of ``part`` added in (both nested dicts ending in ints).

    >>> merge_survey({"languages": {"a": {"en": 2}}}, {"languages": {"a": {"en": 1, "de": 1}}})
    {'languages': {'a': {'en': 3, 'de': 1}}}
    """
    for key, value in part.items():
        if isinstance(value, Mapping):
            merge_survey(total.setdefault(key, {}), value)
        else:
            total[key] = total.get(key, 0) + value
    return total


@dataclass(frozen=True)
class StageContext:
    """What every stage of a run may read: the rules, the options, and (for the stages
    after the survey) the facts of the whole corpus."""

    rules: RuleSet
    options: CleanOptions
    corpus: CorpusFacts = field(default_factory=CorpusFacts)


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
    line_scores: pl.DataFrame | None = None  # the survey's boilerplate scores (dqkit.stages.boilerplate)
    signatures: np.ndarray | None = None  # MinHash signatures of the surviving docs, in order
    edits: list[pl.DataFrame] = field(default_factory=list)
    rejects: list[pl.DataFrame] = field(default_factory=list)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)
    survey: dict[str, Any] = field(default_factory=dict)  # counts the corpus facts are decided from
    survey_tables: dict[str, pl.DataFrame] = field(default_factory=dict)  # and rows they are decided from
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage

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


def reads_corpus(stage: Stage) -> bool:
    """Whether ``stage`` reads ``context.corpus`` (so runs after the survey of every shard)."""
    return bool(getattr(stage, "reads_corpus", False))
