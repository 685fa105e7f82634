"""Machine-translation signals per document, and the optional drop above a score."""

from __future__ import annotations

import polars as pl
import regex

from dqkit.detect.mt_model import models_for
from dqkit.detect.mt_signals import nearest_occurrence, score_documents
from dqkit.frames import DOC, SIGNAL_COLUMNS, as_edits
from dqkit.kinds import EditKind, RejectReason
from dqkit.rejects import reject
from dqkit.stages.base import Batch, StageContext
from dqkit.stages.language import skip_languages_without_word_frequencies

# Rules of this category say that a text was generated or translated automatically.
PROVENANCE = "provenance"
MT_FLAGGED = EditKind.MT_FLAGGED.value


def span_edits(
    occurred: pl.DataFrame, docs: pl.DataFrame, notices: pl.DataFrame, removed: pl.DataFrame
) -> pl.DataFrame:
    """An ``mt_flagged`` edit per occurrence (``occurred``: :data:`OCCURRENCES`, offsets in
    the clean text of ``docs``: ``_doc, text, line_nos``): the line's number as read, the
    offsets within the clean line (moved onto the line as read when the shard is written:
    :func:`place_on_lines_as_read`), the flagged text; a span that runs over a line end is
    cut there. A signal of the whole document has no line; one on a removed line (``removed``:
    ``_doc, line_no, line``) keeps that line's number and offsets. Each MT-notice rule hit
    (``notices``: ``_doc, line_no, line``) flags its whole line."""
    # Only the documents with occurrences, as Python lists (iterating the Series of every
    # document, a Series per list element, cost 60 ms a shard of 10,000).
    docs = docs.join(occurred.select(DOC).unique(), on=DOC, how="semi")
    texts = dict(zip(docs[DOC].to_list(), docs["text"].to_list(), strict=True))
    numbers = dict(zip(docs[DOC].to_list(), docs["line_nos"].to_list(), strict=True))
    removed_text = {(doc, line_no): line for doc, line_no, line in removed.select(DOC, "line_no", "line").iter_rows()}
    rows: list[tuple] = []
    for doc, signal, removed_line_no, start, end in occurred.iter_rows():
        if removed_line_no is not None:
            before = removed_text[(doc, removed_line_no)][start:end]
            rows.append((doc, removed_line_no, MT_FLAGGED, f"mt.{signal}", before, None, start, end))
            continue
        if start is None:
            rows.append((doc, None, MT_FLAGGED, f"mt.{signal}", None, None, None, None))
            continue
        text = texts[doc]
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        end = min(end, line_end if line_end >= 0 else len(text))
        line_no = numbers[doc][text.count("\n", 0, start)]
        before = text[start:end]
        rows.append((doc, line_no, MT_FLAGGED, f"mt.{signal}", before, None, start - line_start, end - line_start))
    for doc, line_no, line in notices.select(DOC, "line_no", "line").iter_rows():
        rows.append((doc, line_no, MT_FLAGGED, "mt.mt_notice", line, None, 0, len(line)))
    frame = pl.DataFrame(
        rows, schema=["_doc", "line_no", "kind", "rule_id", "before", "after", "start", "end"], orient="row"
    )
    return as_edits(frame).sort(DOC, "line_no", "start", nulls_last=False, maintain_order=True)


def place_on_lines_as_read(edits: pl.DataFrame, as_read: pl.LazyFrame) -> pl.DataFrame:
    """``edits`` with the ``start``/``end`` of each ``mt_flagged`` span moved from the clean
    line onto the line as read (``as_read``: ``_doc, text`` as read, of which only the
    documents with spans are read; lines end at LF, CRLF or CR, as normalising counts
    them): to the occurrence of its ``before`` there nearest to where it was
    (:func:`~dqkit.detect.mt_signals.nearest_occurrence`: a space a join repair put back
    may be missing there). Where the line as read does not hold the flagged text (a Unicode
    fix changed it), both are null; ``before`` still says what was flagged.

    >>> edits = as_edits([(1, 1, MT_FLAGGED, "mt.x", "Oktober, 2024", None)]).with_columns(
    ...     start=pl.lit(4, pl.Int32), end=pl.lit(17, pl.Int32))
    >>> as_read = pl.LazyFrame({"_doc": [1], "text": ["SEOUL: 18. Oktober, 2024"]})
    >>> placed = place_on_lines_as_read(edits, as_read)
    >>> placed.select("start", "end").row(0)
    (11, 24)
    """
    spans = edits["kind"] == MT_FLAGGED
    if not (spans & edits["start"].is_not_null()).any():
        return edits
    wanted = set(edits.filter(spans)[DOC].to_list())
    lines = {
        doc: regex.split(r"\r\n?|\n", text)
        for doc, text in as_read.filter(pl.col(DOC).is_in(list(wanted))).select(DOC, "text").collect().iter_rows()
    }
    starts, ends = [], []
    for doc, line_no, kind, before, start, end in edits.select(
        DOC, "line_no", "kind", "before", "start", "end"
    ).iter_rows():
        if kind != MT_FLAGGED or start is None or line_no is None:
            starts.append(start)
            ends.append(end)
            continue
        line = lines[doc][line_no - 1] if line_no <= len(lines.get(doc, ())) else ""
        where = nearest_occurrence(line, before or "", start) or (None, None)
        starts.append(where[0])
        ends.append(where[1])
    return edits.with_columns(pl.Series("start", starts, pl.Int32), pl.Series("end", ends, pl.Int32))


def removed_lines(edits: list[pl.DataFrame], docs: pl.DataFrame) -> pl.DataFrame:
    """``_doc, line_no, line``: the lines removed so far (by rules or the classifier) from
    the documents of ``docs``, one row per line."""
    removals = [
        frame.filter(pl.col("kind") == EditKind.LINE_REMOVED.value).select(
            DOC, "line_no", pl.col("before").alias("line")
        )
        for frame in edits
    ]
    if not removals:
        return pl.DataFrame(schema={DOC: pl.Int64, "line_no": pl.Int32, "line": pl.String})
    frame = pl.concat(removals, how="vertical_relaxed").join(docs.select(DOC), on=DOC, how="semi")
    return frame.unique([DOC, "line_no"], keep="first", maintain_order=True)


class MtSignals:
    name = "mt_signals"
    edit_kinds = (EditKind.MT_FLAGGED,)
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        assert batch.hits is not None, "MT signals read the rule hits"
        notice_rules = [r.id for r in context.rules.rules if r.category == PROVENANCE]
        notice_hits = batch.hits.filter(pl.col("rule_id").is_in(notice_rules)).sort(DOC, "line_no")
        notices = notice_hits.group_by(DOC, maintain_order=True).agg(
            pl.len().alias("notices"), pl.col("line").first().alias("notice_example")
        )
        docs = batch.docs.select(DOC, "text", "lang")
        removed = removed_lines(batch.edits, docs)
        # The number-scale check weighs words (names); it compares the documents it can weigh.
        weighable = skip_languages_without_word_frequencies(docs, batch, self.name, "number_scale_skipped", "de")
        batch.signals, occurred = score_documents(
            docs.join(notices, on=DOC, how="left", maintain_order="left"),
            scale_docs=weighable,
            detector=context.options.langid,
            models=models_for(context.options.mt_model),
            removed_lines=removed,
        )
        batch.edits.append(span_edits(occurred, batch.docs.select(DOC, "text", "line_nos"), notice_hits, removed))


class DropMt:
    """``--drop-mt-above``: reject the documents whose ``mt_score`` is above it."""

    name = "mt_drop"
    edit_kinds = ()
    reject_reasons = (RejectReason.MT_SCORE_ABOVE,)

    def run(self, batch: Batch, context: StageContext) -> None:
        limit = context.options.drop_mt_above
        if limit is None:
            return
        too_mt = pl.col("mt_score") > limit
        detail = pl.format("mt_score {} > {}", pl.col("mt_score"), pl.lit(limit))
        batch.rejects.append(
            reject(batch.docs.filter(too_mt), RejectReason.MT_SCORE_ABOVE, detail).drop(*SIGNAL_COLUMNS)
        )
        batch.docs = batch.docs.filter(~too_mt)
