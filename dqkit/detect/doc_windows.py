"""Per-document window operations on a line table, without ``over``.

A line table holds the lines of many documents, each document's lines together and in
order. ``expr.shift(1).over("_doc")`` and its kin group the table once per expression, which
costs more than the arithmetic; on a table in that order the same values come from plain
shifts, cumulative sums and fills over the whole column, masked where they would cross
into another document. Every function here returns an expression that assumes that order.

>>> import polars as pl
>>> lines = pl.DataFrame({"_doc": [0, 0, 0, 1, 1], "x": [1, 2, 3, 10, 20]})
>>> x = pl.col("x")
>>> lines.select(shifted(x, 1).alias("above"), position().alias("at"), doc_sum(x).alias("sum")).rows()
[(None, 0, 6), (1, 1, 6), (2, 2, 6), (None, 0, 30), (10, 1, 30)]
"""

from __future__ import annotations

import polars as pl

from dqkit.frames import DOC


def doc_start() -> pl.Expr:
    """True on the first line of each document."""
    return (pl.col(DOC) != pl.col(DOC).shift(1)).fill_null(True)


def doc_end() -> pl.Expr:
    """True on the last line of each document."""
    return (pl.col(DOC) != pl.col(DOC).shift(-1)).fill_null(True)


def shifted(expr: pl.Expr, n: int) -> pl.Expr:
    """``expr`` of the line ``n`` lines above (below, for a negative ``n``) in the same
    document; null where there is none (``expr.shift(n).over(DOC)``)."""
    return pl.when(pl.col(DOC).shift(n) == pl.col(DOC)).then(expr.shift(n))


def _row() -> pl.Expr:
    return pl.int_range(pl.len(), dtype=pl.Int64)


def position() -> pl.Expr:
    """The line's index within its document, from 0 (``int_range(len()).over(DOC)``)."""
    return _row() - pl.when(doc_start()).then(_row()).forward_fill()


def doc_lines() -> pl.Expr:
    """How many lines the line's document has (``len().over(DOC)``)."""
    return pl.when(doc_end()).then(_row()).backward_fill() - pl.when(doc_start()).then(_row()).forward_fill() + 1


def cum_sum(expr: pl.Expr) -> pl.Expr:
    """The sum of ``expr`` over the document's lines up to and including this one."""
    running = expr.cum_sum()
    return running - pl.when(doc_start()).then(running - expr).forward_fill()


def doc_sum(expr: pl.Expr) -> pl.Expr:
    """The sum of ``expr`` over the line's document (``expr.sum().over(DOC)``)."""
    running = expr.cum_sum()
    return pl.when(doc_end()).then(running).backward_fill() - pl.when(doc_start()).then(running - expr).forward_fill()


def doc_any(expr: pl.Expr) -> pl.Expr:
    """Whether ``expr`` holds on any line of the line's document."""
    return doc_sum(expr.cast(pl.Int64)) > 0


def last_where(expr: pl.Expr) -> pl.Expr:
    """The position of the nearest line at or above this one where ``expr`` holds, in the
    same document; null where there is none (``when(expr).then(position).forward_fill().over(DOC)``)."""
    found = pl.when(expr).then(_row()).forward_fill()
    start = pl.when(doc_start()).then(_row()).forward_fill()
    return pl.when(found >= start).then(found - start)


def next_where(expr: pl.Expr) -> pl.Expr:
    """The position of the nearest line at or below this one where ``expr`` holds, in the same document."""
    found = pl.when(expr).then(_row()).backward_fill()
    end = pl.when(doc_end()).then(_row()).backward_fill()
    start = pl.when(doc_start()).then(_row()).forward_fill()
    return pl.when(found <= end).then(found - start)


def run_length(member: pl.Expr) -> pl.Expr:
    """How many lines the run of consecutive lines with ``member`` (in one document) that
    holds the line has; 0 outside one."""
    run = ((member != member.shift(1)) | doc_start()).fill_null(True).cum_sum()
    return pl.when(member).then(pl.len().over(run)).otherwise(0)


def window(expr: pl.Expr, before: int, after: int) -> list[pl.Expr]:
    """``expr`` of the lines from ``before`` above to ``after`` below, each null outside the document."""
    return [shifted(expr, n) for n in range(before, -after - 1, -1)]
