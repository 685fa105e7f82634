"""report.json: the canonical, deterministic record of a run.

No timestamps and no timings (those go to timings.json); keys sorted by the writer;
samples chosen deterministically (the first hits in input order).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

SAMPLES_PER_RULE = 3
SAMPLE_CHARS = 300


def _fingerprint(paths) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode() + b"\0" + Path(path).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _counts(frame: pl.DataFrame, column: str) -> dict:
    if frame.is_empty():
        return {}
    return {str(k): int(v) for k, v in frame.group_by(column).len().sort(column).iter_rows()}


def _rule_stats(rules, result, edits: pl.DataFrame, ids: pl.DataFrame) -> dict:
    hits = result.hits.join(ids, on="_doc", how="left", maintain_order="left")
    removed = edits.filter(pl.col("kind") == "line_removed").group_by("rule_id").len(name="removed")
    per_rule = hits.group_by("rule_id").agg(pl.len().alias("hits"), pl.col("_doc").n_unique().alias("documents"))
    samples = hits.sort("_doc", "line_no").group_by("rule_id", maintain_order=True).head(SAMPLES_PER_RULE)
    stats = {}
    table = per_rule.join(removed, on="rule_id", how="left").fill_null(0)
    for rule in rules.rules:
        row = table.filter(pl.col("rule_id") == rule.id)
        if row.is_empty():
            continue
        rule_samples = samples.filter(pl.col("rule_id") == rule.id)
        stats[rule.id] = {
            "action": rule.action,
            "category": rule.category,
            "hits": int(row["hits"][0]),
            "documents": int(row["documents"][0]),
            "lines_removed": int(row["removed"][0]),
            "message": rule.message,
            "samples": [{"doc_id": d, "line_no": int(n), "text": (t or "")[:SAMPLE_CHARS]}
                        for d, n, t in rule_samples.select("id", "line_no", "line").iter_rows()],
        }
    return stats


LARGEST_CLUSTERS = 5


def _dedup_summary(options: dict, rejects: pl.DataFrame) -> dict:
    """Counts, the cluster-size distribution and the largest clusters (kept id first)."""
    dups = rejects.filter(pl.col("reason").is_in(["exact_duplicate", "near_duplicate"]))
    sizes = dups.group_by("dup_of").agg(pl.len().alias("copies"), pl.col("id").sort().alias("ids"))
    sizes = sizes.with_columns((pl.col("copies") + 1).alias("size")).sort(["size", "dup_of"], descending=[True, False])
    histogram = {str(size): int(n) for size, n in sizes.group_by("size").len().sort("size").iter_rows()}
    return {
        "mode": options["dedup"],
        "parameters": options["near"] if options["dedup"] == "near" else {},
        "exact_duplicates": int((rejects["reason"] == "exact_duplicate").sum()),
        "near_duplicates": int((rejects["reason"] == "near_duplicate").sum()),
        "clusters": sizes.height,
        "cluster_sizes": histogram,
        "largest_clusters": [{"kept": kept, "size": int(size), "duplicates": ids[:10]}
                             for kept, ids, size in sizes.head(LARGEST_CLUSTERS).select("dup_of", "ids", "size").iter_rows()],
    }


def _mt_summary(clean: pl.DataFrame) -> dict:
    """mt_score histogram (tenths) and, per signal, documents and occurrences."""
    if clean.is_empty() or "mt_score" not in clean.columns:
        return {"score_histogram": {}, "signals": {}}
    bins = (clean.select((pl.col("mt_score") * 10).floor().clip(0, 9).cast(pl.Int64).alias("bin"))
            .group_by("bin").len().sort("bin"))
    histogram = {f"{b / 10:.1f}-{(b + 1) / 10:.1f}": int(n) for b, n in bins.iter_rows()}
    reasons = clean.select(pl.col("mt_reasons").explode()).drop_nulls().unnest("mt_reasons")
    signals = {} if reasons.is_empty() else {
        s: {"documents": int(d), "occurrences": int(o)}
        for s, d, o in reasons.group_by("signal").agg(pl.len(), pl.col("count").sum()).sort("signal").iter_rows()}
    return {"score_histogram": histogram, "signals": signals}


def build_report(*, version, options, output_format, corpus, skipped, rules, docs_in, result,
                 clean, rejects, edits) -> dict:
    documents_in = docs_in.height + corpus.problems.height
    kept, rejected = clean.height, rejects.height
    ids = docs_in.select("_doc", "id")
    chars_in = int(docs_in["text"].str.len_chars().sum() or 0)
    unicode_fixes = edits.filter(pl.col("kind") == "unicode_fixed")
    return {
        "dqkit_version": version,
        "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(options.items())},
        "output_format": output_format,
        "inputs": {
            "files": corpus.files,
            "skipped_files": skipped,
            "ids_generated": corpus.ids_generated,
            "bytes_replaced": int(docs_in["_bytes_replaced"].sum() or 0),
        },
        "rules": {"count": len(rules.rules), "files": list(rules.names),
                  "fingerprint": _fingerprint(rules.files)},
        "documents": {
            "in": documents_in,
            "kept": kept,
            "rejected": rejected,
            "balanced": documents_in == kept + rejected,
            "rejected_by_reason": _counts(rejects, "reason"),
        },
        "lines": {
            "removed": int((edits["kind"] == "line_removed").sum()),
            "flagged": int((edits["kind"] == "line_flagged").sum()),
            "blank_folded": int((edits["kind"] == "blank_line_folded").sum()),
        },
        "edits_by_kind": _counts(edits, "kind"),
        "unicode": {
            "documents_fixed": int(unicode_fixes["doc_id"].n_unique()),
            "fixes": _counts(unicode_fixes, "rule_id"),
        },
        "rule_hits": _rule_stats(rules, result, edits, ids),
        "languages": _counts(clean.with_columns(pl.col("lang").fill_null("unknown")), "lang"),
        "characters": {
            "in": chars_in,
            "out": int(clean["text"].str.len_chars().sum() or 0),
        },
        "mt": _mt_summary(clean),
        "dedup": _dedup_summary(options, rejects),
    }
