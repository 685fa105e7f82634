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

A record bigger than ``max_record_bytes`` is always a reject (``record_too_large``) with its
text as read.

Records that cannot be read become rows of a separate *problems* frame (id, reason,
detail, text, _origin) when ``on_error="skip"``; with ``on_error="stop"`` the first one
raises :class:`InputError` naming the file and line.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any, Protocol

import orjson
import polars as pl

from dqkit.errors import InputError
from dqkit.frames import BYTES_REPLACED, CARRIED, LANG_GIVEN, LANG_SCORE, LANG_SCORE_GIVEN, ORIGIN, PROBLEMS, SOURCE
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
from dqkit.kinds import RejectReason

MAX_EXPANSION = 100  # decompressed bytes per compressed byte before a file counts as a bomb
EXPANSION_FLOOR = 256 << 20  # a file may always expand to this much
MAX_RECORD_BYTES = 16 << 20  # a record (JSONL line, .txt file, Parquet text) beyond this is a reject

#: The documents frame's own columns (the input's other columns ride in ``CARRIED``).
CORE = {
    "id": pl.String,
    "text": pl.String,
    ORIGIN: pl.String,
    BYTES_REPLACED: pl.Int64,
    LANG_GIVEN: pl.String,
    LANG_SCORE_GIVEN: pl.Float64,
}


@dataclass(frozen=True)
class ReadOptions:
    text_field: str = "text"
    id_field: str = "id"
    on_error: str = "stop"  # stop | skip
    max_expansion: float = MAX_EXPANSION  # see open_input
    lang_field: str = "lang"  # read into _lang_given; "lang" is dqkit's own column, others are carried too
    max_record_bytes: int = MAX_RECORD_BYTES


@dataclass(frozen=True)
class RecordRange:
    """Part of one JSONL or Parquet file: records ``start`` (0-based) to ``stop`` (exclusive;
    None: to the end). A JSONL range may say where its first line is: at ``byte_start`` of
    the file, or at the start of ``chunk``, a plain copy of those lines cut out of a
    compressed file (origins and ids still name the file and its line numbers)."""

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


def _read_bytes(file: InputFile, max_expansion: float) -> bytes:
    try:
        with open_input(file, max_expansion) as handle:
            return handle.read()
    except InputError:
        raise
    except Exception as exc:
        error = read_error(file, exc)
        if error is exc:
            raise
        raise error from exc


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
        },
        schema_overrides={LANG_GIVEN: pl.String, LANG_SCORE_GIVEN: pl.Float64},
    )
    return _FileFrame(core, None, frozenset(), CarriedNames())


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
    detail = text_field_problem(record, opts.text_field)
    if detail is not None:
        problems.add(origin, fallback_id, RejectReason.MISSING_TEXT, detail, _raw_text(raw))
        return None
    text = record.pop(opts.text_field)
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
    return _Record(str(doc_id), text, lang, _score(record.get(LANG_SCORE)), bad, record)


def text_field_problem(record: dict, field: str) -> str | None:
    """Why ``record`` has no text in ``field`` (None: it has), with the fields it has.

    >>> text_field_problem({"body": "x", "id": 1}, "text")
    "text field 'text' is missing; fields present: body, id (choose one with --text-field)"
    """
    text = record.get(field, _MISSING)
    if isinstance(text, str):
        return None
    found = "missing" if text is _MISSING else f"not a string ({type(text).__name__})"
    present = ", ".join(sorted(record)) or "(none)"
    return f"text field {field!r} is {found}; fields present: {present} (choose one with --text-field)"


def missing_text_column(path: Path, field: str, columns: list[str]) -> InputError:
    """A Parquet file without the text column, with the columns it has."""
    return InputError(
        f"{path}: no text column {field!r}; columns present: {', '.join(columns)} (choose one with --text-field)"
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
    if not records:
        return None
    core = pl.DataFrame(
        {
            "id": [r.doc_id for r in records],
            "text": [r.text for r in records],
            ORIGIN: origins,
            BYTES_REPLACED: [r.replaced for r in records],
            LANG_GIVEN: [r.lang for r in records],
            LANG_SCORE_GIVEN: [r.lang_score for r in records],
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
    if opts.text_field not in frame.columns:
        raise missing_text_column(file.path, opts.text_field, frame.columns)
    if frame.schema[opts.text_field] != pl.String:
        raise InputError(f"{file.path}: column {opts.text_field!r} holds {frame.schema[opts.text_field]}, not text")
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
        pl.col(opts.text_field).alias("text"),
        (pl.lit(f"{file.path}:row ") + rows).alias(ORIGIN),
        pl.lit(0, dtype=pl.Int64).alias(BYTES_REPLACED),
        _given_language_column(frame, opts.lang_field).alias(LANG_GIVEN),
        _given_score_column(frame).alias(LANG_SCORE_GIVEN),
    )
    nulls = core.select(pl.arg_where(pl.col("id").is_null() | pl.col("text").is_null()))
    if not nulls.is_empty():
        raise InputError(
            f"{file.path}: row {start + nulls.item(0, 0) + 1} has no {opts.id_field!r} or no {opts.text_field!r} value"
        )
    consumed = (opts.text_field, opts.id_field, *([opts.lang_field] if consumes_lang else []))
    mapping, names = carried_names(frame.columns, consumed, str(file.path))
    carried = pack([frame[name].alias(carried_as) for name, carried_as in mapping.items()])
    too_large = core.select((pl.col("text").str.len_bytes() > opts.max_record_bytes).alias("big"))["big"]
    if too_large.any():
        for doc_id, origin, text in core.filter(too_large).select("id", ORIGIN, "text").iter_rows():
            detail = _too_large(len(text.encode("utf-8")), opts)
            problems.reject(origin, doc_id, RejectReason.RECORD_TOO_LARGE, detail or "", text)
        core = core.filter(~too_large)
        carried = None if carried is None else carried.filter(~too_large)
    return _FileFrame(core, carried, frozenset(), names)


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
    """A document's source when the input names none: its file, or a .txt file's folder
    (a folder of .txt files is one source, each file one document)."""
    return str(file.path.parent if file.format == "txt" else file.path)


def url_host(urls: pl.Expr) -> pl.Expr:
    """The lower-cased host of each URL (null where it is not one), a page's source.

    >>> pl.select(url_host(pl.lit("https://User@WWW.Example.org:8080/a?b"))).item()
    'www.example.org'
    """
    return urls.str.extract(r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)").str.to_lowercase()


def read_corpus(files: list[InputFile], opts: ReadOptions, part: RecordRange = WHOLE_FILE) -> Corpus:
    """Read every file into one documents frame (see the module docstring); of a single
    JSONL or Parquet file, only the lines or rows of ``part`` may be read."""
    problems = _Problems(opts.on_error)
    frames: list[_FileFrame] = []
    summaries: list[dict] = []
    stats = {"ids_generated": False}
    for file in files:
        before = len(problems.rows)
        read: _FileFrame | None
        if file.format == "txt":
            read = _read_txt(file, problems, opts)
        elif file.format == "jsonl":
            read = _read_jsonl(file, opts, problems, stats, part)
        else:
            read = _read_parquet(file, opts, problems, stats, part)
        summaries.append(
            {
                "name": str(file.path),
                "format": file.format,
                "compression": file.compression,
                "documents": 0 if read is None else read.core.height,
                "unreadable": len(problems.rows) - before,
            }
        )
        if read is not None:
            read.core = read.core.with_columns(pl.lit(source_of(file), dtype=pl.String).alias(SOURCE))
            frames.append(read)
    documents, as_json = _documents(frames)
    documents = _reject_duplicate_ids(documents, problems)
    problem_frame = pl.DataFrame(problems.rows, schema=PROBLEMS)
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
