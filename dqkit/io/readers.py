"""Read input files into one documents frame.

The frame has one row per document, in input order (files sorted by path, rows in file
order), with the columns

* ``id`` (str): from ``--id-field``; else the path relative to the input folder for a
  .txt file, and ``<file>:<line>`` (JSONL) or ``<file>:<row>`` (Parquet) otherwise;
* ``text`` (str): from ``--text-field``;
* ``_origin`` (str): where the document came from, for messages and rejects;
* ``_bytes_replaced`` (int): undecodable bytes replaced by U+FFFD while reading;
* ``_lang_given`` (str): the ``--lang-field`` value (a value that is not text as its JSON);
* ``_carried`` (struct), when the input has other columns: all of them, each with its own
  type and value (see :mod:`dqkit.io.columns`), out of every stage's reach.

HTML is read through main-text extraction (:mod:`dqkit.io.web`): an ``.html`` file is one
document, a WARC file one document per HTML response record (:mod:`dqkit.io.warc`, the
other records counted in the file's ``passed_over``), and with ``html_field`` the text of
a JSONL or Parquet record is what its HTML gives. The page's ``url`` is carried: a WARC
record's target URI, else the URL the page names for itself (a record's own ``url`` field
stays as it is); a WARC document's id is its WARC-Record-ID. A page that gives no text is a
``not_extracted`` reject holding its HTML and its carried columns.

A record bigger than ``max_record_bytes`` is always a reject (``record_too_large``) with its
text as read.

Records that cannot be read become rows of a separate *problems* frame (id, reason,
detail, text, _origin) when ``on_error="skip"``; with ``on_error="stop"`` the first one
raises :class:`InputError` naming the file and line.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import json
import lzma
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any, Protocol

import orjson
import polars as pl

from dqkit.errors import InputError
from dqkit.frames import (
    BYTES_REPLACED,
    CARRIED,
    LANG_GIVEN,
    LANG_SCORE,
    LANG_SCORE_GIVEN,
    NOT_EXTRACTED,
    ORIGIN,
    PROBLEMS,
    SOURCE,
)
from dqkit.io.columns import (
    CarriedNames,
    carried_frame,
    carried_names,
    concat_diagonal,
    describe,
    exact_column,
    json_text,
    pack,
    plan_carried,
)
from dqkit.io.sources import InputFile
from dqkit.io.warc import warc_records
from dqkit.io.web import charset_of, decode_html, extract_page
from dqkit.kinds import RejectReason

MAX_EXPANSION = 100  # decompressed bytes per compressed byte before a file counts as a bomb
EXPANSION_FLOOR = 256 << 20  # a file may always expand to this much
MAX_RECORD_BYTES = 16 << 20  # a record (JSONL line, .txt file, Parquet text) beyond this is a reject

#: The documents frame's own columns (the input's other columns ride in ``CARRIED``), as
#: a file is read; ``NOT_EXTRACTED`` marks the pages that become rejects instead.
CORE = {
    "id": pl.String,
    "text": pl.String,
    ORIGIN: pl.String,
    BYTES_REPLACED: pl.Int64,
    LANG_GIVEN: pl.String,
    LANG_SCORE_GIVEN: pl.Float64,
    NOT_EXTRACTED: pl.String,
}


@dataclass(frozen=True)
class ReadOptions:
    text_field: str = "text"
    id_field: str = "id"
    on_error: str = "stop"  # stop | skip
    max_expansion: float = MAX_EXPANSION  # see open_input
    lang_field: str = "lang"  # read into _lang_given; "lang" is dqkit's own column, others are carried too
    max_record_bytes: int = MAX_RECORD_BYTES
    html_field: str | None = None  # JSONL/Parquet: the text is the main text of this field's HTML


@dataclass(frozen=True)
class RecordRange:
    """Part of one JSONL, Parquet or WARC file: records ``start`` (0-based) to ``stop``
    (exclusive; None: to the end). A JSONL or WARC range may say where its first record is:
    at ``byte_start`` of the file, or (JSONL) at the start of ``chunk``, a plain copy of those
    lines cut out of a compressed file (origins and ids still name the file and its line
    numbers)."""

    start: int = 0
    stop: int | None = None
    byte_start: int | None = None
    chunk: Path | None = None


WHOLE_FILE = RecordRange()


@dataclass
class Corpus:
    documents: pl.DataFrame  # CORE, SOURCE, and CARRIED when the input has other columns
    problems: pl.DataFrame
    ids_generated: bool
    files: list[dict] = field(default_factory=list)  # per file: name, format, documents, problems
    carried: dict[str, dict] = field(default_factory=dict)  # dqkit.io.columns.describe of CARRIED
    names: CarriedNames = field(default_factory=CarriedNames)  # input columns renamed or recomputed


SKIP_HINT = "use --on-error skip to reject such records and go on"


def duplicate_id_detail(doc_id: str, first_origin: str) -> str:
    """What a record whose id was used before is told (within a file or across shards)."""
    return f"id {doc_id!r} was already used at {first_origin}"


def problem_error(origin: str, detail: str) -> InputError:
    """The error that stops a run on an unreadable record (``on_error="stop"``)."""
    return InputError(f"{origin}: {detail} ({SKIP_HINT})")


class _Problems:
    """Collects unreadable records, or raises on the first one when on_error is 'stop'."""

    def __init__(self, on_error: str):
        self.on_error = on_error
        self.rows: list[dict] = []

    def add(self, origin: str, doc_id: str, reason: RejectReason, detail: str, text: str | None) -> None:
        """A broken record: stops the run, or becomes a reject with ``--on-error skip``."""
        if self.on_error == "stop":
            raise problem_error(origin, detail)
        self.reject(origin, doc_id, reason, detail, text)

    def reject(self, origin: str, doc_id: str, reason: RejectReason, detail: str, text: str | None) -> None:
        """A record that is readable but not a document (a binary file): always a reject."""
        self.rows.append({"id": doc_id, "reason": reason.value, "detail": detail, "text": text, ORIGIN: origin})


class _ByteStream(Protocol):
    """What :class:`_Capped` needs of a decompressor (gzip, bz2, lzma, zstandard)."""

    def readinto(self, buffer: Any, /) -> int | None: ...

    def close(self) -> None: ...


class _Capped(io.RawIOBase):
    """A decompressing stream that stops with :class:`InputError` once it has produced
    more than ``limit`` bytes (a decompression bomb cannot fill memory or disk)."""

    def __init__(self, inner: _ByteStream, file: InputFile, limit: int, max_expansion: float):
        self.inner, self.file, self.limit, self.max_expansion, self.produced = inner, file, limit, max_expansion, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.inner.readinto(buffer) or 0
        self.produced += count
        if self.produced > self.limit:
            raise InputError(
                f"{self.file.path}: expands to more than {self.limit:,} bytes ({self.max_expansion:g} times its "
                f"{self.file.path.stat().st_size:,} compressed bytes): a decompression bomb? Refused; raise "
                "--max-expansion to read it"
            )
        return count

    def close(self) -> None:
        self.inner.close()
        super().close()


def open_input(file: InputFile, max_expansion: float = MAX_EXPANSION):
    """The file's bytes, decompressed; a compressed file may expand to at most
    ``max_expansion`` times its size (and always to ``EXPANSION_FLOOR``)."""
    path = file.path
    if file.compression is None:
        return open(path, "rb")
    inner: _ByteStream
    if file.compression == "gz":
        inner = gzip.open(path, "rb")
    elif file.compression == "bz2":
        inner = bz2.open(path, "rb")
    elif file.compression == "xz":
        inner = lzma.open(path, "rb")
    else:
        import zstandard

        inner = zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)
    limit = max(EXPANSION_FLOOR, int(path.stat().st_size * max_expansion))
    return io.BufferedReader(_Capped(inner, file, limit, max_expansion), buffer_size=1 << 20)


def read_error(file: InputFile, exc: Exception) -> Exception:
    """What a failure to read or decompress ``file`` is told as: an :class:`InputError`
    naming the file; any other exception is returned as it is (a bug, not bad input)."""
    if isinstance(exc, (OSError, EOFError, lzma.LZMAError)):
        return InputError(f"{file.path}: cannot read ({exc})")
    if type(exc).__name__ == "ZstdError":  # zstandard's own error type
        return InputError(f"{file.path}: cannot decompress ({exc})")
    return exc


@contextlib.contextmanager
def read_errors(file: InputFile) -> Iterator[None]:
    """Inside this block, a failure to read or decompress ``file`` is raised as the
    :class:`InputError` of :func:`read_error`; any other exception as it is."""
    try:
        yield
    except InputError:
        raise
    except Exception as exc:
        error = read_error(file, exc)
        if error is exc:
            raise
        raise error from exc


def _read_bytes(file: InputFile, max_expansion: float) -> bytes:
    with read_errors(file), open_input(file, max_expansion) as handle:
        return handle.read()


def decode_text(data: bytes) -> tuple[str | None, int]:
    """Decode a text file: UTF-8 (with or without BOM) or UTF-16 with a BOM.

    Returns (text, number of undecodable bytes replaced by U+FFFD), or (None, 0) when
    the bytes are not text at all (NUL bytes outside UTF-16).

    >>> decode_text(b"caf\\xc3\\xa9")
    ('café', 0)
    >>> decode_text(b"caf\\xe9 ok")
    ('caf\\ufffd ok', 1)
    >>> decode_text(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00")
    (None, 0)
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
        return text, text.count("\ufffd")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        return None, 0
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError:
        before = data.count("\ufffd".encode())
        text = data.decode("utf-8", errors="replace")
        return text, text.count("\ufffd") - before


def _too_large(size: int, opts: ReadOptions) -> str | None:
    if size <= opts.max_record_bytes:
        return None
    return f"the record is {size:,} bytes, more than --max-record-bytes ({opts.max_record_bytes:,})"


def _read_txt(file: InputFile, problems: _Problems, opts: ReadOptions) -> _FileFrame | None:
    data = _read_bytes(file, opts.max_expansion)
    text, replaced = decode_text(data)
    origin = str(file.path)
    if text is None:
        problems.reject(origin, file.name, RejectReason.BINARY_FILE, "binary file (NUL bytes), not text", None)
        return None
    too_large = _too_large(len(data), opts)
    if too_large:
        problems.reject(origin, file.name, RejectReason.RECORD_TOO_LARGE, too_large, text)
        return None
    core = pl.DataFrame(
        {
            "id": [file.name],
            "text": [text],
            ORIGIN: [origin],
            BYTES_REPLACED: [replaced],
            LANG_GIVEN: [None],
            LANG_SCORE_GIVEN: [None],
            NOT_EXTRACTED: [None],
        },
        schema=CORE,
    )
    return _FileFrame(core, None, frozenset(), CarriedNames())


def _as_text(html: str | None, data: bytes) -> str:
    """A page as its reject holds it: its HTML, or its bytes as UTF-8 where no charset took them."""
    return data.decode("utf-8", "replace") if html is None else html


def _page_record(doc_id: str, html: str | None, data: bytes, extra: dict) -> _Record:
    """The record of one page: its main text, or (marked ``not_extracted``) its HTML as read.
    ``extra`` gets the page's own URL where it has no ``url`` (or a null one)."""
    if html is None:
        failure = "undecodable: its bytes are not UTF-8, the charset it declares, nor windows-1252"
        extra.setdefault("url", None)
        return _Record(doc_id, _as_text(html, data), None, None, 0, extra, failure)
    extraction = extract_page(html)
    if extra.get("url") is None:
        extra["url"] = extraction.url
    return _Record(doc_id, extraction.text or html, None, None, 0, extra, extraction.failure)


def _read_html(file: InputFile, problems: _Problems, opts: ReadOptions) -> _FileFrame | None:
    """An HTML file: one page, its id the path in its folder (as a .txt file's)."""
    data = _read_bytes(file, opts.max_expansion)
    html, origin = decode_html(data), str(file.path)
    too_large = _too_large(len(data), opts)
    if too_large:
        problems.reject(origin, file.name, RejectReason.RECORD_TOO_LARGE, too_large, _as_text(html, data))
        return None
    return _records_frame([_page_record(file.name, html, data, {})], [origin], origin)


def _read_warc(
    file: InputFile, opts: ReadOptions, problems: _Problems, part: RecordRange, passed_over: Counter
) -> _FileFrame | None:
    """The HTML responses of (a range of) a WARC file, each a page whose id is its
    WARC-Record-ID and whose ``url`` its target URI; the other records are counted by kind."""
    records: list[_Record] = []
    origins: list[str] = []
    path = str(file.path)
    limit = opts.max_record_bytes
    for entry in warc_records(file, part.start, part.stop, part.byte_start or 0, limit):
        if entry.kind is not None:
            passed_over[entry.kind] += 1
            continue
        origin = f"{path}:record {entry.ordinal} (byte {entry.offset:,})"
        doc_id = entry.record_id or f"{file.name}:record {entry.ordinal}"
        payload, charset = entry.payload or b"", charset_of(entry.content_type)
        if len(payload) > limit:  # only the first part was read
            detail = f"the page {entry.uri} is more than --max-record-bytes ({limit:,}); its text is the first part"
            start = payload[:limit]
            problems.reject(
                origin, doc_id, RejectReason.RECORD_TOO_LARGE, detail, _as_text(decode_html(start, charset), start)
            )
            continue
        records.append(_page_record(doc_id, decode_html(payload, charset), payload, {"url": entry.uri}))
        origins.append(origin)
    return _records_frame(records, origins, path) if records else None


def _jsonl_lines(
    file: InputFile, part: RecordRange = WHOLE_FILE, max_expansion: float = MAX_EXPANSION
) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of the lines of ``part`` (all lines by default)."""
    positioned = part.chunk is not None or part.byte_start is not None
    if part.chunk is not None:
        opened = open(part.chunk, "rb")
    else:
        opened = open_input(file, max_expansion)
        if part.byte_start is not None:
            opened.seek(part.byte_start)
    with opened as handle:
        for number, raw in enumerate(handle, part.start + 1 if positioned else 1):
            if number <= part.start:
                continue
            if part.stop is not None and number > part.stop:
                break
            yield number, raw


LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads joins valid pairs: what is left is alone


def _strip_surrogates(text: str) -> tuple[str, int]:
    """JSON may carry lone surrogates (\\ud800); they cannot be stored as UTF-8 and become
    U+FFFD, as undecodable bytes do.

    >>> _strip_surrogates("a\\ud800b\\U0001f600")
    ('a\\ufffdb\\U0001f600', 1)
    """
    return LONE_SURROGATE.subn("\ufffd", text)


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # a \\uD800-style escape: maybe a lone surrogate


def _without_surrogates(value: Any) -> tuple[Any, int]:
    """A JSON value with lone surrogates in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _strip_surrogates(value)
    if isinstance(value, list):
        pairs = [_without_surrogates(v) for v in value]
        return [v for v, _ in pairs], sum(n for _, n in pairs)
    if isinstance(value, dict):
        out, total = {}, 0
        for key, item in value.items():
            key, n = _strip_surrogates(key)
            out[key], m = _without_surrogates(item)
            total += n + m
        return out, total
    return value, 0


# orjson reads an integer beyond 64 bits as a float, where json.loads keeps it exact: a line
# with 19 digits in a row (in a number or not) is read by json.loads. The digits are found as
# zeros once every digit is one (a regex takes ten times as long).
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGITS = b"0" * 19
_UNSURE = object()


def _fast_value(raw: bytes) -> Any:
    """The JSON value of one line as orjson reads it, 4x faster than json.loads, or
    ``_UNSURE`` where json.loads must read it: orjson refuses what json.loads takes (NaN,
    Infinity, 1e400, lone surrogates, a BOM, UTF-16) and says nothing of why a line is
    bad, and its big integers are floats. What orjson does read, json.loads reads alike
    (RFC 8259 JSON: keys in order, the last of a repeated key, floats rounded alike)."""
    if _LONG_DIGITS in raw.translate(_DIGITS_AS_ZEROS):
        return _UNSURE
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _UNSURE


# U+D800-U+DFFF encoded as UTF-8: not UTF-8, but json.loads reads bytes with "surrogatepass"
# and would hand on a lone surrogate that no UTF-8 output can hold.
_ENCODED_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")


def parse_record(raw: bytes) -> tuple[Any, str | None]:
    """The JSON value of one line, or why it is not one."""
    value = _fast_value(raw)
    if value is not _UNSURE:
        return value, None
    if _ENCODED_SURROGATE.search(raw):
        return None, "not valid UTF-8 (an encoded surrogate, bytes ED A0-BF)"
    try:
        return json.loads(raw), None
    except UnicodeDecodeError as exc:
        return None, f"not valid UTF-8 ({exc.reason})"
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON at column {exc.colno}: {exc.msg}"
    except RecursionError:
        return None, "JSON nested too deeply to read"


_MISSING = object()


def _raw_text(raw: bytes) -> str:
    """A JSONL line as the text of its reject: without its line ending, bad bytes as U+FFFD."""
    return raw.rstrip(b"\r\n").decode("utf-8", "replace")


@dataclass
class _Record:
    """One readable JSONL record: its core values and the rest of its fields."""

    doc_id: str
    text: str
    lang: str | None
    lang_score: float | None
    replaced: int
    extra: dict
    failure: str | None = None  # why a page gave no text: then ``text`` is its HTML, for the reject


def _jsonl_record(
    raw: bytes, origin: str, fallback_id: str, opts: ReadOptions, problems: _Problems, stats: dict
) -> _Record | None:
    """The record of one JSONL line, or None when it is a problem (added to ``problems``)."""
    too_large = _too_large(len(raw), opts)
    if too_large:
        problems.reject(origin, fallback_id, RejectReason.RECORD_TOO_LARGE, too_large, _raw_text(raw))
        return None
    record, error = parse_record(raw)
    if error is None and not isinstance(record, dict):
        error = f"expected a JSON object, found {type(record).__name__}"
    if error is not None:
        problems.add(origin, fallback_id, RejectReason.MALFORMED_RECORD, error, _raw_text(raw))
        return None
    bad = 0
    if _SURROGATE_ESCAPE.search(raw):
        record, bad = _without_surrogates(record)
    kind, field_name = ("html", opts.html_field) if opts.html_field else ("text", opts.text_field)
    detail = text_field_problem(record, field_name, kind)
    if detail is not None:
        problems.add(origin, fallback_id, RejectReason.MISSING_TEXT, detail, _raw_text(raw))
        return None
    text = record.pop(field_name)
    doc_id = record.pop(opts.id_field, _MISSING)
    if doc_id is _MISSING:
        doc_id = fallback_id
        stats["ids_generated"] = True
    elif isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
        detail = f"id field {opts.id_field!r} is {type(doc_id).__name__}, not a string or number"
        problems.add(origin, fallback_id, RejectReason.MISSING_ID, detail, _raw_text(raw))
        return None
    # dqkit's own lang column takes the field "lang"; another --lang-field is carried too.
    lang = record.pop(opts.lang_field, None) if opts.lang_field == "lang" else record.get(opts.lang_field)
    lang = lang if lang is None or isinstance(lang, str) else json_text(lang)
    if opts.html_field:
        page = _page_record(str(doc_id), text, b"", record)
        return _Record(page.doc_id, page.text, lang, _score(record.get(LANG_SCORE)), bad, record, page.failure)
    return _Record(str(doc_id), text, lang, _score(record.get(LANG_SCORE)), bad, record)


def text_field_problem(record: dict, field: str, kind: str = "text") -> str | None:
    """Why ``record`` has no text in ``field`` (None: it has), with the fields it has;
    ``kind`` is the option that names the field (``text``: ``--text-field``, ``html``).

    >>> text_field_problem({"body": "x", "id": 1}, "text")
    "text field 'text' is missing; fields present: body, id (choose one with --text-field)"
    """
    text = record.get(field, _MISSING)
    if isinstance(text, str):
        return None
    found = "missing" if text is _MISSING else f"not a string ({type(text).__name__})"
    present = ", ".join(sorted(record)) or "(none)"
    return f"{kind} field {field!r} is {found}; fields present: {present} (choose one with --{kind}-field)"


def missing_text_column(path: Path, field: str, columns: list[str], kind: str = "text") -> InputError:
    """A Parquet file without the text (or ``html``) column, with the columns it has."""
    return InputError(
        f"{path}: no {kind} column {field!r}; columns present: {', '.join(columns)} (choose one with --{kind}-field)"
    )


def _score(value: object) -> float | None:
    """A ``lang_score`` as dqkit writes it (a number from 0 to 1), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if 0 <= value <= 1 else None


def _field_names(records: list[dict]) -> list[str]:
    """The fields of ``records`` in the order they first appear; records mostly share
    their fields, so each distinct key order is looked at once.

    >>> _field_names([{"a": 1, "b": 2}, {"c": 3}, {"a": 4, "b": 5}, {"b": 6, "a": 7}])
    ['a', 'b', 'c']
    """
    return list(dict.fromkeys(key for keys in dict.fromkeys(map(tuple, records)) for key in keys))


def _read_jsonl(
    file: InputFile, opts: ReadOptions, problems: _Problems, stats: dict, part: RecordRange = WHOLE_FILE
) -> _FileFrame | None:
    records: list[_Record] = []
    origins: list[str] = []
    path, name = str(file.path), file.name  # formatted once, not for every line
    try:
        for number, raw in _jsonl_lines(file, part, opts.max_expansion):
            if not raw.strip():
                continue
            origin = f"{path}:{number}"
            record = _jsonl_record(raw, origin, f"{name}:{number}", opts, problems, stats)
            if record is not None:
                records.append(record)
                origins.append(origin)
    except InputError:
        raise
    except Exception as exc:
        failure = read_error(file, exc)
        if failure is exc:
            raise
        raise failure from exc
    return _records_frame(records, origins, path) if records else None


def _records_frame(records: list[_Record], origins: list[str], path: str) -> _FileFrame:
    """The documents of one file's records (``origins`` row for row); their other fields carried."""
    core = pl.DataFrame(
        {
            "id": [r.doc_id for r in records],
            "text": [r.text for r in records],
            ORIGIN: origins,
            BYTES_REPLACED: [r.replaced for r in records],
            LANG_GIVEN: [r.lang for r in records],
            LANG_SCORE_GIVEN: [r.lang_score for r in records],
            NOT_EXTRACTED: [r.failure for r in records],
        },
        schema=CORE,
    )
    extras = [r.extra for r in records]
    mapping, names = carried_names(_field_names(extras), (), path)
    columns, as_json = [], set()
    for field_name, carried_as in mapping.items():
        column, encoded = exact_column(carried_as, list(map(dict.get, extras, repeat(field_name))))
        columns.append(column)
        if encoded:
            as_json.add(carried_as)
    return _FileFrame(core, pack(columns), frozenset(as_json), names)


def _read_parquet(
    file: InputFile, opts: ReadOptions, problems: _Problems, stats: dict, part: RecordRange = WHOLE_FILE
) -> _FileFrame | None:
    start, stop = part.start, part.stop
    try:
        frame = pl.scan_parquet(file.path).slice(start, None if stop is None else stop - start).collect()
    except Exception as exc:  # polars raises several error types for a broken file
        raise InputError(f"{file.path}: not a readable Parquet file ({exc})") from exc
    kind, source = ("html", opts.html_field) if opts.html_field else ("text", opts.text_field)
    if source not in frame.columns:
        raise missing_text_column(file.path, source, frame.columns, kind)
    if frame.schema[source] != pl.String:
        raise InputError(f"{file.path}: column {source!r} holds {frame.schema[source]}, not text")
    rows = pl.int_range(start + 1, start + pl.len() + 1).cast(pl.String)
    if opts.id_field in frame.columns:
        id_type = frame.schema[opts.id_field]
        if not (id_type == pl.String or id_type.is_integer() or id_type == pl.Categorical):
            raise InputError(f"{file.path}: id column {opts.id_field!r} holds {id_type}, not text or integers")
        ids = pl.col(opts.id_field).cast(pl.String)
    else:
        ids = pl.lit(f"{file.name}:") + rows
        stats["ids_generated"] = True
    consumes_lang = opts.lang_field == "lang"
    core = frame.select(
        ids.alias("id"),
        pl.col(source).alias("text"),
        (pl.lit(f"{file.path}:row ") + rows).alias(ORIGIN),
        pl.lit(0, dtype=pl.Int64).alias(BYTES_REPLACED),
        _given_language_column(frame, opts.lang_field).alias(LANG_GIVEN),
        _given_score_column(frame).alias(LANG_SCORE_GIVEN),
        pl.lit(None, dtype=pl.String).alias(NOT_EXTRACTED),
    )
    nulls = core.select(pl.arg_where(pl.col("id").is_null() | pl.col("text").is_null()))
    if not nulls.is_empty():
        raise InputError(
            f"{file.path}: row {start + nulls.item(0, 0) + 1} has no {opts.id_field!r} or no {source!r} value"
        )
    consumed = (source, opts.id_field, *([opts.lang_field] if consumes_lang else []))
    mapping, names = carried_names(frame.columns, consumed, str(file.path))
    columns = [frame[name].alias(carried_as) for name, carried_as in mapping.items()]
    too_large = core.select((pl.col("text").str.len_bytes() > opts.max_record_bytes).alias("big"))["big"]
    if too_large.any():
        for doc_id, origin, text in core.filter(too_large).select("id", ORIGIN, "text").iter_rows():
            detail = _too_large(len(text.encode("utf-8")), opts)
            problems.reject(origin, doc_id, RejectReason.RECORD_TOO_LARGE, detail or "", text)
        core = core.filter(~too_large)
        columns = [column.filter(~too_large) for column in columns]
    if opts.html_field:
        core, columns = _main_texts(core, columns)
    return _FileFrame(core, pack(columns), frozenset(), names)


def _main_texts(core: pl.DataFrame, carried: list[pl.Series]) -> tuple[pl.DataFrame, list[pl.Series]]:
    """Parquet rows whose text is HTML, with its main text instead (see :func:`_page_record`),
    and the pages' own URLs carried as ``url`` where the file has none (no column, or a null
    in a column of text)."""
    pages = [_page_record("", html, b"", {}) for html in core["text"].to_list()]
    core = core.with_columns(
        pl.Series("text", [page.text for page in pages], dtype=pl.String),
        pl.Series(NOT_EXTRACTED, [page.failure for page in pages], dtype=pl.String),
    )
    found = pl.Series("url", [page.extra["url"] for page in pages], dtype=pl.String)
    own = next((k for k, column in enumerate(carried) if column.name == "url"), None)
    if own is None:
        return core, [*carried, found]
    if carried[own].dtype in (pl.String, pl.Null):
        carried = [*carried[:own], carried[own].cast(pl.String).fill_null(found), *carried[own + 1 :]]
    return core, carried


def _given_score_column(frame: pl.DataFrame) -> pl.Expr:
    """``lang_score`` where the file has it as numbers from 0 to 1 (a cleaned corpus), else null."""
    if LANG_SCORE not in frame.columns or not frame.schema[LANG_SCORE].is_numeric():
        return pl.lit(None, dtype=pl.Float64)
    score = pl.col(LANG_SCORE).cast(pl.Float64)
    return pl.when(score.is_between(0, 1)).then(score).otherwise(None)


def _given_language_column(frame: pl.DataFrame, lang_field: str) -> pl.Expr:
    """The language field as text (a value of another type as its JSON text)."""
    if lang_field not in frame.columns:
        return pl.lit(None, dtype=pl.String)
    dtype = frame.schema[lang_field]
    if dtype == pl.String or dtype.is_numeric() or dtype == pl.Categorical or dtype == pl.Null:
        return pl.col(lang_field).cast(pl.String)
    return pl.lit(pl.Series([json_text(v) for v in frame[lang_field].to_list()], dtype=pl.String))


@dataclass
class _FileFrame:
    """One file's documents: the core columns, the carried struct (row for row), which
    carried columns hold JSON text, and what happened to the input's column names."""

    core: pl.DataFrame
    carried: pl.Series | None
    as_json: frozenset[str]
    names: CarriedNames


def source_of(file: InputFile) -> str:
    """A document's source when the input names none: its file, or a .txt or .html file's
    folder (a folder of such files is one source, each file one document)."""
    return str(file.path.parent if file.format in ("txt", "html") else file.path)


def url_host(urls: pl.Expr) -> pl.Expr:
    """The lower-cased host of each URL (null where it is not one), a page's source.

    >>> pl.select(url_host(pl.lit("https://User@WWW.Example.org:8080/a?b"))).item()
    'www.example.org'
    """
    return urls.str.extract(r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)").str.to_lowercase()


def read_corpus(files: list[InputFile], opts: ReadOptions, part: RecordRange = WHOLE_FILE) -> Corpus:
    """Read every file into one documents frame (see the module docstring); of a single
    JSONL, Parquet or WARC file, only the lines, rows or records of ``part`` may be read."""
    problems = _Problems(opts.on_error)
    frames: list[_FileFrame] = []
    summaries: list[dict] = []
    stats = {"ids_generated": False}
    for file in files:
        before = len(problems.rows)
        passed_over: Counter = Counter()
        read: _FileFrame | None
        if file.format == "txt":
            read = _read_txt(file, problems, opts)
        elif file.format == "html":
            read = _read_html(file, problems, opts)
        elif file.format == "warc":
            read = _read_warc(file, opts, problems, part, passed_over)
        elif file.format == "jsonl":
            read = _read_jsonl(file, opts, problems, stats, part)
        else:
            read = _read_parquet(file, opts, problems, stats, part)
        not_extracted = 0 if read is None else read.core[NOT_EXTRACTED].count()
        summaries.append(
            {
                "name": str(file.path),
                "format": file.format,
                "compression": file.compression,
                "documents": 0 if read is None else read.core.height - not_extracted,
                "unreadable": len(problems.rows) - before + not_extracted,
                **({"passed_over": dict(sorted(passed_over.items()))} if file.format == "warc" else {}),
            }
        )
        if read is not None:
            read.core = read.core.with_columns(pl.lit(source_of(file), dtype=pl.String).alias(SOURCE))
            frames.append(read)
    documents, as_json = _documents(frames)
    documents, pages = _split_not_extracted(documents)
    documents = _reject_duplicate_ids(documents, problems)
    problem_frame = pl.DataFrame(problems.rows, schema=PROBLEMS)
    if not pages.is_empty():  # after the other problems, with their carried columns
        problem_frame = pl.concat([problem_frame, pages], how="diagonal")
    names = CarriedNames()
    for read in frames:
        names.renamed.update(read.names.renamed)
        names.recomputed.extend(c for c in read.names.recomputed if c not in names.recomputed)
    return Corpus(
        documents=documents,
        problems=problem_frame,
        ids_generated=stats["ids_generated"],
        files=summaries,
        carried=describe(documents[CARRIED] if CARRIED in documents.columns else None, as_json),
        names=names,
    )


def _split_not_extracted(documents: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the documents, the pages that gave no text as ``not_extracted`` problems holding
    their HTML and carried columns)."""
    failed = pl.col(NOT_EXTRACTED).is_not_null()
    pages = documents.filter(failed).select(
        "id",
        pl.lit(RejectReason.NOT_EXTRACTED.value).alias("reason"),
        pl.col(NOT_EXTRACTED).alias("detail"),
        "text",
        ORIGIN,
        *([CARRIED] if CARRIED in documents.columns else []),
    )
    return documents.filter(~failed).drop(NOT_EXTRACTED), pages


def check_text_field(corpus: Corpus) -> None:
    """Raise :class:`InputError` for a file that gave no document because its records lack
    the text field, read with ``on_error="skip"`` (which rejects them one by one, as no use
    to a tool that only counts lines): its first such record's problem, which names the
    file, the field and the fields the record has."""
    for summary in corpus.files:
        if summary["documents"] or not summary["unreadable"]:
            continue
        missing = corpus.problems.filter(
            pl.col(ORIGIN).str.starts_with(summary["name"] + ":")
            & (pl.col("reason") == RejectReason.MISSING_TEXT.value)
        )
        if not missing.is_empty():
            raise InputError(f"{missing[ORIGIN][0]}: {missing['detail'][0]}")


def _documents(frames: list[_FileFrame]) -> tuple[pl.DataFrame, frozenset[str]]:
    """The files' documents in one frame, and the carried columns that hold JSON text
    (also those that files hold with different types: JSON text in all of them, as
    across shards)."""
    if not frames:
        return pl.DataFrame(schema={**CORE, SOURCE: pl.String}), frozenset()
    if len(frames) == 1 or all(read.carried is None for read in frames):
        merged = pl.concat([read.core for read in frames])
        carried = frames[0].carried if len(frames) == 1 else None
        return merged if carried is None else merged.with_columns(carried), frames[0].as_json
    own = [describe(read.carried, read.as_json) for read in frames]
    plan = plan_carried(own)
    parts = [carried_frame(read.carried, read.core.height, plan, mine) for read, mine in zip(frames, own, strict=True)]
    carried_parts = concat_diagonal([part.lazy() for part in parts]).collect()
    merged = pl.concat([read.core for read in frames])
    packed = pack(list(carried_parts.iter_columns()))
    return (merged if packed is None else merged.with_columns(packed)), plan.as_json


def _reject_duplicate_ids(documents: pl.DataFrame, problems: _Problems) -> pl.DataFrame:
    duplicate = pl.int_range(pl.len()).over("id") > 0
    dups = documents.filter(duplicate)
    if dups.is_empty():
        return documents
    firsts = documents.group_by("id").agg(pl.col(ORIGIN).first().alias("first_origin"))
    dups = dups.join(firsts, on="id", how="left", maintain_order="left")
    for row in dups.select("id", "text", ORIGIN, "first_origin").iter_rows(named=True):
        problems.add(
            row[ORIGIN],
            row["id"],
            RejectReason.DUPLICATE_ID,
            duplicate_id_detail(row["id"], row["first_origin"]),
            row["text"],
        )
    return documents.filter(~duplicate)
