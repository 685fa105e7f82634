"""A shard's batch between its survey and the rest of its stages, kept on disk: the run
decides the corpus facts from every shard's survey before any shard goes on, and a
worker process may not hold its shards that long (:mod:`dqkit.cleaning`).

Frames go to Parquet, the signatures to ``.npy``, counters, survey and timings to JSON;
``batch.json`` is written last, so a folder without it is not a saved batch.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp()) / "interim"
>>> save_batch(folder, Batch(docs=pl.DataFrame({"_doc": [1]}), counters={"rules": {"hits": 2}}))
>>> load_batch(folder).counters
{'rules': {'hits': 2}}
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from dqkit.assemble import LineOutcome
from dqkit.io.atomic import disk_errors, write_json_atomic
from dqkit.stages.base import Batch

_LINE_FRAMES = ("hits", "doc_drops", "texts", "edits")
_MANIFEST = "batch.json"


def save_batch(folder: Path, batch: Batch) -> None:
    """Write ``batch`` into ``folder`` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    with disk_errors(folder):
        batch.docs.write_parquet(folder / "docs.parquet")
        if batch.lines is not None:
            for name in _LINE_FRAMES:
                getattr(batch.lines, name).write_parquet(folder / f"lines.{name}.parquet")
        for name in ("hits", "signals", "line_scores"):
            frame = getattr(batch, name)
            if frame is not None:
                frame.write_parquet(folder / f"{name}.parquet")
        if batch.signatures is not None:
            np.save(folder / "signatures.npy", batch.signatures)
        for kind in ("edits", "rejects"):
            for k, frame in enumerate(getattr(batch, kind)):
                frame.write_parquet(folder / f"{kind}.{k}.parquet")
    write_json_atomic(
        folder / _MANIFEST,
        {
            "lines": batch.lines is not None,
            "hits": batch.hits is not None,
            "signals": batch.signals is not None,
            "line_scores": batch.line_scores is not None,
            "signatures": batch.signatures is not None,
            "edits": len(batch.edits),
            "rejects": len(batch.rejects),
            "counters": batch.counters,
            "survey": batch.survey,
            "timings": batch.timings,
        },
    )


def load_batch(folder: Path) -> Batch:
    """The batch :func:`save_batch` wrote into ``folder``."""
    manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))

    def frame(name: str) -> pl.DataFrame:
        return pl.read_parquet(folder / f"{name}.parquet")

    return Batch(
        docs=frame("docs"),
        lines=LineOutcome(*(frame(f"lines.{name}") for name in _LINE_FRAMES)) if manifest["lines"] else None,
        hits=frame("hits") if manifest["hits"] else None,
        signals=frame("signals") if manifest["signals"] else None,
        line_scores=frame("line_scores") if manifest.get("line_scores") else None,
        signatures=np.load(folder / "signatures.npy") if manifest["signatures"] else None,
        edits=[frame(f"edits.{k}") for k in range(manifest["edits"])],
        rejects=[frame(f"rejects.{k}") for k in range(manifest["rejects"])],
        counters=manifest["counters"],
        survey=manifest["survey"],
        timings=manifest["timings"],
    )
