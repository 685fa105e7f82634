"""Lines that many *different* documents share: template text no rule covers yet.

Copies of one syndicated article share their body lines too, so counting documents
alone would propose article text as boilerplate. A line counts by the number of
distinct *articles* it appears in, where an article is identified by the longest line
of the document (a body paragraph, which copies keep and other articles do not have).

>>> import polars as pl
>>> from dqkit.rules.engine import line_table
>>> texts = [f"Story {i}: a long and different paragraph of body text number {i}.\\nFolgen Sie uns!"
...          for i in range(3)] + ["Story 0: a long and different paragraph of body text number 0.\\nCopy"]
>>> docs = pl.DataFrame({"_doc": range(4), "text": texts, "_lang_hint": [None] * 4},
...                     schema_overrides={"_lang_hint": pl.String})
>>> found = repeated_lines(line_table(docs), min_articles=2)
>>> found.select("text", "articles", "documents").rows()
[('Folgen Sie uns!', 3, 3)]
"""

from __future__ import annotations

import polars as pl

from dqkit.frames import BLANK, DOC, LINE_CHARS, MATCH, MATCH_LOWER

MAX_CHARS = 200  # longer lines are paragraphs, not template text


def line_shape(expr: pl.Expr) -> pl.Expr:
    """What makes two lines the same line: the lower-cased rule view with digits folded.

    >>> pl.select(line_shape(pl.lit("page 12 of 30"))).item()
    'page 0 of 0'
    """
    return expr.str.replace_all(r"\d+", "0")


def candidate_lines(lines: pl.DataFrame) -> pl.DataFrame:
    """The non-blank lines of a line table that may be template text (at most
    :data:`MAX_CHARS`, three letters or more, not their document's article line), with
    ``_article`` (the document's longest line, lower-cased: copies of one article share it)
    and ``_shape`` (:func:`line_shape`)."""
    content = lines.filter(~pl.col(BLANK))
    fingerprint = (
        content.sort(LINE_CHARS, "line_no", descending=[True, False])
        .group_by(DOC)
        .agg(pl.col(MATCH_LOWER).first().alias("_article"))
    )
    return (
        content.filter((pl.col(LINE_CHARS) <= MAX_CHARS) & pl.col(MATCH_LOWER).str.contains(r"\p{L}.*\p{L}.*\p{L}"))
        .join(fingerprint, on=DOC)
        .filter(pl.col(MATCH_LOWER) != pl.col("_article"))
        .with_columns(line_shape(pl.col(MATCH_LOWER)).alias("_shape"))
    )


def repeated_lines(
    lines: pl.DataFrame, min_articles: int = 3, covered: pl.DataFrame | None = None, sources: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Repeated short lines, most widespread first.

    ``lines`` is a line table (see :func:`dqkit.rules.engine.line_table`); ``covered``
    (``_doc, line_no``) lists lines a rule already hits; ``sources`` (``_doc, source``)
    names each document's outlet. Returns one row per line shape (digits folded): the
    most common ``text``, its ``variants``, ``articles``, ``documents``, ``sources``
    (up to 3, most frequent first), the ``_docs`` holding it, its ``_lines`` (``_doc,
    line_no`` of every occurrence) and its ``_shape``.
    """
    candidates = candidate_lines(lines)
    if covered is not None and not covered.is_empty():
        candidates = candidates.join(covered, on=[DOC, "line_no"], how="anti")
    if sources is not None:
        candidates = candidates.join(sources, on=DOC, how="left")
    else:
        candidates = candidates.with_columns(pl.lit(None, dtype=pl.String).alias("source"))
    found = candidates.group_by("_shape").agg(
        pl.col("_article").n_unique().alias("articles"),
        pl.col(DOC).n_unique().alias("documents"),
        pl.col(MATCH).mode().sort().first().alias("text"),
        pl.col("line").str.strip_chars().unique().sort().head(5).alias("variants"),
        pl.col("source").drop_nulls().value_counts(sort=True).head(3).struct.field("source").alias("sources"),
        pl.col(DOC).unique().sort().alias("_docs"),
        pl.struct(DOC, "line_no").alias("_lines"),
    )
    found = found.filter(pl.col("articles") >= min_articles)
    return found.sort(["articles", "documents", "text"], descending=[True, True, False])
