"""What report.json needs of one shard, reduced where the shard is: counts, not rows.

The report sums over the whole corpus, so the driver should not hold a row per document
(nor per edit, nor per rule hit) to build it. Each shard's light frames are cut down here
(:func:`report_part`) to small frames the report can sum: counts per category, the first
samples per rule, the shard's top MT documents, its duplicates with their kept copy and
similarities (a row per duplicate, which report.json lists). Documents never span
shards, so a count of distinct documents adds up across shards, and the first samples
(or the top documents) of the corpus are among the first (the top) of each shard.
:func:`combine` puts the parts of every shard together for
:func:`dqkit.report.summary.build_report`.

>>> import polars as pl
>>> length_buckets(pl.Series([99, 100, 4000, None, 60_000])).to_list()
[0, 1, 5, 0, 9]
"""

from __future__ import annotations

import numpy as np
import polars as pl

from dqkit.frames import BYTES_REPLACED, CHARS, DOC, LANG_BY, SOURCE
from dqkit.kinds import LanguageBy

LENGTH_EDGES = (100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000)
SAMPLES_PER_RULE = 3
MT_TOP_DOCUMENTS = 10  # kept documents with the highest mt_score that report.json lists
DUPLICATE_REASONS = ("exact_duplicate", "near_duplicate")
# What the report keeps of every duplicate: its cluster, and how it joined it.
DUPLICATE_COLUMNS = ("id", "reason", "dup_of", "dup_of_batch", "similarity", "linked_via", "linked_via_similarity")


def length_buckets(lengths: pl.Series) -> pl.Series:
    """The bucket of each length (0: under the first edge; ``len(LENGTH_EDGES)``: the last or more)."""
    edges = np.searchsorted(LENGTH_EDGES, lengths.fill_null(0).to_numpy(), side="right")
    return pl.Series("bucket", edges, dtype=pl.Int64)


def mt_top(clean: pl.DataFrame, limit: int = MT_TOP_DOCUMENTS) -> pl.DataFrame:
    """The ``limit`` documents with the highest ``mt_score`` above 0, ties by id."""
    return (
        clean.filter(pl.col("mt_score") > 0)
        .sort(["mt_score", "id"], descending=[True, False])
        .head(limit)
        .select("id", "mt_score", "mt_probability", "mt_reasons")
    )


def first_samples(hits: pl.DataFrame) -> pl.DataFrame:
    """The first :data:`SAMPLES_PER_RULE` hits of each rule in input order."""
    return hits.sort(DOC, "line_no").group_by("rule_id", maintain_order=True).head(SAMPLES_PER_RULE)


def _kept(clean: pl.DataFrame) -> pl.DataFrame:
    """Kept documents per language, how it was decided, length bucket and mt_score tenth,
    with their characters; the source only where its prior decided (the report names those)."""
    prior_source = pl.when(pl.col(LANG_BY) == LanguageBy.PRIOR).then(pl.col(SOURCE))
    columns = [
        pl.col("lang"),
        pl.col(LANG_BY),
        prior_source.alias(SOURCE),
        pl.lit(length_buckets(clean[CHARS])).alias("bucket"),
    ]
    if "mt_score" in clean.columns:
        columns.append((pl.col("mt_score") * 10).floor().clip(0, 9).cast(pl.Int64).alias("mt_bin"))
    keys = [c.meta.output_name() for c in columns]
    return clean.with_columns(columns).group_by(keys).agg(pl.len().alias("n"), pl.col(CHARS).sum().alias("chars"))


def report_part(*, docs_in, clean, rejects, hits, edits, detector_samples) -> dict[str, pl.DataFrame]:
    """One shard's share of the report, from its light frames (``docs_in``: ``_doc, id,
    _chars, _bytes_replaced``; ``clean``: ``_doc, id, lang, _lang_by, _source, mt_score,
    mt_probability, mt_reasons, _chars``; ``rejects``: :data:`DUPLICATE_COLUMNS`; ``hits``: rule
    hits; ``edits``: ``_doc, doc_id, kind, rule_id``; ``detector_samples``: the first
    detector removals)."""
    with_ids = hits.join(docs_in.select(DOC, "id"), on=DOC, how="left", maintain_order="left")
    part = {
        "documents_in": docs_in.with_columns(length_buckets(docs_in[CHARS]))
        .group_by("bucket")
        .agg(pl.len().alias("n"), pl.col(CHARS).sum().alias("chars"), pl.col(BYTES_REPLACED).sum().alias("bytes")),
        "kept": _kept(clean),
        "rejected": rejects.group_by("reason").len("n"),
        "duplicates": rejects.filter(pl.col("reason").is_in(DUPLICATE_REASONS)),
        "rule_hits": hits.group_by("rule_id").agg(pl.len().alias("hits"), pl.col(DOC).n_unique().alias("docs")),
        "hit_samples": first_samples(with_ids).select(DOC, "rule_id", "line_no", "id", "line"),
        "edits": edits.group_by("kind", "rule_id").agg(pl.len().alias("n"), pl.col(DOC).n_unique().alias("docs")),
        "edit_documents": edits.group_by("kind").agg(pl.col("doc_id").n_unique().alias("docs")),
        "detector_samples": detector_samples,
    }
    if "mt_score" in clean.columns:
        reasons = clean.select(pl.col("mt_reasons").explode()).drop_nulls().unnest("mt_reasons")
        part["mt_top"] = mt_top(clean)
        if not reasons.is_empty():
            signals = reasons.group_by("signal").agg(pl.len().alias("documents"), pl.col("count").sum().alias("count"))
            part["mt_signals"] = signals
    return part


def combine(parts: list[dict[str, pl.DataFrame]]) -> dict[str, pl.DataFrame]:
    """The parts of every shard, frame by frame, in shard order."""
    names = dict.fromkeys(name for part in parts for name in part)
    return {name: pl.concat([p[name] for p in parts if name in p], how="diagonal_relaxed") for name in names}
