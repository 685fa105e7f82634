"""The rules on the lines of each document, and their verdicts applied."""

from __future__ import annotations

import polars as pl

from dqkit.assemble import clean_lines
from dqkit.frames import DOC, HITS
from dqkit.kinds import EditKind, RejectReason
from dqkit.rejects import reject
from dqkit.stages.base import Batch, StageContext


class MatchRules:
    """Every rule on every line (scoped by the given language); the verdicts wait in
    ``batch.lines`` until the language is known and the rules of other languages undone."""

    name = "rules"
    edit_kinds = ()
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        batch.lines = clean_lines(batch.docs, context.rules.rules)


class Assemble:
    """The final verdicts: removed, folded and flagged lines and cut spans become edits,
    documents a ``drop_doc`` rule hit become rejects, and the others carry their clean text on."""

    name = "assemble"
    edit_kinds = (EditKind.LINE_REMOVED, EditKind.BLANK_LINE_FOLDED, EditKind.LINE_FLAGGED, EditKind.SPAN_REMOVED)
    reject_reasons = (RejectReason.RULE_DROPPED,)

    def run(self, batch: Batch, context: StageContext) -> None:
        assert batch.lines is not None, "the rules run before their verdicts are applied"
        outcome = batch.lines
        dropped = batch.docs.join(outcome.doc_drops, on=DOC, how="inner", maintain_order="left")
        detail = pl.format("rule {} hit line {}", pl.col("rule_id"), pl.col("line_no"))
        batch.rejects.append(reject(dropped, RejectReason.RULE_DROPPED, detail).drop("rule_id", "line_no"))
        batch.edits.append(outcome.edits)
        batch.hits = outcome.hits.select(*HITS)
        batch.docs = batch.docs.drop("text").join(outcome.texts, on=DOC, how="inner", maintain_order="left")
        batch.lines = None
