"""Rejected documents, built in one place: every stage that rejects marks its rows with
:func:`reject`, and :func:`reject_rows` gives them the columns of rejects.* when the
outputs are written.

>>> frame = pl.DataFrame({"_doc": [3], "id": ["a"]})
>>> reject(frame, RejectReason.EMPTY_TEXT).row(0)
(3, 'a', 'empty_text', 'the document has no text')
"""

from __future__ import annotations

import polars as pl

from dqkit.frames import DOC, ORIGIN, REJECT_COLUMNS
from dqkit.kinds import RejectReason


def reject(frame: pl.DataFrame, reason: RejectReason, detail: pl.Expr | None = None) -> pl.DataFrame:
    """``frame`` with ``reason`` and ``detail`` (an expression over its columns, or the
    reason's description)."""
    detail = pl.lit(reason.description) if detail is None else detail
    return frame.with_columns(pl.lit(reason.value).alias("reason"), detail.cast(pl.String).alias("detail"))


def reject_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Rejects in the columns of rejects.*, after ``_doc`` (the input's carried columns are
    added by the caller), the missing ones empty: a document reject has no ``dup_of``, a
    record that could not be read no ``_doc``."""
    frame = frame.with_columns(
        *(
            pl.lit(None, dtype=pl.String).alias(c)
            for c in ("dup_of", "dup_of_batch", "linked_via", ORIGIN, "text")
            if c not in frame.columns
        ),
        *(
            pl.lit(None, dtype=pl.Float64).alias(c)
            for c in ("similarity", "linked_via_similarity")
            if c not in frame.columns
        ),
        *(pl.lit(None, dtype=pl.Int64).alias(c) for c in (DOC,) if c not in frame.columns),
    ).rename({ORIGIN: "origin"})
    return frame.select(DOC, *REJECT_COLUMNS)
