"""Exact duplicates: documents whose cleaned text is the same after normalisation.

Normalisation folds case and white space, so two copies that differ only in line
wrapping or capitalisation are one document. Each shard hashes its texts
(:func:`key_hashes`, 128-bit xxh3); the first copy in input order is kept and each later
copy names it in ``dup_of``.

>>> import polars as pl
>>> texts = pl.Series(["Hello  World", "hello world", "Other"])
>>> docs = pl.DataFrame({"id": ["a", "b", "c"], "_key": key_hashes(texts)})
>>> find_exact_duplicates(docs).rows()
[('b', 'a')]
"""

from __future__ import annotations

import polars as pl
import xxhash

from dqkit.frames import KEY


def dedup_key(text: pl.Expr) -> pl.Expr:
    return text.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def key_hashes(texts: pl.Series) -> pl.Series:
    """``_key``: the hash of each text's normalised form."""
    keys = pl.select(dedup_key(pl.lit(texts))).to_series().to_list()
    return pl.Series(KEY, [xxhash.xxh3_128_hexdigest(k.encode()) for k in keys], dtype=pl.String)


def find_exact_duplicates(docs: pl.DataFrame) -> pl.DataFrame:
    """(``id``, ``dup_of``) for every document that repeats an earlier one (``docs``: ``id, _key``
    in input order)."""
    return (
        docs.with_columns(pl.col("id").first().over(KEY).alias("dup_of"))
        .filter(pl.col("id") != pl.col("dup_of"))
        .select("id", "dup_of")
    )
