"""Read input files into one documents frame.

The frame has one row per document, in input order (files sorted by path, rows in file
order), with the columns

* ``id`` (str): from ``--id-field``; else the path relative to the input folder for a
  .txt file, and ``<file>:<line>`` (JSONL) or ``<file>:<row>`` (Parquet) otherwise;
* ``text`` (str): from ``--text-field``;
* ``_origin`` (str): where the document came from, for messages and rejects;
* ``_bytes_replaced`` (int): undecodable bytes replaced by U+FFFD while reading;
* every other input column, unchanged.

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
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from dqkit.errors import InputError, OptionsError
from dqkit.frames import BYTES_REPLACED, ORIGIN, PROBLEMS
from dqkit.io.sources import InputFile
from dqkit.kinds import RejectReason

MAX_EXPANSION = 100  # decompressed bytes per compressed byte before a file counts as a bomb
EXPANSION_FLOOR = 256 << 20  # a file may always expand to this much


@dataclass(frozen=True)
class ReadOptions:
    text_field: str = "text"
    id_field: str = "id"
    on_error: str = "stop"  # stop | skip
    max_expansion: float = MAX_EXPANSION  # see open_input


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
    documents: pl.DataFrame
    problems: pl.DataFrame
    ids_generated: bool
    files: list[dict] = field(default_factory=list)  # per file: name, format, documents, problems


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


def _read_bytes(file: InputFile, max_expansion: float) -> bytes:
    try:
        with open_input(file, max_expansion) as handle:
            return handle.read()
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise InputError(f"{file.path}: cannot read ({exc})") from exc
    except Exception as exc:  # zstandard raises its own ZstdError
        if type(exc).__name__ == "ZstdError":
            raise InputError(f"{file.path}: cannot decompress ({exc})") from exc
        raise


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


def _read_txt(file: InputFile, problems: _Problems, max_expansion: float) -> pl.DataFrame | None:
    data = _read_bytes(file, max_expansion)
    text, replaced = decode_text(data)
    origin = str(file.path)
    if text is None:
        problems.reject(origin, file.name, RejectReason.BINARY_FILE, "binary file (NUL bytes), not text", None)
        return None
    return pl.DataFrame({"id": [file.name], "text": [text], ORIGIN: [origin], BYTES_REPLACED: [replaced]})


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


def _read_jsonl(
    file: InputFile, opts: ReadOptions, problems: _Problems, stats: dict, part: RecordRange = WHOLE_FILE
) -> pl.DataFrame | None:
    rows: list[dict] = []
    origins: list[str] = []
    replaced: list[int] = []
    try:
        for number, raw in _jsonl_lines(file, part, opts.max_expansion):
            if not raw.strip():
                continue
            origin = f"{file.path}:{number}"
            fallback_id = f"{file.name}:{number}"
            try:
                record = json.loads(raw)
            except UnicodeDecodeError as exc:
                problems.add(
                    origin,
                    fallback_id,
                    RejectReason.MALFORMED_RECORD,
                    f"not valid UTF-8 ({exc.reason})",
                    raw.decode("utf-8", errors="replace"),
                )
                continue
            except json.JSONDecodeError as exc:
                problems.add(
                    origin,
                    fallback_id,
                    RejectReason.MALFORMED_RECORD,
                    f"malformed JSON at column {exc.colno}: {exc.msg}",
                    raw.decode("utf-8", errors="replace"),
                )
                continue
            if not isinstance(record, dict):
                problems.add(
                    origin,
                    fallback_id,
                    RejectReason.MALFORMED_RECORD,
                    f"expected a JSON object, found {type(record).__name__}",
                    raw.decode("utf-8", errors="replace"),
                )
                continue
            text = record.get(opts.text_field)
            if not isinstance(text, str):
                found = "missing" if opts.text_field not in record else f"not a string ({type(text).__name__})"
                problems.add(
                    origin,
                    fallback_id,
                    RejectReason.MISSING_TEXT,
                    f"text field {opts.text_field!r} is {found}; fields present: "
                    f"{', '.join(sorted(record)) or '(none)'} (choose one with --text-field)",
                    raw.decode("utf-8", errors="replace"),
                )
                continue
            if opts.id_field in record and not isinstance(record[opts.id_field], (str, int)):
                problems.add(
                    origin,
                    fallback_id,
                    RejectReason.MISSING_ID,
                    f"id field {opts.id_field!r} is {type(record[opts.id_field]).__name__}, not a string or number",
                    raw.decode("utf-8", errors="replace"),
                )
                continue
            text, bad = _strip_surrogates(text)
            record[opts.text_field] = text
            if opts.id_field not in record:
                record[opts.id_field] = fallback_id
                stats["ids_generated"] = True
            rows.append(record)
            origins.append(origin)
            replaced.append(bad)
    except InputError:
        raise
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise InputError(f"{file.path}: cannot read ({exc})") from exc
    if not rows:
        return None
    frame = pl.from_dicts(rows, infer_schema_length=None)
    return frame.with_columns(pl.Series(ORIGIN, origins), pl.Series(BYTES_REPLACED, replaced))


def _read_parquet(
    file: InputFile, opts: ReadOptions, stats: dict, part: RecordRange = WHOLE_FILE
) -> pl.DataFrame | None:
    start, stop = part.start, part.stop
    try:
        frame = pl.scan_parquet(file.path).slice(start, None if stop is None else stop - start).collect()
    except Exception as exc:  # polars raises several error types for a broken file
        raise InputError(f"{file.path}: not a readable Parquet file ({exc})") from exc
    if opts.text_field not in frame.columns:
        raise InputError(
            f"{file.path}: no text column {opts.text_field!r}; columns present: "
            f"{', '.join(frame.columns)} (choose one with --text-field)"
        )
    if frame.schema[opts.text_field] != pl.String:
        raise InputError(f"{file.path}: column {opts.text_field!r} holds {frame.schema[opts.text_field]}, not text")
    rows = pl.int_range(start + 1, start + pl.len() + 1).cast(pl.String)
    frame = frame.with_columns(
        (pl.lit(f"{file.path}:row ") + rows).alias(ORIGIN),
        pl.lit(0).alias(BYTES_REPLACED),
    )
    if opts.id_field not in frame.columns:
        frame = frame.with_columns((pl.lit(f"{file.name}:") + rows).alias(opts.id_field))
        stats["ids_generated"] = True
    nulls = frame.select(pl.arg_where(pl.col(opts.id_field).is_null() | pl.col(opts.text_field).is_null()))
    if not nulls.is_empty():
        raise InputError(
            f"{file.path}: row {start + nulls.item(0, 0) + 1} has no {opts.id_field!r} or no {opts.text_field!r} value"
        )
    return frame


def _standardise(frame: pl.DataFrame, opts: ReadOptions) -> pl.DataFrame:
    """Rename the text and id fields to ``text``/``id`` (ids as strings)."""
    for reserved, field_name in (("text", opts.text_field), ("id", opts.id_field)):
        if field_name != reserved and reserved in frame.columns:
            raise OptionsError(
                f"the input has a column {reserved!r} besides the chosen field {field_name!r}; "
                f"dqkit writes its own {reserved!r} column, so rename one of them"
            )
    frame = frame.rename({opts.text_field: "text", opts.id_field: "id"})
    return frame.with_columns(pl.col("id").cast(pl.String))


def read_corpus(files: list[InputFile], opts: ReadOptions, part: RecordRange = WHOLE_FILE) -> Corpus:
    """Read every file into one documents frame (see the module docstring); of a single
    JSONL or Parquet file, only the lines or rows of ``part`` may be read."""
    problems = _Problems(opts.on_error)
    frames: list[pl.DataFrame] = []
    summaries: list[dict] = []
    stats = {"ids_generated": False}
    for file in files:
        before = len(problems.rows)
        if file.format == "txt":
            frame = _read_txt(file, problems, opts.max_expansion)
        elif file.format == "jsonl":
            frame = _read_jsonl(file, opts, problems, stats, part)
        else:
            frame = _read_parquet(file, opts, stats, part)
        if frame is not None and file.format != "txt":
            frame = _standardise(frame, opts)
        summaries.append(
            {
                "name": str(file.path),
                "format": file.format,
                "compression": file.compression,
                "documents": 0 if frame is None else frame.height,
                "unreadable": len(problems.rows) - before,
            }
        )
        if frame is not None:
            frames.append(frame)
    documents = (
        pl.concat(frames, how="diagonal_relaxed")
        if frames
        else pl.DataFrame(schema={"id": pl.String, "text": pl.String, ORIGIN: pl.String, BYTES_REPLACED: pl.Int64})
    )
    documents = _reject_duplicate_ids(documents, problems)
    problem_frame = pl.DataFrame(problems.rows, schema=PROBLEMS)
    return Corpus(documents=documents, problems=problem_frame, ids_generated=stats["ids_generated"], files=summaries)


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
