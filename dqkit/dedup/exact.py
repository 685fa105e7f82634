"""Exact duplicates: documents whose cleaned text is the same after normalisation.

Normalisation folds case and white space, so two copies that differ only in line
wrapping or capitalisation are one document. The first copy in input order is kept;
each later copy names it in ``dup_of``.

>>> import polars as pl
>>> docs = pl.DataFrame({"id": ["a", "b", "c"], "text": ["Hello  World", "hello world", "Other"]})
>>> find_exact_duplicates(docs).rows()
[('b', 'a')]
"""

from __future__ import annotations

import polars as pl


def dedup_key(text: pl.Expr) -> pl.Expr:
    return text.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def find_exact_duplicates(docs: pl.DataFrame) -> pl.DataFrame:
    """(``id``, ``dup_of``) for every document that repeats an earlier one (``docs`` in input order)."""
    keyed = docs.select("id", dedup_key(pl.col("text")).alias("_key"))
    return (keyed.with_columns(pl.col("id").first().over("_key").alias("dup_of"))
            .filter(pl.col("id") != pl.col("dup_of"))
            .select("id", "dup_of"))
