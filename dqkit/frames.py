"""The frames that pass between the stages of a shard: their columns, with polars types,
and the names of dqkit's internal columns (they start with ``_`` and never reach an output).

A stage boundary can be checked with :func:`check_frame`; the stage runner does it after
every stage when ``DQKIT_CHECK_FRAMES=1`` (the test suite sets it), never on a normal run.

>>> check_frame(pl.DataFrame({"_doc": [1]}, schema={"_doc": pl.Int64}), {DOC: pl.Int64}, "here")
>>> check_frame(pl.DataFrame({"_doc": ["1"]}), {DOC: pl.Int64, "id": pl.String}, "stage x")
Traceback (most recent call last):
...
dqkit.frames.FrameError: stage x: column '_doc' is String, expected Int64; column 'id' is missing
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

# --- internal columns ------------------------------------------------------------------------
DOC = "_doc"  # a document's number in the run: shard index * 2**32 + row; sorts in input order
ORIGIN = "_origin"  # file:line (or file:row N) where the document was read
BYTES_REPLACED = "_bytes_replaced"  # undecodable bytes that reading replaced by U+FFFD
LANG_GIVEN = "_lang_given"  # the --lang-field value as read
LANG_SCORE_GIVEN = "_lang_score_given"  # the input's lang_score (a cleaned corpus), kept with a given language
LANG_HINT = "_lang_hint"  # the language the input gave (--lang-field), as a 2-3 letter code
LANG_BY = "_lang_by"  # how ``lang`` was decided: one of dqkit.kinds.LanguageBy
SOURCE = "_source"  # where a document comes from: the input file, a .txt file's folder, or --source-field
AS_READ = "_as_read"  # the text as read, for rejects (nothing is lost)
CHARS = "_chars"  # characters of a text
QUALITY = "_quality"  # damaged spots of a copy (repairs + MT score), for keep=best
LENGTH = "_length"  # characters of the clean text, for the keep policies
KEY = "_key"  # exact-dedup key hash of the clean text
ORDER = "_order"  # input order, for the keep policy earliest
CARRIED = "_carried"  # the input's other columns, in one struct that no stage reads (dqkit.io.columns)
NOT_EXTRACTED = "_not_extracted"  # while reading HTML: why a page gave no text (null for one that did)

# --- columns of the line table (dqkit.rules.engine.line_table), one row per line ----------------
MATCH = "_m"  # the line as rules see it: NFKC, quotes folded, white space collapsed
MATCH_LOWER = "_ml"  # ... lower-cased, for case-insensitive rules
LINE_CHARS = "_len"  # characters of the line
BLANK = "_blank"  # nothing left of the line for the rules to see

# --- columns dqkit writes on clean rows; an input that has them gets them recomputed ---------
COUNT_COLUMNS = ("dq_lines_removed", "dq_edits", "dq_flags")
SIGNAL_COLUMNS = ("mt_score", "mt_probability", "mt_reasons")
LANG_SCORE = "lang_score"  # how sure the language is (dqkit.stages.language), on clean rows
INTERNAL = (DOC, ORIGIN, BYTES_REPLACED, LANG_GIVEN, LANG_SCORE_GIVEN, LANG_HINT, LANG_BY, SOURCE, CARRIED)

INTEGER = (pl.Int32, pl.Int64)

# --- the frames ------------------------------------------------------------------------------
#: Documents as the stages see them (the input's other columns are set aside, see CARRIED).
DOCUMENTS: Mapping[str, Any] = {
    DOC: pl.Int64,
    "id": pl.String,
    "text": pl.String,
    ORIGIN: pl.String,
    BYTES_REPLACED: INTEGER,
    LANG_GIVEN: pl.String,
    LANG_SCORE_GIVEN: pl.Float64,
    SOURCE: pl.String,
}
#: Documents after the rules: the clean text, the original number of each kept line, and
#: the characters of the non-blank lines before and removed.
CLEANED = pl.Schema(
    {
        DOC: pl.Int64(),
        "text": pl.String(),
        "line_nos": pl.List(pl.Int32()),
        "chars_in": pl.Int64(),
        "chars_removed": pl.Int64(),
    }
)
#: One row per line of a document: what the rules match on.
LINE_TABLE = pl.Schema(
    {
        DOC: pl.Int64(),
        LANG_HINT: pl.String(),
        "line": pl.String(),
        "line_no": pl.Int32(),
        MATCH: pl.String(),
        MATCH_LOWER: pl.String(),
        LINE_CHARS: pl.UInt32(),
        BLANK: pl.Boolean(),
    }
)
#: One row per edit; edits.parquet is this with the document's id instead of ``_doc``.
#: ``score`` is the classifier's probability that a line it removed was content; ``start``
#: and ``end`` are the character offsets of an ``mt_flagged`` span within its line (all
#: three null for every other edit).
EDITS = pl.Schema(
    {
        DOC: pl.Int64,
        "line_no": pl.Int32,
        "kind": pl.String,
        "rule_id": pl.String,
        "before": pl.String,
        "after": pl.String,
        "score": pl.Float64,
        "start": pl.Int32,
        "end": pl.Int32,
    }
)
_OPTIONAL_EDIT_COLUMNS = ("score", "start", "end")


def as_edits(frame: pl.DataFrame | list[tuple]) -> pl.DataFrame:
    """``frame`` (or rows of ``_doc, line_no, kind, rule_id, before, after``) as an
    :data:`EDITS` frame: columns in order, types cast, ``score``, ``start`` and ``end``
    null where they are missing.

    >>> as_edits([(1, 2, "line_removed", "r", "x", None)]).columns[-3:]
    ['score', 'start', 'end']
    """
    if isinstance(frame, list):
        frame = pl.DataFrame(frame, schema=[name for name in EDITS if name not in _OPTIONAL_EDIT_COLUMNS], orient="row")
    missing = [name for name in _OPTIONAL_EDIT_COLUMNS if name not in frame.columns]
    frame = frame.with_columns(pl.lit(None, dtype=EDITS[name]).alias(name) for name in missing)
    return frame.select(EDITS.names()).cast(EDITS)


#: One row per rule hit on a line (also hits that another rule's removal made moot).
HITS = pl.Schema({DOC: pl.Int64, "line_no": pl.Int32, "rule_id": pl.String, "action": pl.String, "line": pl.String})
#: A rejected document within a shard; the text as read is joined on when the outputs are written.
REJECTS = pl.Schema({DOC: pl.Int64, "id": pl.String, "reason": pl.String, "detail": pl.String})
#: Records a reader could not read (``on_error=skip``), with the raw text of the record.
PROBLEMS = pl.Schema({"id": pl.String, "reason": pl.String, "detail": pl.String, "text": pl.String, ORIGIN: pl.String})
#: The columns of rejects.*, in order (the input's carried columns follow).
REJECT_COLUMNS = (
    "id",
    "reason",
    "detail",
    "dup_of",
    "dup_of_batch",
    "similarity",
    "linked_via",
    "linked_via_similarity",
    "origin",
    "text",
)
#: The columns of edits.parquet.
EDIT_COLUMNS = ("doc_id", "line_no", "kind", "rule_id", "before", "after", "score", "start", "end")


class FrameError(AssertionError):
    """A frame that does not have the columns its stage boundary promises (a bug in dqkit)."""


def checks_enabled() -> bool:
    return os.environ.get("DQKIT_CHECK_FRAMES") == "1"


def check_frame(frame: pl.DataFrame, schema: Mapping[str, Any], where: str, exact: bool = False) -> None:
    """Raise :class:`FrameError` unless ``frame`` has every column of ``schema`` with its
    type (a tuple of types: any of them); with ``exact``, no other column either."""
    problems = []
    for name, expected in schema.items():
        if name not in frame.schema:
            problems.append(f"column {name!r} is missing")
            continue
        allowed = expected if isinstance(expected, tuple) else (expected,)
        if frame.schema[name] not in allowed:
            problems.append(f"column {name!r} is {frame.schema[name]}, expected {' or '.join(map(str, allowed))}")
    if exact:
        problems += [f"column {name!r} is not expected" for name in frame.columns if name not in schema]
    if problems:
        raise FrameError(f"{where}: {'; '.join(problems)}")


def empty(schema: Mapping[str, Any]) -> pl.DataFrame:
    """An empty frame of ``schema`` (the first type where several are allowed)."""
    return pl.DataFrame(schema={k: v[0] if isinstance(v, tuple) else v for k, v in schema.items()})


def non_ascii(texts: pl.Series) -> pl.Series:
    """Which ``texts`` are not pure ASCII (Unicode normalisation leaves ASCII as it is):
    those with more bytes than characters, 40 times faster to tell than with a regex.

    >>> non_ascii(pl.Series(["abc", "äbc", None])).to_list()
    [False, True, None]
    """
    return texts.str.len_bytes() != texts.str.len_chars()


def change_where(texts: pl.Series, needed: pl.Series, change: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """``texts`` with ``change`` applied to the rows where ``needed`` holds only (the
    others it would leave as they are): normalising a text costs its length, and most
    texts of an English corpus need none of it.

    >>> texts = pl.Series(["abc", "ÄBC"])
    >>> change_where(texts, non_ascii(texts), lambda t: t.str.to_lowercase()).to_list()
    ['abc', 'äbc']
    """
    rows = needed.arg_true()
    if rows.is_empty():
        return texts
    return texts.scatter(rows, change(texts.gather(rows)))
