"""What dqkit records: the kinds of edit in edits.parquet and the reasons in rejects.*.

Each value carries its one-line description; README.md's tables of edit kinds and reject
reasons are checked against these (tests/test_stages.py), so the two cannot drift.

>>> EditKind.JOIN_FLAGGED.group, EditKind.JOIN_FLAGGED.damage
('flag', True)
>>> RejectReason("empty_text").description
'the document has no text'
"""

from __future__ import annotations

from enum import StrEnum

REMOVAL, FLAG, REPAIR = "removal", "flag", "repair"


class EditKind(StrEnum):
    """A row of edits.parquet. ``group`` decides the per-document counts of clean.*:
    ``dq_lines_removed`` counts line_removed, ``dq_edits`` the repairs, ``dq_flags`` the
    flags. ``damage`` decides the keep policy ``best``: the copy of a duplicate cluster
    with the fewest damaged spots stays. A repair or a flagged join is damage of this
    copy; a removed or flagged line is boilerplate every copy may carry."""

    group: str
    damage: bool
    description: str

    def __new__(cls, value: str, group: str, damage: bool, description: str) -> EditKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.group = group
        member.damage = damage
        member.description = description
        return member

    LINE_REMOVED = "line_removed", REMOVAL, False, "a rule removed the line (rule_id names it)"
    BLANK_LINE_FOLDED = (
        "blank_line_folded",
        REMOVAL,
        False,
        "a blank line left next to a removed one was dropped, so the clean text has no holes",
    )
    SPAN_REMOVED = (
        "span_removed",
        REMOVAL,
        False,
        "a `drop_span` rule cut a span at the start or end of the line; `before` the line, `after` what is left",
    )
    LINE_FLAGGED = "line_flagged", FLAG, False, "a `flag` rule marked the line; it stays"
    MT_FLAGGED = (
        "mt_flagged",
        FLAG,
        True,
        "a machine-translation artefact: rule_id `mt.<signal>`, `before` the flagged text, `start`/`end` its "
        "offsets in the line as read (null, with line_no, for a signal of the whole document)",
    )
    UNICODE_FIXED = (
        "unicode_fixed",
        REPAIR,
        True,
        "ftfy repaired mojibake or entities; rule_id names the fixes that fired, "
        "e.g. `ftfy:encode:sloppy-windows-1252,decode:utf-8`",
    )
    UNICODE_NORMALIZED = "unicode_normalized", REPAIR, True, "the line was brought to Unicode NFC"
    NEWLINES_NORMALIZED = "newlines_normalized", REPAIR, True, "CRLF or CR line ends became LF (one row a document)"
    BYTES_REPLACED = (
        "bytes_replaced",
        REPAIR,
        True,
        "undecodable bytes in a .txt file became U+FFFD; `after` shows the line as read",
    )
    JOIN_REPAIRED = (
        "join_repaired",
        REPAIR,
        True,
        "a missing-space join was split: `before` the glued token, `after` it split, rule_id `join.<reason>`",
    )
    JOIN_FLAGGED = (
        "join_flagged",
        FLAG,
        True,
        "a probable join left as it was (not certain enough to split); rule_id `join.<reason>`",
    )

    @classmethod
    def in_group(cls, group: str) -> list[str]:
        return [kind.value for kind in cls if kind.group == group]

    @classmethod
    def damaging(cls) -> list[str]:
        return [kind.value for kind in cls if kind.damage]


class _Described(StrEnum):
    """A string enum whose members carry a one-line description."""

    description: str

    def __new__(cls, value: str, description: str) -> _Described:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member


class RejectReason(_Described):
    """The ``reason`` of a row of rejects.*; ``description`` is also the row's ``detail``
    where the reason has nothing more specific to say."""

    EMPTY_TEXT = "empty_text", "the document has no text"
    EMPTY_AFTER_CLEANING = "empty_after_cleaning", "nothing is left after cleaning"
    TOO_MUCH_REMOVED = "too_much_removed", "rules removed more than the allowed share of the text (--max-removed)"
    RULE_DROPPED = "rule_dropped", "a `drop_doc` rule hit one of its lines"
    MT_SCORE_ABOVE = "mt_score_above", "machine-translation signals above --drop-mt-above"
    EXACT_DUPLICATE = "exact_duplicate", "same cleaned text as a kept document (`dup_of`)"
    NEAR_DUPLICATE = "near_duplicate", "a near-duplicate of a kept document (`dup_of`, `similarity`)"
    BINARY_FILE = "binary_file", "a file in a text folder holds NUL bytes: not text"
    MALFORMED_RECORD = "malformed_record", "a JSONL line that is not valid UTF-8 or not a JSON object (--on-error skip)"
    MISSING_TEXT = "missing_text", "a record without a string in the text field (--on-error skip)"
    MISSING_ID = "missing_id", "a record whose id is neither a string nor a number (--on-error skip)"
    DUPLICATE_ID = "duplicate_id", "a record whose id an earlier record already used (--on-error skip)"
    RECORD_TOO_LARGE = "record_too_large", "a record bigger than --max-record-bytes (its text is kept here, uncleaned)"
    NOT_EXTRACTED = (
        "not_extracted",
        "an HTML page (a file, a WARC record, --html-field) that trafilatura gave no main text for: empty, "
        "unparsable or undecodable; `text` holds its HTML",
    )


class LanguageBy(_Described):
    """How a document's ``lang`` was decided (report.json ``language_id``)."""

    GIVEN = "given", "the input named it (--lang-field)"
    TRUSTED = "trusted", "detected, on enough letters, with a clear winner and agreeing function words"
    UNTRUSTED = "untrusted", "detected, but the text gives too little to go on: a guess"
    PRIOR = "prior", "an untrusted guess settled by the language of the document's source"
    NONE = "none", "not detected: no letters, or --no-langid"
