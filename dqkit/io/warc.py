"""WARC files, read with warcio (the optional extra ``dqkit[web]``): which records are
documents, where each record starts, and a damaged file told as bad input.

A document is a ``response`` record whose HTTP Content-Type is HTML; every other record
(``warcinfo``, ``request``, ``metadata``, ``revisit``, a response of another type) is
passed over and counted by its kind (:func:`record_kind`). A ``.warc.gz`` must be gzipped
record by record, as crawlers write it, so that a shard can start at a record's offset.

warcio reads a truncated file without a word, handing over a short last record, so each
record is checked once read: its ``Content-Length`` was all there, its gzip member ended,
and after the last record the file holds nothing but blank lines. A damaged file stops the
run with its name, the record's number and its byte offset (:class:`InputError`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dqkit.errors import InputError
from dqkit.io.sources import InputFile
from dqkit.io.web import web_module

HTML_TYPES = ("text/html", "application/xhtml+xml")
NOT_HTML = "response_not_html"  # the kind of a response record that is not a page
_TAIL_BYTES = 64  # what is read past the last record to tell blank lines from a cut record


@dataclass(frozen=True)
class WarcRecord:
    """One record: ``ordinal`` counts from 1 in the file, ``offset`` is where it (its gzip
    member) starts. ``kind`` is None for a document, else what the record is; a document
    has its HTTP body in ``payload`` (cut after ``payload_limit`` + 1 bytes) and the
    Content-Type header in ``content_type``."""

    ordinal: int
    offset: int
    kind: str | None
    record_id: str | None
    uri: str | None
    content_type: str | None = None
    payload: bytes | None = None


def record_kind(record: Any) -> tuple[str | None, str | None]:
    """(None for an HTML response, else the record's kind; the HTTP Content-Type)."""
    if record.rec_type != "response":
        return record.rec_type or "untyped", None
    content_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    return (None if mime in HTML_TYPES else NOT_HTML), content_type


def _damage(iterator: Any, record: Any) -> str | None:
    """Why the record just read is incomplete, or None."""
    iterator.read_to_end()
    if record.rec_headers.get_header("Content-Length") is None:
        return "no Content-Length header (a damaged record header)"
    if getattr(record.raw_stream, "limit", 0) > 0:
        return f"the file ends {record.raw_stream.limit:,} bytes before the record's Content-Length"
    decompressor = iterator.reader.decompressor
    if decompressor is not None and not decompressor.eof:
        return "its gzip member is cut short"
    return None


def _where(file: InputFile, ordinal: int, offset: int) -> str:
    # warcio's offsets go wrong (negative) in a file gzipped as one stream
    return f"{file.path}:record {ordinal}" + (f" (byte {offset:,})" if offset >= 0 else "")


def warc_records(
    file: InputFile, start: int = 0, stop: int | None = None, byte_start: int = 0, payload_limit: int | None = None
) -> Iterator[WarcRecord]:
    """The records ``start + 1`` to ``stop`` (all by default) of ``file``, the first at
    ``byte_start``; a document's payload is read when ``payload_limit`` is given."""
    archive_iterator = web_module("warcio.archiveiterator", "WARC input").ArchiveIterator
    ordinal, end = start, byte_start  # ``end``: where the last record read ends (blank lines may follow)
    with open(file.path, "rb") as handle:
        handle.seek(byte_start)
        iterator = archive_iterator(handle)
        try:
            for record in iterator:
                ordinal += 1
                kind, content_type = record_kind(record)
                payload = None
                if kind is None and payload_limit is not None:
                    payload = record.content_stream().read(payload_limit + 1)
                damage = _damage(iterator, record)
                offset = iterator.get_record_offset()
                if damage:
                    raise InputError(
                        f"{_where(file, ordinal, offset)}: {damage}: the WARC file is damaged or truncated"
                    )
                yield WarcRecord(
                    ordinal,
                    offset,
                    kind,
                    record.rec_headers.get_header("WARC-Record-ID"),
                    record.rec_headers.get_header("WARC-Target-URI"),
                    content_type,
                    payload,
                )
                end = offset + iterator.get_record_length()
                if ordinal == stop:
                    return
        except InputError:
            raise
        except Exception as exc:  # warcio's ArchiveLoadFailed, zlib and gzip errors: a damaged file
            message = " ".join(str(exc).split())
            if "non-chunked gzip" in message:
                message = "gzipped as one stream, not record by record: `warcio recompress FILE NEW` mends it"
            raise InputError(
                f"{_where(file, ordinal + 1, end)}: not a readable WARC record ({type(exc).__name__}: {message[:300]})"
            ) from exc
        finally:
            iterator.close()
        handle.seek(end)
        if handle.read(_TAIL_BYTES).strip():
            raise InputError(f"{_where(file, ordinal + 1, end)}: the file ends inside this record: it is truncated")


def warc_ranges(file: InputFile, shard_docs: int) -> list[tuple[int, int, int, int]]:
    """``(start, stop, byte_start, documents)`` of runs of records holding at most
    ``shard_docs`` documents each, found in one pass that also checks the whole file."""
    ranges: list[list[int]] = []
    for record in warc_records(file):
        if not ranges or (record.kind is None and ranges[-1][3] == shard_docs):
            ranges.append([record.ordinal - 1, record.ordinal, record.offset, 0])
        ranges[-1][1] = record.ordinal
        ranges[-1][3] += record.kind is None
    return [(start, stop, byte, documents) for start, stop, byte, documents in ranges]
