"""The document guard: a document the rules emptied, or cut by more than
``--max-removed`` of its characters, is rejected rather than kept in pieces."""

from __future__ import annotations

import polars as pl

from dqkit.frames import DOC
from dqkit.kinds import RejectReason
from dqkit.rejects import reject
from dqkit.stages.base import Batch, StageContext


class Guard:
    name = "guard"
    edit_kinds = ()
    reject_reasons = (RejectReason.EMPTY_AFTER_CLEANING, RejectReason.TOO_MUCH_REMOVED)

    def run(self, batch: Batch, context: StageContext) -> None:
        assert batch.signals is not None, "the guard joins the MT signals onto the survivors"
        limit = context.options.max_removed_fraction
        share = pl.col("chars_removed") / pl.col("chars_in").clip(lower_bound=1)
        nothing_left = pl.col("text").str.strip_chars() == ""
        too_much = ~nothing_left & (share > limit)
        detail = pl.format("removed {}% of the text (limit {}%)", (share * 100).round(1), pl.lit(round(limit * 100, 1)))
        batch.rejects.append(reject(batch.docs.filter(nothing_left), RejectReason.EMPTY_AFTER_CLEANING))
        batch.rejects.append(reject(batch.docs.filter(too_much), RejectReason.TOO_MUCH_REMOVED, detail))
        batch.docs = batch.docs.filter(~nothing_left & ~too_much).join(
            batch.signals, on=DOC, how="left", maintain_order="left"
        )
