"""A persistent near-duplicate index of everything accepted so far (``--index DIR``).

The folder holds ``params.json`` (the signature scheme and threshold: a run with other
parameters is refused), ``batches.json`` (the batch names so far) and
``signatures.parquet`` (id, batch, signature and ``dup_of`` of every document of every
batch: the rejected copies stay in the index so that a later copy of a copy still finds
its cluster, exactly as in one run over all batches). A run takes ``index.lock`` first
(:class:`dqkit.io.lock.FileLock`), so a second writer is refused; the new signature file
is written beside the old one and renamed over it, so a crash during an update leaves the
previous index intact. No server: local files only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from dqkit.errors import DqkitError
from dqkit.io.atomic import atomic_path, write_atomic, write_json_atomic
from dqkit.io.lock import FileLock

PARAMS = "params.json"
SIGNATURES = "signatures.parquet"
BATCHES = "batches.json"
LOCK = "index.lock"


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


def open_index(folder: Path, params: dict, batch: str) -> Index:
    """The index in ``folder`` (empty when new); refuses different parameters and a
    batch name it already holds."""
    params_path = folder / PARAMS
    if params_path.exists():
        try:
            stored = json.loads(params_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DqkitError(f"{params_path}: the index is corrupt ({exc})") from exc
        if stored != params:
            changed = sorted(k for k in set(stored) | set(params) if stored.get(k) != params.get(k))
            raise DqkitError(
                f"the index {folder} was built with other parameters ({', '.join(changed)}: "
                f"{ {k: stored.get(k) for k in changed} }); use the same options or a new index"
            )
    batch_names: list[str] = []
    if (folder / BATCHES).exists():
        try:
            batch_names = json.loads((folder / BATCHES).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DqkitError(f"{folder / BATCHES}: the index is corrupt ({exc})") from exc
    if batch in batch_names:
        raise DqkitError(f"the index {folder} already holds a batch named {batch!r}: name this one with --batch")
    signatures_path = folder / SIGNATURES
    if not signatures_path.exists():
        return Index(folder, params, [], [], [], np.empty((0, params["num_perm"]), dtype=np.uint32), batch_names)
    try:
        frame = pl.read_parquet(signatures_path)
        matrix = np.asarray(frame["signature"].to_list(), dtype=np.uint32).reshape(frame.height, params["num_perm"])
    except Exception as exc:  # polars and numpy raise several kinds for a broken file
        raise DqkitError(f"{signatures_path}: the index is corrupt ({exc}); restore it or start a new one") from exc
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
