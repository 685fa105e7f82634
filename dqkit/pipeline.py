"""``dqkit clean`` on one documents frame: normalise, match rules, assemble, detect
language, repair joins, MT signals, guard; and the rule tools' corpus helpers.

:func:`clean_documents` knows nothing about files; :mod:`dqkit.run` calls it once per
shard and does reading, cross-shard dedup and writing around it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import polars as pl

from dqkit.assemble import clean_lines, kept_lines, out_of_language, replace_lines
from dqkit.dedup.near import NearDupOptions, ranking_columns
from dqkit.detect.language import DEFAULT_PREFIX_CHARS, detect_languages
from dqkit.detect.mt_signals import score_documents
from dqkit.detect.repeated_lines import repeated_lines
from dqkit.errors import DqkitError
from dqkit.io.readers import MAX_EXPANSION, ReadOptions, read_corpus
from dqkit.io.sources import discover
from dqkit.normalize.joins import repair_joins
from dqkit.normalize.unicode import EDIT_SCHEMA, normalise_documents, replacement_edits
from dqkit.progress import Progress
from dqkit.rules.engine import line_table
from dqkit.rules.loading import RuleSet
from dqkit.rules.suggest import Suggestion

INTERNAL = ("_doc", "_origin", "_bytes_replaced", "_lang_hint", "_trusted")
# Columns dqkit writes on clean rows; an input that has them (a cleaned corpus cleaned
# again) gets them recomputed.
COUNT_COLUMNS = ("dq_lines_removed", "dq_edits", "dq_flags")
SIGNAL_COLUMNS = ("mt_score", "mt_reasons")
REASONS = {
    "empty_text": "the document has no text",
    "too_much_removed": "rules removed more than the allowed share of the text",
    "empty_after_cleaning": "nothing is left after cleaning",
    "exact_duplicate": "same cleaned text as an earlier document",
    "mt_score_above": "machine-translation signals above --drop-mt-above",
    "near_duplicate": "a near-duplicate of a kept document",
}


@dataclass(frozen=True)
class CleanOptions:
    text_field: str = "text"
    id_field: str = "id"
    lang_field: str = "lang"
    on_error: str = "stop"
    output_format: str | None = None  # jsonl | parquet; None: parquet for parquet input
    rule_dirs: tuple[str, ...] = ()
    builtin_rules: bool = True
    detect_language: bool = True
    lang_prefix_chars: int = DEFAULT_PREFIX_CHARS
    max_removed_fraction: float = 0.5
    dedup: str = "near"  # near | exact | none
    near: NearDupOptions = field(default_factory=NearDupOptions)
    overwrite: bool = False
    config: str | None = None  # dqkit.toml / pyproject.toml; None: look in the current folder
    index: str | None = None  # a persistent near-duplicate index folder
    batch: str | None = None  # this batch's name in the index (default: the output folder's name)
    repair_joins: bool = True
    drop_mt_above: float | None = None  # reject documents whose mt_score is above this
    max_expansion: float = MAX_EXPANSION  # a compressed input may expand this many times (bomb guard)


@dataclass
class CleanResult:
    clean: pl.DataFrame
    rejects: pl.DataFrame
    edits: pl.DataFrame
    hits: pl.DataFrame  # _doc, line_no, rule_id, action, line (every rule hit, for statistics)
    ids: pl.DataFrame  # _doc, id of every document read
    timings: dict[str, float] = field(default_factory=dict)


def _lang_hint(docs: pl.DataFrame, lang_field: str) -> pl.DataFrame:
    if lang_field in docs.columns:
        hint = (
            pl.col(lang_field)
            .cast(pl.String)
            .str.strip_chars()
            .str.to_lowercase()
            .str.extract(r"^([a-z]{2,3})(?:[-_].*)?$")
        )
    else:
        hint = pl.lit(None, dtype=pl.String)
    return docs.with_columns(hint.alias("_lang_hint"))


def mark_rejected(frame: pl.DataFrame, reason: str, detail: pl.Expr | str | None = None) -> pl.DataFrame:
    """``frame`` with the columns ``reason`` and ``detail`` (the reason's default text unless given)."""
    detail_expr = pl.lit(detail or REASONS.get(reason, reason)) if not isinstance(detail, pl.Expr) else detail
    return frame.with_columns(pl.lit(reason).alias("reason"), detail_expr.cast(pl.String).alias("detail"))


def clean_documents(docs: pl.DataFrame, rules: RuleSet, options: CleanOptions, progress: Progress) -> CleanResult:
    """Clean a documents frame (``_doc, id, text, _origin, _bytes_replaced`` + carried)."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 4)
        clock = now

    docs = _lang_hint(docs, options.lang_field)
    original = docs.select("_doc", pl.col("text").alias("_original_text"))
    ids = docs.select("_doc", "id")

    progress.stage("normalising unicode")
    read_edits = replacement_edits(docs)
    normalised, unicode_edits = normalise_documents(docs.select("_doc", "text"), progress.advance)
    docs = docs.drop("text").join(normalised, on="_doc", how="left", maintain_order="left")
    lap("normalise")

    empty = docs.filter(pl.col("text").str.strip_chars() == "")
    docs = docs.filter(pl.col("text").str.strip_chars() != "")
    rejected = [mark_rejected(empty, "empty_text")]

    progress.stage(f"matching {len(rules.rules)} rules")
    outcome = clean_lines(docs, rules.rules)
    lap("rules")

    progress.stage("detecting language")
    # On the cleaned text: boilerplate in another language must not decide it.
    given = (
        pl.col(options.lang_field).cast(pl.String)
        if options.lang_field in docs.columns
        else pl.lit(None, dtype=pl.String)
    )
    to_detect = (
        docs.filter(pl.col("_lang_hint").is_null())
        .select("_doc")
        .join(outcome.texts.select("_doc", "text"), on="_doc", how="inner", maintain_order="left")
    )
    found: list[tuple[str | None, bool]] = [(None, False)] * to_detect.height
    if options.detect_language and not to_detect.is_empty():
        found = detect_languages(to_detect["text"].to_list(), options.lang_prefix_chars, progress.advance)
    detected = pl.DataFrame(
        {
            "_doc": to_detect["_doc"],
            "_detected": [lang for lang, _ in found],
            "_trusted": [trusted for _, trusted in found],
        },
        schema={"_doc": pl.Int64, "_detected": pl.String, "_trusted": pl.Boolean},
    )
    docs = (
        docs.join(detected, on="_doc", how="left", maintain_order="left")
        .with_columns(pl.when(pl.col("_lang_hint").is_null()).then(pl.col("_detected")).otherwise(given).alias("lang"))
        .drop("_detected")
    )
    docs = docs.with_columns(pl.col("_trusted").fill_null(False))
    lap("language")

    # A rule of another language fired before the language was known: clean those
    # documents again with it, where the detected language can be trusted.
    trusted = docs.filter(pl.col("_trusted")).select("_doc", "lang")
    rescoped = out_of_language(outcome.hits, rules.rules, trusted)
    if not rescoped.is_empty():
        again = docs.filter(pl.col("_doc").is_in(rescoped.implode())).with_columns(
            pl.col("lang").str.extract(r"^([a-z]{2,3})").alias("_lang_hint")
        )
        outcome = outcome.replace(clean_lines(again, rules.rules))
    lap("rescope")

    join_edits = pl.DataFrame(schema=EDIT_SCHEMA)
    if options.repair_joins:
        progress.stage("repairing missing-space joins")
        langs = docs.select("_doc", pl.col("lang").fill_null("und"))
        lines = kept_lines(outcome.texts.select("_doc", "text", "line_nos").join(langs, on="_doc", how="left"))
        changed, join_edits = repair_joins(lines)
        outcome.texts = replace_lines(outcome.texts, changed)
    lap("joins")

    progress.stage("MT signals")
    # Rules of category "provenance" say a text was generated or translated automatically.
    notice_rules = [r.id for r in rules.rules if r.category == "provenance"]
    notices = (
        outcome.hits.filter(pl.col("rule_id").is_in(notice_rules))
        .sort("_doc", "line_no")
        .group_by("_doc")
        .agg(pl.len().alias("notices"), pl.col("line").first().alias("notice_example"))
    )
    signals = score_documents(
        outcome.texts.select("_doc", "text")
        .join(docs.select("_doc", "lang"), on="_doc", how="left", maintain_order="left")
        .join(notices, on="_doc", how="left", maintain_order="left")
    )
    lap("mt_signals")

    dropped_docs = docs.join(outcome.doc_drops, on="_doc", how="inner", maintain_order="left")
    rejected.append(
        mark_rejected(
            dropped_docs, "rule_dropped", pl.format("rule {} hit line {}", pl.col("rule_id"), pl.col("line_no"))
        ).drop("rule_id", "line_no")
    )
    docs = docs.drop("text").join(outcome.texts, on="_doc", how="inner", maintain_order="left")

    # Document guard: too much removed, or nothing left.
    share = pl.col("chars_removed") / pl.col("chars_in").clip(lower_bound=1)
    nothing_left = pl.col("text").str.strip_chars() == ""
    too_much = ~nothing_left & (share > options.max_removed_fraction)
    rejected.append(mark_rejected(docs.filter(nothing_left), "empty_after_cleaning"))
    rejected.append(
        mark_rejected(
            docs.filter(too_much),
            "too_much_removed",
            pl.format(
                "removed {}% of the text (limit {}%)",
                (share * 100).round(1),
                pl.lit(round(options.max_removed_fraction * 100, 1)),
            ),
        )
    )
    survivors = docs.filter(~nothing_left & ~too_much).join(signals, on="_doc", how="left", maintain_order="left")
    if options.drop_mt_above is not None:
        too_mt = pl.col("mt_score") > options.drop_mt_above
        rejected.append(
            mark_rejected(
                survivors.filter(too_mt),
                "mt_score_above",
                pl.format("mt_score {} > {}", pl.col("mt_score"), pl.lit(options.drop_mt_above)),
            ).drop("mt_score", "mt_reasons")
        )
        survivors = survivors.filter(~too_mt)

    edits = pl.concat([read_edits, unicode_edits, outcome.edits, join_edits])
    # What dedup's keep policy compares: keep=best takes the copy with the fewest repairs
    # and MT flags (then the longest).
    repairs = (
        edits.filter(~pl.col("kind").is_in(["line_removed", "blank_line_folded", "line_flagged"]))
        .group_by("_doc")
        .len(name="_repairs")
    )
    survivors = (
        survivors.join(repairs, on="_doc", how="left", maintain_order="left")
        .with_columns(
            (pl.col("_repairs").fill_null(0) + pl.col("mt_score").fill_null(0)).cast(pl.Float64).alias("_quality"),
            ranking_columns(pl.col("text")),
        )
        .drop("_repairs")
    )
    lap("guard")
    return CleanResult(
        clean=survivors,
        rejects=_assemble_rejects(rejected, original),
        edits=edits,
        hits=outcome.hits.select("_doc", "line_no", "rule_id", "action", "line"),
        ids=ids,
        timings=timings,
    )


def _assemble_rejects(parts: list[pl.DataFrame], original: pl.DataFrame) -> pl.DataFrame:
    """Rejects carry the document as it was read, so that nothing is lost."""
    frames = [p for p in parts if not p.is_empty()]
    if not frames:
        return pl.DataFrame(schema={"_doc": pl.Int64, "id": pl.String, "reason": pl.String, "detail": pl.String})
    rejects = pl.concat(frames, how="diagonal_relaxed").drop("text", strict=False)
    return rejects.join(original, on="_doc", how="left", maintain_order="left").rename({"_original_text": "text"})


def read_documents(inputs: list[str], text_field: str = "text", id_field: str = "id") -> pl.DataFrame:
    """The documents of a corpus for the rule tools (``_doc, id, text, _lang_hint`` + the
    rest); unreadable records are skipped, as they are no use for counting rule hits."""
    discovery = discover(inputs)
    corpus = read_corpus(discovery.files, ReadOptions(text_field, id_field, "skip"))
    if corpus.documents.is_empty():
        raise DqkitError(f"empty corpus: no documents in {', '.join(inputs)}")
    docs = corpus.documents.with_row_index("_doc").with_columns(pl.col("_doc").cast(pl.Int64))
    return _lang_hint(docs, "lang")


def rule_hits_on_corpus(inputs: list[str], rules: RuleSet, text_field: str = "text") -> dict[str, tuple[int, int]]:
    """Per rule id: (lines hit, documents hit) on a corpus, before any rescoping."""
    docs = read_documents(inputs, text_field)
    normalised, _ = normalise_documents(docs.select("_doc", "text"))
    docs = docs.drop("text").join(normalised, on="_doc", how="left", maintain_order="left")
    hits = clean_lines(docs, rules.rules).hits
    counts = hits.group_by("rule_id").agg(pl.len(), pl.col("_doc").n_unique())
    return {rule_id: (lines, documents) for rule_id, lines, documents in counts.iter_rows()}


def suggest_rules(
    inputs: list[str], rules: RuleSet, text_field: str = "text", top: int = 20, min_articles: int = 3
) -> list[Suggestion]:
    """Lines repeated across different articles of a corpus that no rule covers yet."""
    docs = read_documents(inputs, text_field)
    normalised, _ = normalise_documents(docs.select("_doc", "text"))
    docs = docs.drop("text").join(normalised, on="_doc", how="left", maintain_order="left")
    lines = line_table(docs.select("_doc", "text", "_lang_hint"))
    covered = clean_lines(docs, rules.rules).hits.select("_doc", "line_no").unique()
    sources = docs.select("_doc", pl.col("source").cast(pl.String)) if "source" in docs.columns else None
    found = repeated_lines(lines, min_articles, covered, sources)
    repeated = found["_shape"].implode()
    suggestions = []
    for row in found.head(top).iter_rows(named=True):
        # Real body lines of the same documents, the no_match examples: the longest
        # lines that are not repeated elsewhere, one per document.
        body = (
            lines.filter(
                pl.col("_doc").is_in(row["_docs"])
                & pl.col("_len").is_between(40, 600)
                & ~pl.col("_ml").str.replace_all(r"\d+", "0").is_in(repeated)
            )
            .sort("_len", "_doc", descending=[True, False])
            .unique("_doc", keep="first", maintain_order=True)["line"]
            .head(2)
            .to_list()
        )
        texts = docs.filter(pl.col("_doc").is_in(row["_docs"][:3]))
        given = texts["_lang_hint"].drop_nulls().to_list()
        guesses = given or [lang for lang, trusted in detect_languages(texts["text"].to_list()) if trusted]
        lang = max(set(guesses), key=guesses.count).split("-")[0] if guesses else "any"
        suggestions.append(
            Suggestion(
                text=row["text"],
                variants=tuple(v.strip() for v in row["variants"]),
                body_lines=tuple(body),
                lang=lang,
                articles=row["articles"],
                documents=row["documents"],
                sources=tuple(row["sources"]),
            )
        )
    return suggestions
