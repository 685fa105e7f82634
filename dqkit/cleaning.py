"""Clean one documents frame: run the stages in order, time each, and collect what they
produced. Knows nothing about files: :func:`dqkit.pipeline.clean_shard` reads a shard and
writes what this returns.

A run over many shards goes in two steps (see :mod:`dqkit.stages.base`):
:func:`survey_documents` runs the stages up to the first that reads the corpus facts, the
run decides the facts from every shard's survey, and :func:`finish_documents` runs the
rest. :func:`clean_documents` does both on one frame, which is then the whole corpus.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from dqkit.frames import CLEANED, DOCUMENTS, EDITS, HITS, REJECTS, FrameError, check_frame, checks_enabled, empty
from dqkit.options import CleanOptions
from dqkit.rules.loading import RuleSet
from dqkit.stages import Batch, Stage, StageContext, default_stages
from dqkit.stages.base import CorpusFacts, corpus_facts, reads_corpus


@dataclass
class CleanResult:
    clean: pl.DataFrame  # the surviving documents with their clean text and dedup columns
    rejects: pl.DataFrame  # dqkit.frames.REJECTS + the documents' other columns (not the text as read)
    edits: pl.DataFrame  # dqkit.frames.EDITS
    hits: pl.DataFrame  # dqkit.frames.HITS
    signatures: np.ndarray | None  # MinHash signatures of ``clean``, row for row (near dedup)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def split_stages(stages: Sequence[Stage] | None = None) -> tuple[tuple[Stage, ...], tuple[Stage, ...]]:
    """(the survey: the stages before the first that reads the corpus facts; the rest)."""
    stages = tuple(default_stages() if stages is None else stages)
    cut = next((k for k, stage in enumerate(stages) if reads_corpus(stage)), len(stages))
    return stages[:cut], stages[cut:]


#: Called after each stage with (stages done, stages): how far a shard has got.
OnStage = Callable[[int, int], None]


def _run(batch: Batch, stages: Sequence[Stage], context: StageContext, on_stage: OnStage | None = None) -> Batch:
    check = checks_enabled()
    for done, stage in enumerate(stages, 1):
        edits_before, rejects_before = len(batch.edits), len(batch.rejects)
        started = time.perf_counter()
        stage.run(batch, context)
        batch.timings[stage.name] = round(time.perf_counter() - started, 4)
        if check:
            _check_stage(stage, batch, edits_before, rejects_before)
        if on_stage is not None:
            on_stage(done, len(stages))
    return batch


def survey_documents(
    docs: pl.DataFrame,
    rules: RuleSet,
    options: CleanOptions,
    stages: Sequence[Stage] | None = None,
    on_stage: OnStage | None = None,
) -> Batch:
    """The first step: ``docs`` (:data:`dqkit.frames.DOCUMENTS`) through the survey stages;
    the batch holds the shard's survey (``batch.survey``) and waits for the corpus facts."""
    return _run(Batch(docs=docs), split_stages(stages)[0], StageContext(rules, options), on_stage)


def finish_documents(
    batch: Batch,
    rules: RuleSet,
    options: CleanOptions,
    corpus: CorpusFacts,
    stages: Sequence[Stage] | None = None,
    on_stage: OnStage | None = None,
) -> CleanResult:
    """The second step: a surveyed ``batch`` through the other stages, with the facts of the corpus."""
    batch = _run(batch, split_stages(stages)[1], StageContext(rules, options, corpus), on_stage)
    parts = [part for part in batch.rejects if not part.is_empty()]
    rejects = pl.concat(parts, how="diagonal_relaxed").drop("text", strict=False) if parts else empty(REJECTS)
    return CleanResult(
        clean=batch.docs,
        rejects=rejects,
        edits=pl.concat(batch.edits) if batch.edits else empty(EDITS),
        hits=batch.hits if batch.hits is not None else empty(HITS),
        signatures=batch.signatures,
        counters=batch.counters,
        timings=batch.timings,
    )


def clean_documents(
    docs: pl.DataFrame,
    rules: RuleSet,
    options: CleanOptions,
    stages: Sequence[Stage] | None = None,
) -> CleanResult:
    """Clean ``docs`` (:data:`dqkit.frames.DOCUMENTS`), the whole corpus, with ``stages``
    (default: :func:`dqkit.stages.default_stages`)."""
    batch = survey_documents(docs, rules, options, stages)
    tables = {name: table.lazy() for name, table in batch.survey_tables.items()}
    return finish_documents(batch, rules, options, corpus_facts(batch.survey, tables), stages)


def _check_stage(stage: Stage, batch: Batch, edits_before: int, rejects_before: int) -> None:
    """What ``stage`` left behind has the declared columns, kinds and reasons (tests only)."""
    where = f"after stage {stage.name!r}"
    check_frame(batch.docs, DOCUMENTS, f"{where}: documents")
    if batch.hits is not None:  # the rules' verdicts are applied: the text is the clean text
        check_frame(batch.docs, CLEANED, f"{where}: documents")
        check_frame(batch.hits, HITS, f"{where}: hits", exact=True)
    for edits in batch.edits[edits_before:]:
        check_frame(edits, EDITS, f"{where}: edits", exact=True)
        undeclared = set(edits["kind"].unique()) - set(stage.edit_kinds)
        if undeclared:
            raise FrameError(f"{where}: edit kinds {sorted(undeclared)} are not among the stage's edit_kinds")
    for rejects in batch.rejects[rejects_before:]:
        check_frame(rejects, REJECTS, f"{where}: rejects")
        undeclared = set(rejects["reason"].unique()) - set(stage.reject_reasons)
        if undeclared:
            raise FrameError(f"{where}: reasons {sorted(undeclared)} are not among the stage's reject_reasons")
