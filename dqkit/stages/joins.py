"""Missing-space joins ("ServiceNach") in the clean text: repaired where certain, else flagged."""

from __future__ import annotations

import polars as pl

from dqkit.assemble import kept_lines, replace_lines
from dqkit.frames import DOC
from dqkit.kinds import EditKind
from dqkit.normalize.joins import repair_joins
from dqkit.stages.base import Batch, StageContext
from dqkit.stages.language import skip_languages_without_word_frequencies


class RepairJoins:
    name = "joins"
    edit_kinds = (EditKind.JOIN_REPAIRED, EditKind.JOIN_FLAGGED)
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        if not context.options.repair_joins:
            return
        docs = batch.docs.select(DOC, "text", "line_nos", pl.col("lang").fill_null("und"))
        docs = skip_languages_without_word_frequencies(docs, batch, self.name)
        changed, edits = repair_joins(kept_lines(docs))
        batch.docs = replace_lines(batch.docs, changed)
        batch.edits.append(edits)
