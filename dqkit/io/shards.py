"""Shards: the unit of work of a run.

A shard is a run of consecutive .txt and .html files, or a range of records of one JSONL,
Parquet or WARC file, holding at most ``shard_docs`` documents. A plain JSONL range starts
at a byte offset; a compressed JSONL file is decompressed once while planning, into plain
chunk files in the work folder that the workers read. A WARC range starts at the offset of
a record (its gzip member) and holds ``shard_docs`` HTML responses with the records around
them; the planning pass reads the whole file, so a damaged one stops the run here. The plan depends only on the
input files and ``shard_docs``, never on the number of workers, so that any number of
workers (or a Ray cluster) gives the same outputs. Each worker reads its own shard from
disk; nothing but the small :class:`Shard` description is sent to it.

Documents of shard ``k`` get the internal row numbers ``k * SHARD_STRIDE + i``, so that
sorting by them gives input order across shards.

>>> from dqkit.io.sources import InputFile
>>> txt = [InputFile(Path(f"{n}.txt"), f"{n}.txt", "txt", None) for n in range(5)]
>>> [len(s.files) for s in plan_shards(txt, shard_docs=2)]
[2, 2, 1]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dqkit.errors import InputError
from dqkit.frames import DOC
from dqkit.io.readers import (
    MAX_EXPANSION,
    WHOLE_FILE,
    Corpus,
    ReadOptions,
    RecordRange,
    open_input,
    read_corpus,
    read_error,
)
from dqkit.io.sources import InputFile
from dqkit.io.warc import warc_ranges

SHARD_STRIDE = 1 << 32  # internal row numbers of one shard: k * SHARD_STRIDE + i
DEFAULT_SHARD_DOCS = 10_000


@dataclass(frozen=True)
class Shard:
    """``files`` read whole, or the records ``part`` of one JSONL, Parquet or WARC file."""

    index: int
    files: tuple[InputFile, ...]
    part: RecordRange = WHOLE_FILE
    documents: int = 0  # expected, for progress (blank JSONL lines count, unextractable pages too)

    @property
    def name(self) -> str:
        return f"{self.index:06d}"


def _count_parquet(file: InputFile) -> int:
    try:
        return pl.scan_parquet(file.path).select(pl.len()).collect().item()
    except Exception as exc:  # polars raises several error types for a broken file
        raise InputError(f"{file.path}: not a readable Parquet file ({exc})") from exc


def _split_jsonl(
    file: InputFile, shard_docs: int, chunk_dir: Path | None, tag: str, max_expansion: float
) -> list[RecordRange]:
    """Ranges of ``shard_docs`` lines, found in one pass: for a plain file with the byte
    offset where each starts; for a compressed one (given ``chunk_dir``) with a plain copy
    of its lines, so that no worker decompresses the file again (without ``chunk_dir``, a
    range of a compressed file is found by reading up to it)."""
    plain = file.compression is None
    compressed = not plain and chunk_dir is not None
    starts: list[tuple[int, int]] = []  # (line, byte offset) where each range starts
    chunks: list[Path] = []
    line = offset = 0
    writer = None
    try:
        with open_input(file, max_expansion) as handle:
            for raw in handle:
                if line % shard_docs == 0:
                    starts.append((line, offset))
                    if compressed:
                        assert chunk_dir is not None  # compressed means a chunk folder was given
                        if writer is not None:
                            writer.close()
                        chunks.append(chunk_dir / f"{tag}-{len(chunks):06d}.jsonl")
                        writer = open(chunks[-1], "wb")
                if writer is not None:
                    writer.write(raw)
                line += 1
                offset += len(raw)
    except BaseException as exc:  # a broken or refused file leaves no chunk behind
        if writer is not None:
            writer.close()
        for chunk in chunks:
            chunk.unlink(missing_ok=True)
        failure = read_error(file, exc) if isinstance(exc, Exception) else exc
        if failure is exc:
            raise
        raise failure from exc
    if writer is not None:
        writer.close()
    ends = [start for start, _ in starts[1:]] + [line]
    return [
        RecordRange(start, stop, byte if plain else None, chunks[k] if compressed else None)
        for k, ((start, byte), stop) in enumerate(zip(starts, ends, strict=True))
    ]


def plan_shards(
    files: list[InputFile],
    shard_docs: int = DEFAULT_SHARD_DOCS,
    chunk_dir: Path | None = None,
    max_expansion: float = MAX_EXPANSION,
) -> list[Shard]:
    """Split ``files`` (in input order) into shards of at most ``shard_docs`` documents;
    compressed JSONL files are decompressed once, into plain chunks in ``chunk_dir``."""
    shards: list[Shard] = []
    pending: list[InputFile] = []

    def flush() -> None:
        if pending:
            shards.append(Shard(len(shards), tuple(pending), documents=len(pending)))
            pending.clear()

    if chunk_dir is not None:
        chunk_dir.mkdir(parents=True, exist_ok=True)
    for number, file in enumerate(files):
        if file.format in ("txt", "html"):  # one document a file
            pending.append(file)
            if len(pending) >= shard_docs:
                flush()
            continue
        flush()
        if file.format == "parquet":
            rows = _count_parquet(file)
            parts = (
                [RecordRange(start, min(start + shard_docs, rows)) for start in range(0, rows, shard_docs)]
                if rows > shard_docs
                else [WHOLE_FILE]
            )
            sizes = [(p.stop or rows) - p.start for p in parts]
        elif file.format == "warc":
            ranges = warc_ranges(file, shard_docs)
            parts = [RecordRange(start, stop, byte) for start, stop, byte, _ in ranges] or [WHOLE_FILE]
            sizes = [documents for *_, documents in ranges] or [0]
        else:
            parts = _split_jsonl(file, shard_docs, chunk_dir, f"{number:06d}", max_expansion) or [WHOLE_FILE]
            sizes = [(p.stop or 0) - p.start for p in parts]
        for part, size in zip(parts, sizes, strict=True):
            shards.append(Shard(len(shards), (file,), part, documents=size))
    flush()
    return shards


def read_shard(shard: Shard, opts: ReadOptions) -> Corpus:
    """The documents of one shard, with ``_doc`` numbered in input order across shards."""
    corpus = read_corpus(list(shard.files), opts, shard.part)
    corpus.documents = corpus.documents.with_row_index(DOC).with_columns(
        pl.col(DOC).cast(pl.Int64) + shard.index * SHARD_STRIDE
    )
    return corpus
