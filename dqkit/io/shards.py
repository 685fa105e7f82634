"""Shards: the unit of work of a run.

A shard is a run of consecutive .txt files, or a range of records of one JSONL or
Parquet file, holding at most ``shard_docs`` documents. The plan depends only on the
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

import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dqkit.errors import InputError
from dqkit.io.readers import Corpus, ReadOptions, open_input, read_corpus
from dqkit.io.sources import InputFile

SHARD_STRIDE = 1 << 32  # internal row numbers of one shard: k * SHARD_STRIDE + i
DEFAULT_SHARD_DOCS = 2_000


@dataclass(frozen=True)
class Shard:
    """``files`` read whole, or, for one JSONL/Parquet file, records ``start`` (0-based,
    inclusive) to ``stop`` (exclusive): lines for JSONL, rows for Parquet."""

    index: int
    files: tuple[InputFile, ...]
    start: int = 0
    stop: int | None = None
    documents: int = 0  # expected, for progress (blank JSONL lines count)

    @property
    def name(self) -> str:
        return f"{self.index:06d}"

    def describe(self) -> str:
        if self.stop is None:
            return ", ".join(str(f.path) for f in self.files[:3]) + (" ..." if len(self.files) > 3 else "")
        unit = "rows" if self.files[0].format == "parquet" else "lines"
        return f"{self.files[0].path} {unit} {self.start + 1}-{self.stop}"


def count_records(file: InputFile) -> int:
    """Lines of a JSONL file (decompressed), rows of a Parquet file."""
    if file.format == "parquet":
        try:
            return pl.scan_parquet(file.path).select(pl.len()).collect().item()
        except Exception as exc:  # polars raises several error types for a broken file
            raise InputError(f"{file.path}: not a readable Parquet file ({exc})") from exc
    lines, last = 0, b"\n"
    try:
        with open_input(file) as handle:
            reader = io.BufferedReader(handle) if file.compression == "zst" else handle
            while chunk := reader.read(1 << 22):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except (OSError, EOFError) as exc:
        raise InputError(f"{file.path}: cannot read ({exc})") from exc
    return lines + (last != b"\n")


def plan_shards(files: list[InputFile], shard_docs: int = DEFAULT_SHARD_DOCS) -> list[Shard]:
    """Split ``files`` (in input order) into shards of at most ``shard_docs`` documents."""
    shards: list[Shard] = []
    pending: list[InputFile] = []

    def flush() -> None:
        if pending:
            shards.append(Shard(len(shards), tuple(pending), documents=len(pending)))
            pending.clear()

    for file in files:
        if file.format == "txt":
            pending.append(file)
            if len(pending) >= shard_docs:
                flush()
            continue
        flush()
        records = count_records(file)
        if records <= shard_docs:
            shards.append(Shard(len(shards), (file,), documents=records))
            continue
        for start in range(0, records, shard_docs):
            stop = min(start + shard_docs, records)
            shards.append(Shard(len(shards), (file,), start, stop, documents=stop - start))
    flush()
    return shards


def read_shard(shard: Shard, opts: ReadOptions) -> Corpus:
    """The documents of one shard, with ``_doc`` numbered in input order across shards."""
    corpus = read_corpus(list(shard.files), opts, record_range=(shard.start, shard.stop))
    corpus.documents = corpus.documents.with_row_index("_doc").with_columns(
        (pl.col("_doc").cast(pl.Int64) + shard.index * SHARD_STRIDE))
    return corpus
