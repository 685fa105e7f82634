"""Normalise the text as read (line ends, NFC, ftfy where needed) and reject documents
that have no text."""

from __future__ import annotations

import polars as pl

from dqkit.frames import DOC
from dqkit.kinds import EditKind, RejectReason
from dqkit.normalize.unicode import normalise_documents, replacement_edits
from dqkit.rejects import reject
from dqkit.stages.base import Batch, StageContext


class Normalise:
    name = "normalise"
    edit_kinds = (
        EditKind.BYTES_REPLACED,
        EditKind.NEWLINES_NORMALIZED,
        EditKind.UNICODE_NORMALIZED,
        EditKind.UNICODE_FIXED,
    )
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        batch.edits.append(replacement_edits(batch.docs))
        normalised, edits = normalise_documents(batch.docs.select(DOC, "text"))
        batch.docs = batch.docs.drop("text").join(normalised, on=DOC, how="left", maintain_order="left")
        batch.edits.append(edits)


class EmptyText:
    name = "empty_text"
    edit_kinds = ()
    reject_reasons = (RejectReason.EMPTY_TEXT,)

    def run(self, batch: Batch, context: StageContext) -> None:
        blank = pl.col("text").str.strip_chars() == ""
        batch.rejects.append(reject(batch.docs.filter(blank), RejectReason.EMPTY_TEXT))
        batch.docs = batch.docs.filter(~blank)
