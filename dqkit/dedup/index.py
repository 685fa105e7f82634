"""A persistent near-duplicate index of everything accepted so far (``--index DIR``).

The folder holds ``params.json`` (the signature scheme and threshold: a run with other
parameters is refused), ``batches.json`` (the batch names so far) and
``signatures.parquet`` (id, batch, signature and ``dup_of`` of every document of every
batch: the rejected copies stay in the index so that a later copy of a copy still finds
its cluster, exactly as in one run over all batches). A run takes ``index.lock`` first
(:class:`dqkit.io.lock.FileLock`), so a second writer is refused; the new signature file
is written beside the old one and renamed over it, so a crash during an update leaves the
previous index intact. No server: local files only.

:func:`open_index` reads and checks every part before the run does any work: an index
that lacks one of its files, or holds one of the wrong shape or types, is refused (exit
1) and left as it is, rather than taken for an empty index or failing after OUT is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from dqkit.errors import DqkitError, InputError
from dqkit.io.atomic import atomic_path, json_kind, read_json, write_atomic, write_json_atomic
from dqkit.io.lock import FileLock

PARAMS = "params.json"
SIGNATURES = "signatures.parquet"
BATCHES = "batches.json"
LOCK = "index.lock"
PARTS = (PARAMS, BATCHES, SIGNATURES)
COLUMNS = {"id": pl.String, "batch": pl.String, "dup_of": pl.String, "signature": pl.List(pl.UInt32)}


@dataclass
class Index:
    folder: Path
    params: dict
    ids: list[str]
    batches: list[str]
    dup_of: list[str | None]  # None: accepted; else the accepted document it duplicates
    matrix: np.ndarray  # documents x num_perm, uint32
    batch_names: list[str]

    @property
    def size(self) -> int:
        return len(self.ids)


def index_lock(folder: Path) -> FileLock:
    """Held for the whole run: a second writer fails at once with a clear message."""
    return FileLock(
        folder / LOCK,
        lambda holder: DqkitError(
            f"the index {folder} is in use by another run (lock held by process {holder}); wait for it to finish"
        ),
    )


def _corrupt(path: Path, what: str) -> InputError:
    return InputError(f"{path}: the index is corrupt ({what}); restore it or start a new one")


def _read_params(path: Path, params: dict) -> dict:
    stored = read_json(path, InputError)
    if not isinstance(stored, dict):
        raise _corrupt(path, f"{json_kind(stored)} where an object of parameters belongs")
    for key, value in params.items():
        if key not in stored:
            raise _corrupt(path, f"no {key!r}")
        if json_kind(stored[key]) != json_kind(value):
            raise _corrupt(path, f"{key!r} is {json_kind(stored[key])}, not {json_kind(value)}")
    return stored


def _read_signatures(path: Path, num_perm: int, batch_names: list[str]) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several kinds for a broken file
        raise _corrupt(path, str(exc)) from exc
    if dict(frame.schema) != COLUMNS:
        found = ", ".join(f"{name}: {dtype}" for name, dtype in frame.schema.items())
        raise _corrupt(path, f"columns {found}; an index has {', '.join(f'{n}: {t}' for n, t in COLUMNS.items())}")
    lengths = frame["signature"].list.len()
    checks = (
        (frame["id"].null_count() + frame["batch"].null_count() > 0, "a document without an id or a batch"),
        (frame["signature"].null_count() > 0 or bool((lengths != num_perm).any()), f"a signature not of {num_perm}"),
        (not frame["batch"].is_in(batch_names).all(), f"a batch that {BATCHES} does not list"),
        (not frame["dup_of"].drop_nulls().is_in(frame["id"].implode()).all(), "a dup_of that is no document of it"),
    )
    for failed, what in checks:
        if failed:
            raise _corrupt(path, what)
    return frame


def open_index(folder: Path, params: dict, batch: str) -> Index:
    """The index in ``folder`` (empty when new); refuses different parameters, a batch
    name it already holds, and an index with a part missing or of the wrong shape."""
    present = [name for name in PARTS if (folder / name).exists()]
    if not present:
        return Index(folder, params, [], [], [], np.empty((0, params["num_perm"]), dtype=np.uint32), [])
    missing = [name for name in PARTS if name not in present]
    if missing:
        raise InputError(
            f"the index {folder} is incomplete: {', '.join(missing)} is missing (it holds "
            f"{', '.join(present)}); restore it or start a new index"
        )
    stored = _read_params(folder / PARAMS, params)
    if stored != params:
        changed = sorted(k for k in set(stored) | set(params) if stored.get(k) != params.get(k))
        raise DqkitError(
            f"the index {folder} was built with other parameters ({', '.join(changed)}: "
            f"{ {k: stored.get(k) for k in changed} }); use the same options or a new index"
        )
    batch_names = read_json(folder / BATCHES, InputError)
    if not isinstance(batch_names, list):
        raise _corrupt(folder / BATCHES, f"{json_kind(batch_names)} where a list of batch names belongs")
    odd = [name for name in batch_names if not isinstance(name, str)]
    if odd:
        raise _corrupt(folder / BATCHES, f"a batch name that is {json_kind(odd[0])}, not a string")
    if batch in batch_names:
        raise DqkitError(f"the index {folder} already holds a batch named {batch!r}: name this one with --batch")
    frame = _read_signatures(folder / SIGNATURES, params["num_perm"], batch_names)
    matrix = np.asarray(frame["signature"].to_list(), dtype=np.uint32).reshape(frame.height, params["num_perm"])
    return Index(
        folder, params, frame["id"].to_list(), frame["batch"].to_list(), frame["dup_of"].to_list(), matrix, batch_names
    )


def save_index(index: Index, batch: str, ids: list[str], dup_of: list[str | None], matrix: np.ndarray) -> None:
    """Add a batch (every document that reached near-dedup, with what it duplicates) and
    write the index atomically: the signatures first, then the batch list."""
    all_matrix = np.vstack([index.matrix, matrix]) if index.size else matrix
    frame = pl.DataFrame(
        {
            "id": index.ids + ids,
            "batch": index.batches + [batch] * len(ids),
            "dup_of": pl.Series(index.dup_of + dup_of, dtype=pl.String),
            "signature": pl.Series(all_matrix.tolist(), dtype=pl.List(pl.UInt32)),
        }
    )
    index.folder.mkdir(parents=True, exist_ok=True)
    if not (index.folder / PARAMS).exists():
        write_json_atomic(index.folder / PARAMS, index.params, indent=2)
    with atomic_path(index.folder / SIGNATURES) as partial:
        frame.write_parquet(partial, compression="zstd")
    write_atomic(index.folder / BATCHES, json.dumps([*index.batch_names, batch]))
