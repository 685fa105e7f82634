"""dqkit from Python: :func:`clean` a corpus given as paths or as a table, and get the
cleaned documents, the rejects, the audit of every edit and the report back.

It is the very run of ``dqkit clean``: the command line is a thin layer over :func:`clean`,
and every option of the command is a keyword here, checked the same way
(:mod:`dqkit.clean_options`: ``--no-langid`` is ``no_langid=True``, ``--rules`` is
``rules=[...]``).

>>> import polars as pl
>>> frame = pl.DataFrame({"id": ["a", "b"], "text": ["The council met on Monday.\\nFollow us on Twitter", "Rain."]})
>>> result = clean(frame, no_langid=True)
>>> result.clean.select("id", "text").rows()
[('a', 'The council met on Monday.'), ('b', 'Rain.')]
>>> result.edits.select("doc_id", "kind", "rule_id").rows()
[('a', 'line_removed', 'en.social.follow-us')]
>>> result.report["documents"]["kept"], result.rejects.height, result.out is None
(2, 0, True)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from dqkit.clean_options import validate
from dqkit.dedup.near import NearDupOptions
from dqkit.detect.mt_model import models_for
from dqkit.errors import DqkitError, OptionsError
from dqkit.options import CleanOptions, RunSettings
from dqkit.pipeline import run_clean
from dqkit.progress import Progress

#: The file an in-memory table is written to for the run: ids made for rows without an id
#: column are ``frame.parquet:1``, ``frame.parquet:2``, ...
FRAME_FILE = "frame.parquet"
OUTPUT_TABLES = ("clean", "rejects", "edits")


@dataclass
class Result:
    """What a :func:`clean` run gave: ``report`` (report.json's content), ``out`` (the output
    folder, or None when nothing was kept on disk) and the ``clean``, ``rejects`` and ``edits``
    tables as polars frames (read from ``out`` when first asked for)."""

    report: dict
    out: Path | None
    _tables: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def clean(self) -> pl.DataFrame:
        """The cleaned documents (clean.jsonl or clean.parquet)."""
        return self._table("clean")

    @property
    def rejects(self) -> pl.DataFrame:
        """The rejected documents with their reasons (rejects.jsonl or rejects.parquet)."""
        return self._table("rejects")

    @property
    def edits(self) -> pl.DataFrame:
        """Every removed line, cut span, repair and flag (edits.parquet)."""
        return self._table("edits")

    def _table(self, name: str) -> pl.DataFrame:
        if name not in self._tables:
            assert self.out is not None, "a run without an output folder read its tables"
            self._tables[name] = _read_table(self.out, name)
        return self._tables[name]


def clean(source: Any, out: str | os.PathLike | None = None, **options: Any) -> Result:
    """Clean ``source`` as ``dqkit clean`` does; return the :class:`Result`.

    ``source``: a path (a file, a folder or a glob) or a list of them, or a table: a polars
    DataFrame or LazyFrame, a pandas DataFrame, a pyarrow Table or a Hugging Face
    ``datasets.Dataset`` (its columns as a JSONL record's fields: ``text``, ``id``... or
    those named by ``text_field``, ``id_field``).

    ``out``: the output folder, which receives the files of ``dqkit clean``; None keeps
    nothing on disk: the run works in a temporary folder that is removed before this returns,
    and the result holds the tables (Parquet-typed, unless ``output_format`` says otherwise).

    ``options``: the options of ``dqkit clean`` as keywords. Progress is not shown unless
    ``quiet=False``. A bad option, input or rule file raises :class:`dqkit.errors.DqkitError`
    (``OptionsError``, ``InputError``, ``RuleFileError``...) with the message the command prints.
    """
    values = validate({"quiet": True, **options})
    if out is None and values["resume"]:
        raise OptionsError("resume: a run without an output folder (out=None) has nothing to resume")
    if out is None and values["index"] and not values["batch"]:
        raise OptionsError("batch: name the batch when adding to an index without an output folder (out=None)")
    if out is None and values["output_format"] is None:
        values["output_format"] = "parquet"  # typed tables for the frames; nothing is kept on disk
    clean_options, settings = run_options(values)
    with _inputs(source) as (inputs, scratch):
        folder = Path(os.path.abspath(out)) if out is not None else scratch / "out"
        report = run_clean(inputs, folder, clean_options, Progress.for_terminal(values["quiet"]), settings)
        if out is not None:
            return Result(report, folder)
        return Result(report, None, {name: _read_table(folder, name) for name in OUTPUT_TABLES})


def run_options(values: dict[str, Any]) -> tuple[CleanOptions, RunSettings]:
    """What a run computes and how it is carried out, from checked option values
    (:func:`dqkit.clean_options.validate`). A model file that cannot be used stops the run
    here, before it starts."""
    mt_model = values["mt_model"]
    options = CleanOptions(
        text_field=values["text_field"],
        html_field=values["html_field"],
        id_field=values["id_field"],
        lang_field=values["lang_field"],
        on_error=values["on_error"],
        output_format=values["output_format"],
        rule_dirs=tuple(values["rules"]),
        builtin_rules=not values["no_builtin_rules"],
        detect_language=not values["no_langid"],
        langid=values["langid"],
        source_field=values["source_field"],
        boilerplate=values["boilerplate"],
        lang_prefix_chars=values["lang_prefix_chars"],
        max_removed_fraction=values["max_removed"],
        dedup="none" if values["no_dedup"] else "exact" if values["exact_only"] else "near",
        near=NearDupOptions(
            threshold=values["threshold"], num_perm=values["num_perm"], ngram=values["ngram"], keep=values["keep"]
        ),
        overwrite=values["overwrite"],
        config=values["config"],
        repair_joins=not values["no_join_repair"],
        drop_mt_above=values["drop_mt_above"],
        mt_model=str(Path(mt_model).resolve()) if mt_model else None,
        index=values["index"],
        batch=values["batch"],
        max_expansion=values["max_expansion"],
        max_record_bytes=values["max_record_bytes"],
    )
    models_for(options.mt_model)
    settings = RunSettings(
        workers=values["workers"] or os.cpu_count() or 1,
        engine=values["engine"],
        ray_address=values["ray_address"],
        resume=values["resume"],
        shard_docs=values["shard_docs"],
    )
    return options, settings


@contextlib.contextmanager
def _inputs(source: Any) -> Iterator[tuple[list[str], Path]]:
    """The run's input paths and a scratch folder (removed afterwards): a table is written
    to it as Parquet (:data:`FRAME_FILE`), paths are taken as they are."""
    with tempfile.TemporaryDirectory(prefix="dqkit-") as scratch:
        folder = Path(scratch)
        if isinstance(source, (str, os.PathLike)):
            yield [os.fspath(source)], folder
        elif isinstance(source, Sequence) and all(isinstance(p, (str, os.PathLike)) for p in source):
            if not source:
                raise OptionsError("source: no input paths given")
            yield [os.fspath(p) for p in source], folder
        else:
            (folder / "input").mkdir()
            path = folder / "input" / FRAME_FILE
            frame = as_polars(source)
            if isinstance(frame, pl.LazyFrame):
                frame.sink_parquet(path)  # streamed: a large lazy table is never held whole
            else:
                frame.write_parquet(path)
            try:
                yield [str(path)], folder
            except DqkitError as exc:  # named by the table, not by the temporary file
                exc.args = tuple(str(arg).replace(str(path), "the table") for arg in exc.args)
                raise


def as_polars(table: Any) -> pl.DataFrame | pl.LazyFrame:
    """``table`` as a polars frame: a polars DataFrame or LazyFrame as it is, a pandas
    DataFrame, a pyarrow Table or a Hugging Face ``datasets.Dataset`` converted (each
    recognised by its type, so none of those packages is imported unless it is in use)."""
    if isinstance(table, (pl.DataFrame, pl.LazyFrame)):
        return table
    module = type(table).__module__.split(".")[0]
    if module == "pandas" and hasattr(table, "columns"):
        return pl.from_pandas(table)
    if module == "pyarrow" and hasattr(table, "schema"):
        return pl.DataFrame(pl.from_arrow(table))
    if module == "datasets" and hasattr(table, "with_format"):
        # The arrow view honours the dataset's own row selection (select, shuffle, filter).
        return pl.DataFrame(pl.from_arrow(table.with_format("arrow")[:]))
    raise OptionsError(
        f"source: cannot clean a {type(table).__module__}.{type(table).__name__}; give a path, a list of "
        "paths, or a polars, pandas, pyarrow or Hugging Face datasets table"
    )


def _read_table(out: Path, name: str) -> pl.DataFrame:
    """One output table of the run in ``out`` (``clean``, ``rejects``: Parquet or JSONL, as
    written; ``edits``: Parquet)."""
    parquet, jsonl = out / f"{name}.parquet", out / f"{name}.jsonl"
    if parquet.exists():
        return pl.read_parquet(parquet)
    if jsonl.stat().st_size == 0:
        return pl.DataFrame()
    return pl.read_ndjson(jsonl, infer_schema_length=None)
