"""The run's output files, assembled from the shard folders of the work folder one shard at
a time: kept and rejected documents, edits, and the light frames the report is built from.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import polars.selectors as cs

from dqkit.frames import (
    AS_READ,
    BYTES_REPLACED,
    CARRIED,
    CHARS,
    COUNT_COLUMNS,
    DOC,
    EDIT_COLUMNS,
    LANG_BY,
    LANG_SCORE,
    ORIGIN,
    SIGNAL_COLUMNS,
    SOURCE,
)
from dqkit.io.atomic import disk_errors
from dqkit.io.columns import CarriedPlan, carried_frame, concat_diagonal
from dqkit.io.readers import duplicate_id_detail
from dqkit.kinds import FLAG, REPAIR, EditKind, RejectReason
from dqkit.rejects import reject, reject_rows
from dqkit.report.parts import DUPLICATE_COLUMNS, report_part
from dqkit.report.summary import first_detector_removals

HTML_EXAMPLES = 20  # edits per rule and kind that report.html shows
CONTEXT_REACH = 3  # lines looked at on each side of an example for one that is not blank
LINE_ENDS = re.compile(r"\r\n?|\n")  # as normalising counts lines

# The files of a shard folder, as clean_shard writes them.
SURVIVORS, REJECTS, PROBLEMS, EDITS, HITS, DOCS, TEXT_AS_READ, CARRIED_FILE, SIGNATURES, BAND_KEYS, DONE = (
    "survivors.parquet",
    "rejects.parquet",
    "problems.parquet",
    "edits.parquet",
    "hits.parquet",
    "docs.parquet",
    "as_read.parquet",
    "carried.parquet",  # the input's other columns (only when it has some)
    "signatures.npy",
    "band_keys.npy",  # bands x documents: each band of each signature as one key (near dedup)
    "done.json",
)
# ... and the parts finish_shard writes next to them, concatenated into OUT.
FINAL_CLEAN, FINAL_REJECTS, FINAL_PROBLEMS, FINAL_EDITS = (
    "final_clean.parquet",
    "final_rejects.parquet",
    "final_problems.parquet",
    "final_edits.parquet",
)


def edit_counts(edits: pl.DataFrame) -> pl.DataFrame:
    """The per-document counts of clean.*, from the groups of :class:`EditKind`."""
    return edits.group_by(DOC).agg(
        (pl.col("kind") == EditKind.LINE_REMOVED).sum().alias("dq_lines_removed"),
        pl.col("kind").is_in(EditKind.in_group(REPAIR)).sum().alias("dq_edits"),
        pl.col("kind").is_in(EditKind.in_group(FLAG)).sum().alias("dq_flags"),
    )


def _duplicate_id_problems(gone: pl.DataFrame, as_read: pl.DataFrame) -> pl.DataFrame:
    """Documents whose id an earlier shard used, as read problems (as in one pass)."""
    rows = gone.join(as_read, on=DOC, how="left", maintain_order="left")
    details = [duplicate_id_detail(i, first) for i, first in rows.select("id", "first_origin").iter_rows()]
    return rows.select(
        DOC,
        "id",
        pl.lit(RejectReason.DUPLICATE_ID.value).alias("reason"),
        pl.Series("detail", details, dtype=pl.String),
        pl.col(AS_READ).alias("text"),
        ORIGIN,
    )


def _duplicate_rejects(survivors: pl.DataFrame, duplicates: pl.DataFrame) -> pl.DataFrame:
    dup_docs = survivors.join(duplicates, on="id", how="inner", maintain_order="left")
    batch = pl.when(pl.col("dup_batch").is_not_null()).then(pl.format(" (batch {})", pl.col("dup_batch")))
    through = pl.when(pl.col("linked_via").is_not_null()).then(
        pl.format(", joined through {} (Jaccard {})", pl.col("linked_via"), pl.col("linked_via_similarity"))
    )
    detail = pl.format(
        "Jaccard {} with {}{}{}",
        pl.col("similarity"),
        pl.col("dup_of"),
        batch.otherwise(pl.lit("")),
        through.otherwise(pl.lit("")),
    )
    exact = pl.col("similarity") >= 1.0
    reason = (
        pl.when(exact)
        .then(pl.lit(RejectReason.EXACT_DUPLICATE.value))
        .otherwise(pl.lit(RejectReason.NEAR_DUPLICATE.value))
    )
    return (
        reject(dup_docs, RejectReason.NEAR_DUPLICATE, detail)
        .with_columns(reason.alias("reason"))
        .rename({"dup_batch": "dup_of_batch"})
        .drop("text")
    )


def finish_shard(
    folder: Path,
    carried: CarriedPlan,
    own: dict[str, dict],
    jsonl_output: bool,
    duplicates: pl.DataFrame,
    dropped: pl.DataFrame,
) -> dict:
    """Split one shard's survivors into kept and duplicate, add the per-document counts and
    the input's carried columns (``own`` says how this shard holds them), give every frame
    the columns of its output file and write the shard's final parts; return its share of
    the report (:func:`dqkit.report.parts.report_part`) and the count of its unreadable records."""
    survivors, rejects, edits, hits, problems, docs, as_read = (
        pl.read_parquet(folder / name) for name in (SURVIVORS, REJECTS, EDITS, HITS, PROBLEMS, DOCS, TEXT_AS_READ)
    )
    aside = pl.read_parquet(folder / CARRIED_FILE) if (folder / CARRIED_FILE).exists() else None

    def with_carried(frame: pl.DataFrame, held: pl.Series | None = None) -> pl.DataFrame:
        """``frame`` without ``_doc``, and the carried columns of its documents (by ``_doc``; a
        null one has none) as the run carries them; ``held``, row for row, the carried values
        of rows that hold their own (pages that gave no text, rejected as they were read)."""
        if not carried.names:
            return frame.drop(DOC)
        values = held
        if aside is not None:
            values = frame.select(DOC).join(aside, on=DOC, how="left", maintain_order="left")[CARRIED]
            values = values if held is None else pl.select(pl.coalesce(held, values)).to_series()
        return pl.concat(
            [frame.drop(DOC), carried_frame(values, frame.height, carried, own, jsonl_output)], how="horizontal"
        )

    gone = dropped.filter(pl.col(DOC).is_in(docs[DOC].implode()))
    if not gone.is_empty():
        problems = pl.concat([problems, _duplicate_id_problems(gone, as_read)], how="diagonal_relaxed")
        keep = ~pl.col(DOC).is_in(gone[DOC].implode())
        survivors, rejects, edits, hits, docs = (f.filter(keep) for f in (survivors, rejects, edits, hits, docs))

    kept = survivors.join(duplicates, on="id", how="anti", maintain_order="left")
    clean = (
        kept.drop(COUNT_COLUMNS, strict=False)
        .join(edit_counts(edits), on=DOC, how="left", maintain_order="left")
        .with_columns(pl.col(*COUNT_COLUMNS).fill_null(0).cast(pl.Int64))
        .sort(DOC)
    )
    with_carried(clean.select(DOC, "id", "text", "lang", LANG_SCORE)).hstack(
        clean.select(*SIGNAL_COLUMNS, *COUNT_COLUMNS)
    ).write_parquet(folder / FINAL_CLEAN)
    all_rejects = reject_rows(
        pl.concat([rejects, _duplicate_rejects(survivors, duplicates)], how="diagonal_relaxed").join(
            as_read.rename({AS_READ: "text"}), on=DOC, how="left", maintain_order="left"
        )
    ).sort(DOC, maintain_order=True)
    with_carried(all_rejects).write_parquet(folder / FINAL_REJECTS)
    problem_rows = reject_rows(problems)
    with_carried(problem_rows, problems[CARRIED] if CARRIED in problems.columns else None).write_parquet(
        folder / FINAL_PROBLEMS
    )
    edits = edits.join(docs.select(DOC, pl.col("id").alias("doc_id")), on=DOC, how="left", maintain_order="left")
    # Stable: the edits of one line and kind stay in stage order (several spans of a line by their start).
    edits = edits.sort(DOC, "line_no", "kind", nulls_last=False, maintain_order=True)
    edits.select(EDIT_COLUMNS).write_parquet(folder / FINAL_EDITS)
    report = report_part(
        docs_in=docs.select(DOC, "id", CHARS, BYTES_REPLACED),
        clean=clean.select(
            DOC, "id", "lang", LANG_BY, SOURCE, *SIGNAL_COLUMNS, pl.col("text").str.len_chars().alias(CHARS)
        ),
        rejects=pl.concat([all_rejects.select(DUPLICATE_COLUMNS), problem_rows.select(DUPLICATE_COLUMNS)]),
        hits=hits,
        edits=edits.select(DOC, "doc_id", "kind", "rule_id"),
        detector_samples=first_detector_removals(edits),
    )
    return {"report": report, "problems": problems.height}


def concat_parts(paths: list[Path], target: Path, columns: list[str] | None = None) -> None:
    """Concatenate part files (in order) into ``target`` (.parquet or .jsonl), streaming."""
    frame = concat_diagonal([pl.scan_parquet(p) for p in paths])
    if columns is not None:  # by exact name: a carried column may be called "*" or "^.*$"
        frame = frame.select(cs.by_name(*columns))
    with disk_errors(target):
        if target.suffix == ".parquet":
            frame.sink_parquet(target, statistics=True)
        else:
            frame.sink_ndjson(target)


def html_examples(edit_parts: list[Path]) -> pl.DataFrame:
    """The first edits of each (rule, kind), enough for report.html, from the shards' edit
    parts in order (the first of the corpus are among the first of each part, so no more
    than those of one part are read at once), each with its line as read and the lines
    around it (:func:`_with_context`)."""

    def first(edits: pl.LazyFrame) -> pl.DataFrame:
        shown = edits.filter(pl.col("kind") != EditKind.BLANK_LINE_FOLDED)
        return shown.filter(pl.int_range(pl.len()).over("rule_id", "kind") < HTML_EXAMPLES).collect()

    parts = [_with_context(first(pl.scan_parquet(part)), part.parent).lazy() for part in edit_parts]
    return first(concat_diagonal(parts))


def _line_around(lines: list[str], line_no: int | None, step: int) -> str | None:
    """The nearest line that is not blank, at most :data:`CONTEXT_REACH` lines from line
    ``line_no`` (1-based) in direction ``step``; None when there is none."""
    if line_no is None:
        return None
    for index in range(line_no - 1 + step, line_no - 1 + step * (CONTEXT_REACH + 1), step):
        if not 0 <= index < len(lines):
            return None
        if lines[index].strip():
            return lines[index]
    return None


def _with_context(edits: pl.DataFrame, folder: Path) -> pl.DataFrame:
    """``edits`` (of the shard in ``folder``) with ``line``, ``above`` and ``below``: the
    line as read each names and the nearest non-blank line on either side (null for an
    edit of the whole document or past an end). Only the texts of ``edits``' documents are read."""
    wanted = edits["doc_id"].unique().implode()
    docs = pl.scan_parquet(folder / DOCS).select(DOC, "id").filter(pl.col("id").is_in(wanted))
    texts = docs.join(pl.scan_parquet(folder / TEXT_AS_READ), on=DOC).select("id", AS_READ).collect()
    lines = {doc_id: LINE_ENDS.split(text or "") for doc_id, text in texts.iter_rows()}
    line, above, below = [], [], []
    for doc_id, line_no in edits.select("doc_id", "line_no").iter_rows():
        own = lines.get(doc_id, [])
        line.append(own[line_no - 1] if line_no is not None and 0 < line_no <= len(own) else None)
        above.append(_line_around(own, line_no, -1))
        below.append(_line_around(own, line_no, 1))
    return edits.with_columns(
        pl.Series("line", line, pl.String), pl.Series("above", above, pl.String), pl.Series("below", below, pl.String)
    )


def texts_by_id(parts: list[Path], ids: list[str], dropped: pl.Series | None = None) -> dict[str, str]:
    """The texts of the documents ``ids`` from the shard parts ``parts`` (``id, text``, and
    ``_doc`` when ``dropped`` names documents to pass over: those dropped for an id an
    earlier shard used). A scan filtered on the ids: no other document's text is loaded."""
    if not ids or not parts:
        return {}
    wanted = pl.Series(ids, dtype=pl.String).implode()
    scans = [pl.scan_parquet(part) for part in parts]
    if dropped is not None:
        scans = [scan.filter(~pl.col(DOC).is_in(dropped.implode())) for scan in scans]
    texts = pl.concat([scan.select("id", "text") for scan in scans]).filter(pl.col("id").is_in(wanted)).collect()
    return dict(zip(texts["id"], texts["text"], strict=True))


def mt_examples(edits_path: Path, clean_parts: list[Path], ids: list[str]) -> tuple[pl.DataFrame, dict[str, str]]:
    """For report.html, of the documents ``ids`` (report.json ``mt.top_documents``): their
    ``mt_flagged`` edits (``doc_id, line_no, rule_id, before, start, end``, in edits.parquet
    order) and their clean texts by id, from the shards' clean parts. Both are scans
    filtered on the ids: no other document's edits or text is loaded."""
    wanted = pl.Series(ids, dtype=pl.String).implode()
    spans = (
        pl.scan_parquet(edits_path)
        .filter((pl.col("kind") == EditKind.MT_FLAGGED) & pl.col("doc_id").is_in(wanted))
        .select("doc_id", "line_no", "rule_id", "before", "start", "end")
        .collect()
    )
    return spans, texts_by_id(clean_parts, ids)
