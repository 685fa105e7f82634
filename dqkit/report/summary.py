"""report.json: the canonical, deterministic record of a run.

No timestamps and no timings (those go to timings.json); keys sorted by the writer;
samples chosen deterministically (the first hits in input order).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from dqkit.frames import DOC
from dqkit.kinds import EditKind
from dqkit.report.detectors import (
    ACTION,
    CATEGORY,
    DETECTOR_IDS,
    DETECTORS,
    detector_definitions,
    mt_model_definitions,
)
from dqkit.report.languages import language_summary
from dqkit.report.parts import LENGTH_EDGES, first_samples, mt_top
from dqkit.rules.fingerprint import rule_definition_hash, rules_fingerprint, short_hash

SAMPLE_CHARS = 300


REPORT_SCHEMA = "dqkit/report@1"


def _fingerprint(paths) -> str:
    """sha256 over the names and bytes of ``paths`` (read in 1 MiB chunks), first 16 hex digits."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode() + b"\0")
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _length_label(index: int) -> str:
    if index == 0:
        return f"<{LENGTH_EDGES[0]}"
    if index == len(LENGTH_EDGES):
        return f"≥{LENGTH_EDGES[-1]}"
    return f"{LENGTH_EDGES[index - 1]}-{LENGTH_EDGES[index] - 1}"


LENGTH_BUCKETS = [_length_label(i) for i in range(len(LENGTH_EDGES) + 1)]


def length_histogram(lengths: pl.DataFrame) -> list[int]:
    """Documents per length bucket (``lengths``: ``bucket, n``; labels in ``LENGTH_BUCKETS``), in order.

    >>> length_histogram(pl.DataFrame({"bucket": [1, 0, 9, 1], "n": [1, 1, 1, 2]}))
    [1, 3, 0, 0, 0, 0, 0, 0, 0, 1]
    """
    counts = [0] * (len(LENGTH_EDGES) + 1)
    for bucket, n in lengths.group_by("bucket").agg(pl.col("n").sum()).iter_rows():
        counts[int(bucket)] = int(n)
    return counts


def _counts(frame: pl.DataFrame, column: str) -> dict:
    """The sum of ``n`` per value of ``column``, by value."""
    if frame.is_empty():
        return {}
    totals = frame.group_by(column).agg(pl.col("n").sum()).sort(column)
    return {str(k): int(v) for k, v in totals.iter_rows()}


def _rule_stats(rules, hits: pl.DataFrame, samples: pl.DataFrame, edits: pl.DataFrame) -> dict:
    removed = edits.group_by("rule_id").agg(
        pl.col("n").filter(pl.col("kind") == EditKind.LINE_REMOVED).sum().alias("removed"),
        pl.col("n").filter(pl.col("kind") == EditKind.SPAN_REMOVED).sum().alias("spans"),
    )
    per_rule = hits.group_by("rule_id").agg(pl.col("hits").sum(), pl.col("docs").sum().alias("documents"))
    table = per_rule.join(removed, on="rule_id", how="left").fill_null(0)
    # One pass over each frame, not a filter per rule (82 rules: 164 filters on every run).
    counts = {r[0]: r[1:] for r in table.select("rule_id", "hits", "documents", "removed", "spans").iter_rows()}
    sampled: dict[str, list[dict]] = {}
    for rule_id, doc_id, line_no, text in first_samples(samples).select("rule_id", "id", "line_no", "line").iter_rows():
        sampled.setdefault(rule_id, []).append(
            {"doc_id": doc_id, "line_no": int(line_no), "text": (text or "")[:SAMPLE_CHARS]}
        )
    stats = {}
    for rule in rules.rules:
        if rule.id not in counts:
            continue
        hits_n, documents, lines_removed, spans_removed = counts[rule.id]
        stats[rule.id] = {
            "action": rule.action,
            "category": rule.category,
            "hits": int(hits_n),
            "documents": int(documents),
            "lines_removed": int(lines_removed),
            "spans_removed": int(spans_removed),
            "message": rule.message,
            "samples": sampled.get(rule.id, []),
        }
    return stats


_DETECTOR_REMOVAL = (pl.col("kind") == EditKind.LINE_REMOVED) & pl.col("rule_id").is_in(DETECTOR_IDS)


def first_detector_removals(edits: pl.DataFrame) -> pl.DataFrame:
    """The first :data:`SAMPLES_PER_RULE` lines each detector removed (``_doc, doc_id,
    line_no, kind, rule_id, before, score``, in input order), from ``edits`` with those columns:
    one shard's edits, or the samples of every shard put together."""
    return first_samples(
        edits.filter(_DETECTOR_REMOVAL).select(DOC, "doc_id", "line_no", "kind", "rule_id", "before", "score")
    )


def _detector_stats(edits: pl.DataFrame, samples: pl.DataFrame) -> dict:
    """A ``rule_hits`` entry per detector that removed lines, with a rule's fields: each
    removed line is a hit; the samples carry the line's ``score``."""
    table = (
        edits.filter(_DETECTOR_REMOVAL)
        .group_by("rule_id")
        .agg(pl.col("n").sum().alias("lines"), pl.col("docs").sum().alias("documents"))
    )
    samples = first_detector_removals(samples)
    stats = {}
    for detector in DETECTORS:
        row = table.filter(pl.col("rule_id") == detector.rule_id)
        if row.is_empty():
            continue
        lines = int(row["lines"][0])
        stats[detector.rule_id] = {
            "action": ACTION,
            "category": CATEGORY,
            "hits": lines,
            "documents": int(row["documents"][0]),
            "lines_removed": lines,
            "spans_removed": 0,
            "message": detector.message,
            "samples": [
                {"doc_id": d, "line_no": int(n), "text": (t or "")[:SAMPLE_CHARS], "score": s}
                for d, n, t, s in samples.filter(pl.col("rule_id") == detector.rule_id)
                .select("doc_id", "line_no", "before", "score")
                .iter_rows()
            ],
        }
    return stats


LARGEST_CLUSTERS = 5
# report.json lists at most this many clusters, the largest (each copy costs the driver about
# a kilobyte as it builds the report, and a report that reviewers diff should not grow without
# bound); rejects.* holds every copy with its dup_of, similarity and linked_via.
MAX_LISTED_CLUSTERS = 10_000


def _copies(dups: pl.DataFrame) -> pl.Expr:
    """Per cluster, its copies as report.json lists them: the most similar to the kept copy
    first, ties by id."""
    fields = ("id", "reason", "similarity", "linked_via", "linked_via_similarity")
    return pl.struct(*fields).sort_by(-pl.col("similarity").fill_null(0.0), "id").alias("copies")


def _dedup_summary(options: dict, rejected: pl.DataFrame, dups: pl.DataFrame) -> dict:
    """Counts, the cluster-size distribution, the largest clusters (kept id first), every
    cluster with its copies (``all_clusters``: largest first, ties by the kept id; at most
    :data:`MAX_LISTED_CLUSTERS`, ``clusters_not_listed`` counts the others) and the copies
    that joined their cluster through another copy (``joined_through``: how many, and their
    lowest similarity to the kept copy)."""
    for column, dtype in (
        ("dup_of_batch", pl.String),
        ("linked_via", pl.String),
        ("linked_via_similarity", pl.Float64),
    ):
        if column not in dups.columns:  # a part of a run with no duplicate at all
            dups = dups.with_columns(pl.lit(None, dtype=dtype).alias(column))
    sizes = dups.group_by("dup_of").agg(
        pl.len().alias("copies_n"),
        pl.col("id").sort().alias("ids"),
        pl.col("dup_of_batch").drop_nulls().first().alias("kept_batch"),
        _copies(dups),
    )
    sizes = sizes.with_columns((pl.col("copies_n") + 1).alias("size")).sort(
        ["size", "dup_of"], descending=[True, False]
    )
    histogram = {str(size): int(n) for size, n in sizes.group_by("size").len().sort("size").iter_rows()}
    by_reason = _counts(rejected, "reason")
    linked = dups.filter(pl.col("linked_via").is_not_null())["similarity"]
    return {
        "mode": options["dedup"],
        "parameters": options["near"] if options["dedup"] == "near" else {},
        "exact_duplicates": by_reason.get("exact_duplicate", 0),
        "near_duplicates": by_reason.get("near_duplicate", 0),
        "clusters": sizes.height,
        "cluster_sizes": histogram,
        "largest_clusters": [
            {"kept": kept, "size": int(size), "duplicates": ids[:10]}
            for kept, ids, size in sizes.head(LARGEST_CLUSTERS).select("dup_of", "ids", "size").iter_rows()
        ],
        "all_clusters": [
            {"kept": kept, "kept_batch": batch, "size": int(size), "copies": copies}
            for kept, batch, size, copies in sizes.head(MAX_LISTED_CLUSTERS)
            .select("dup_of", "kept_batch", "size", "copies")
            .iter_rows()
        ],
        "clusters_not_listed": max(0, sizes.height - MAX_LISTED_CLUSTERS),
        "joined_through": {"copies": linked.len(), "lowest_similarity": linked.min()},
    }


def mt_top_documents(top: pl.DataFrame) -> list[dict]:
    """The kept documents with the highest ``mt_score`` above 0 (:func:`dqkit.report.parts.mt_top`
    of every shard's top ones): ``id, mt_score, mt_probability, mt_reasons`` each (the
    reasons' examples are short).

    >>> reasons = [[{"signal": "v2_violation", "count": 1, "example": "Am 3. Mai die"}], [], []]
    >>> frame = pl.DataFrame({"id": ["b", "a", "c"], "mt_score": [0.5, 0.5, 0.0],
    ...                       "mt_probability": [None, 0.2, 0.0], "mt_reasons": reasons})
    >>> [(d["id"], d["mt_score"], d["mt_probability"], len(d["mt_reasons"])) for d in mt_top_documents(frame)]
    [('a', 0.5, 0.2, 0), ('b', 0.5, None, 1)]
    """
    return [
        {
            "id": doc_id,
            "mt_score": score,
            "mt_probability": probability,
            "mt_reasons": [{"signal": r["signal"], "count": r["count"], "example": r["example"]} for r in reasons],
        }
        for doc_id, score, probability, reasons in mt_top(top).iter_rows()
    ]


def _mt_summary(parts: dict[str, pl.DataFrame]) -> dict:
    """mt_score histogram (tenths), per signal documents and occurrences, and the documents
    with the highest mt_score (:func:`mt_top_documents`)."""
    kept = parts["kept"]
    if "mt_bin" not in kept.columns or not kept["n"].sum():
        return {"score_histogram": {}, "signals": {}, "top_documents": []}
    bins = kept.group_by("mt_bin").agg(pl.col("n").sum()).sort("mt_bin")
    histogram = {f"{b / 10:.1f}-{(b + 1) / 10:.1f}": int(n) for b, n in bins.iter_rows()}
    reasons = parts.get("mt_signals")
    signals = (
        {}
        if reasons is None
        else {
            s: {"documents": int(d), "occurrences": int(o)}
            for s, d, o in reasons.group_by("signal").agg(pl.col("documents", "count").sum()).sort("signal").iter_rows()
        }
    )
    return {"score_histogram": histogram, "signals": signals, "top_documents": mt_top_documents(parts["mt_top"])}


def _passed_over(files: list[dict]) -> dict:
    """``inputs.passed_over``: the WARC records that were not pages, by kind, over every file
    (each file's own count is its entry's ``passed_over``); empty when no WARC was read."""
    kinds: dict[str, int] = {}
    for entry in files:
        for kind, n in entry.get("passed_over", {}).items():
            kinds[kind] = kinds.get(kind, 0) + n
    return {"passed_over": dict(sorted(kinds.items()))} if kinds else {}


def build_report(
    *,
    version,
    options,
    output_format,
    files,
    ids_generated,
    problems,
    input_paths,
    skipped,
    rules,
    parts: dict[str, pl.DataFrame],
    stage_counters=None,
    columns=None,
) -> dict:
    """report.json from the shards' parts put together (:mod:`dqkit.report.parts`);
    ``problems`` counts the records that could not be read. ``stage_counters`` (per stage,
    per counter) become ``stages`` when a stage counted anything; ``columns`` (input columns
    renamed, recomputed or carried as JSON text) becomes ``inputs.columns`` when it says
    anything."""
    docs_in, kept_docs, rejected_docs, edits = parts["documents_in"], parts["kept"], parts["rejected"], parts["edits"]
    documents_in = int(docs_in["n"].sum()) + problems
    kept, rejected = int(kept_docs["n"].sum()), int(rejected_docs["n"].sum())
    unicode_fixes = edits.filter(pl.col("kind") == EditKind.UNICODE_FIXED)
    fixed = parts["edit_documents"]
    kind_count = {k: int(v) for k, v in edits.group_by("kind").agg(pl.col("n").sum()).iter_rows()}
    options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(options.items())}
    report = {
        "schema": REPORT_SCHEMA,
        "dqkit_version": version,
        "options": options,
        "options_hash": short_hash(options),
        "output_format": output_format,
        "inputs": {
            "files": files,
            "fingerprint": _fingerprint(input_paths),
            "skipped_files": skipped,
            "ids_generated": ids_generated,
            "bytes_replaced": int(docs_in["bytes"].sum() or 0),
            **_passed_over(files),
            **({"columns": columns} if columns else {}),
        },
        "rules": {
            "count": len(rules.rules),
            "files": list(rules.names),
            "fingerprint": rules_fingerprint(rules),
            "definitions": {
                **{rule.id: rule_definition_hash(rule) for rule in rules.rules},
                **detector_definitions(options),
                **mt_model_definitions(options),
            },
        },
        "documents": {
            "in": documents_in,
            "kept": kept,
            "rejected": rejected,
            "balanced": documents_in == kept + rejected,
            "rejected_by_reason": _counts(rejected_docs, "reason"),
        },
        "lines": {
            "removed": kind_count.get(EditKind.LINE_REMOVED, 0),
            "flagged": kind_count.get(EditKind.LINE_FLAGGED, 0),
            "blank_folded": kind_count.get(EditKind.BLANK_LINE_FOLDED, 0),
        },
        "edits_by_kind": _counts(edits, "kind"),
        "unicode": {
            "documents_fixed": int(fixed.filter(pl.col("kind") == EditKind.UNICODE_FIXED)["docs"].sum()),
            "fixes": _counts(unicode_fixes, "rule_id"),
        },
        "rule_hits": {
            **_rule_stats(rules, parts["rule_hits"], parts["hit_samples"], edits),
            **_detector_stats(edits, parts["detector_samples"]),
        },
        "languages": _counts(kept_docs.with_columns(pl.col("lang").fill_null("unknown")), "lang"),
        "language_id": language_summary(kept_docs, options["langid"] if options["detect_language"] else None),
        "characters": {
            "in": int(docs_in["chars"].sum() or 0),
            "out": int(kept_docs["chars"].sum() or 0),
        },
        "lengths": {
            "buckets": LENGTH_BUCKETS,
            "before": length_histogram(docs_in),
            "after": length_histogram(kept_docs),
        },
        "mt": _mt_summary(parts),
        "dedup": _dedup_summary(options, rejected_docs, parts["duplicates"]),
    }
    if stage_counters:
        report["stages"] = stage_counters
    return report
