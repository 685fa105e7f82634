"""Machine-translation signals per document, and the optional drop above a score."""

from __future__ import annotations

import polars as pl

from dqkit.detect.mt_model import models_for
from dqkit.detect.mt_signals import score_documents
from dqkit.frames import DOC, SIGNAL_COLUMNS
from dqkit.kinds import RejectReason
from dqkit.rejects import reject
from dqkit.stages.base import Batch, StageContext
from dqkit.stages.language import skip_languages_without_word_frequencies

# Rules of this category say that a text was generated or translated automatically.
PROVENANCE = "provenance"


class MtSignals:
    name = "mt_signals"
    edit_kinds = ()
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        assert batch.hits is not None, "MT signals read the rule hits"
        notice_rules = [r.id for r in context.rules.rules if r.category == PROVENANCE]
        notices = (
            batch.hits.filter(pl.col("rule_id").is_in(notice_rules))
            .sort(DOC, "line_no")
            .group_by(DOC)
            .agg(pl.len().alias("notices"), pl.col("line").first().alias("notice_example"))
        )
        docs = batch.docs.select(DOC, "text", "lang")
        # The number-scale check weighs words (names); it compares the documents it can weigh.
        weighable = skip_languages_without_word_frequencies(docs, batch, self.name, "number_scale_skipped", "de")
        batch.signals = score_documents(
            docs.join(notices, on=DOC, how="left", maintain_order="left"),
            scale_docs=weighable,
            detector=context.options.langid,
            models=models_for(context.options.mt_model),
        )


class DropMt:
    """``--drop-mt-above``: reject the documents whose ``mt_score`` is above it."""

    name = "mt_drop"
    edit_kinds = ()
    reject_reasons = (RejectReason.MT_SCORE_ABOVE,)

    def run(self, batch: Batch, context: StageContext) -> None:
        limit = context.options.drop_mt_above
        if limit is None:
            return
        too_mt = pl.col("mt_score") > limit
        detail = pl.format("mt_score {} > {}", pl.col("mt_score"), pl.lit(limit))
        batch.rejects.append(
            reject(batch.docs.filter(too_mt), RejectReason.MT_SCORE_ABOVE, detail).drop(*SIGNAL_COLUMNS)
        )
        batch.docs = batch.docs.filter(~too_mt)
