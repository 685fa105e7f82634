"""The ``dqkit clean`` run: plan shards, clean each shard in a worker, deduplicate across
shards, assemble the outputs and the report, and swap OUT in.

A shard is cleaned in two units of work, each a function of one shard: :func:`survey_shard`
reads it from disk into its folder of the *work folder* (``.OUT.work`` next to OUT) and
runs the survey stages (:func:`dqkit.cleaning.survey_documents`), ``surveyed.json`` last;
once every shard is surveyed, the run decides the corpus facts (the language prior) from
the summed surveys, and :func:`clean_shard` runs the other stages on the saved batch and
writes what they produced, ``done.json`` last. The local engine and the Ray engine both
call them (:mod:`dqkit.engines`). The driver then reads only
what it needs from the shard folders: ids, rankings and signatures for dedup; one shard at
a time for the outputs (:mod:`dqkit.outputs`).

A run holds ``.OUT.lock`` for its whole length (a second run into OUT is refused). An
interrupted run (a signal, a dead worker, a full disk) leaves the work folder; ``--resume``
reuses every shard whose folder is complete and readable when the inputs (by content
hash), rules and options are the same (``plan.json``), cleans the others again, and gives
the same outputs as an uninterrupted run. A finished run removes the work folder, and so
does a run that fails on its input, rules or options (nothing to resume there).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import os
import shutil
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from dqkit import __version__, shard_progress
from dqkit.cleaning import finish_documents, survey_documents
from dqkit.dedup.edges import BandGroup, band_group_task
from dqkit.dedup.exact import find_exact_duplicates
from dqkit.dedup.index import Index, index_lock, open_index, save_index
from dqkit.dedup.lsh import band_keys, lsh_bands
from dqkit.dedup.near import SCHEMA, cluster_duplicates, index_source
from dqkit.dedup.store import Source, Store
from dqkit.engines import open_engine
from dqkit.errors import DqkitError, OptionsError
from dqkit.frames import (
    AS_READ,
    BYTES_REPLACED,
    CARRIED,
    CHARS,
    DOC,
    KEY,
    LENGTH,
    ORDER,
    ORIGIN,
    QUALITY,
    REJECT_COLUMNS,
    SOURCE,
)
from dqkit.interim import load_batch, save_batch
from dqkit.interrupts import Interrupted
from dqkit.io.atomic import disk_errors, write_json_atomic
from dqkit.io.columns import CarriedPlan, carried_values, plan_carried
from dqkit.io.fields import check_fields
from dqkit.io.output import (
    StagedOutput,
    check_output_dir,
    check_output_empty,
    output_lock,
    sweep_leftovers,
    work_folder,
)
from dqkit.io.readers import ReadOptions, duplicate_id_detail, problem_error, url_host
from dqkit.io.shards import Shard, plan_shards, read_shard
from dqkit.io.sources import WEB_FORMATS, InputFile, discover
from dqkit.io.web import require_web
from dqkit.options import CleanOptions, RunSettings, recorded_options
from dqkit.outputs import (
    BAND_KEYS,
    CARRIED_FILE,
    DOCS,
    DONE,
    FINAL_CLEAN,
    FINAL_EDITS,
    FINAL_PROBLEMS,
    FINAL_REJECTS,
    HITS,
    PROBLEMS,
    REJECTS,
    SIGNATURES,
    SURVIVORS,
    TEXT_AS_READ,
    concat_parts,
    finish_shard,
    html_examples,
    mt_examples,
    texts_by_id,
)
from dqkit.outputs import EDITS as EDIT_FILE
from dqkit.peak_memory import own_peak_rss_mb
from dqkit.progress import Progress
from dqkit.report.html import render_html
from dqkit.report.markdown import render_markdown
from dqkit.report.parts import combine
from dqkit.report.review import review_ids
from dqkit.report.summary import build_report
from dqkit.rules.config import find_config, load_config
from dqkit.rules.loading import RuleSet, load_rules
from dqkit.stages import Stage, default_stages
from dqkit.stages.base import CorpusFacts, corpus_facts, merge_survey
from dqkit.stages.mt import place_on_lines_as_read

# The layout of a work folder and its plan.json: a work folder of another layout is never resumed.
WORK_LAYOUT = 5
SURVEYED = "surveyed.json"  # a shard's survey is complete (its batch waits in INTERIM)
INTERIM = "interim"


@dataclass(frozen=True)
class ShardContext:
    """What every shard needs, small and picklable: a worker loads the rules itself."""

    options: CleanOptions
    config: str | None
    work: str
    rules_key: tuple = ()  # the rule files with their sizes and times, as the driver loaded them
    stages: tuple[Stage, ...] = field(default_factory=default_stages)
    corpus: CorpusFacts = field(default_factory=CorpusFacts)  # decided from every shard's survey


_RULES: dict[tuple, RuleSet] = {}


def _load_rules(options: CleanOptions, config: str | None) -> RuleSet:
    return load_rules(
        [Path(d) for d in options.rule_dirs],
        include_builtin=options.builtin_rules,
        config=load_config(Path(config) if config else None),
    )


def _rules_key(options: CleanOptions, config: str | None, rules: RuleSet) -> tuple:
    files = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in rules.files)
    return (options.rule_dirs, options.builtin_rules, config, files)


def _shard_rules(context: ShardContext) -> RuleSet:
    """The run's rules, loaded once per worker process (the driver's copy in its own)."""
    if context.rules_key not in _RULES:
        _RULES.clear()
        _RULES[context.rules_key] = _load_rules(context.options, context.config)
    return _RULES[context.rules_key]


def _shard_folder(shard: Shard, context: ShardContext) -> Path:
    return Path(context.work) / "shards" / shard.name


def survey_shard(shard: Shard, context: ShardContext) -> dict:
    """The first step of one shard: read it into ``WORK/shards/<k>/`` and run the survey
    stages; return its summary (also ``surveyed.json``), whose ``survey`` the run sums."""
    folder = _shard_folder(shard, context)
    for done in (DONE, SURVEYED):
        if (folder / done).exists():
            return json.loads((folder / done).read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    options = context.options
    started = time.perf_counter()
    corpus = read_shard(shard, _read_options(options))
    read_seconds = time.perf_counter() - started
    docs = corpus.documents
    sourced = 0
    if CARRIED in docs.columns:  # the input's own columns wait aside, out of every stage's reach
        if options.source_field:
            name = corpus.names.renamed.get(options.source_field, options.source_field)
            values = carried_values(docs[CARRIED], name)
            if values is not None:
                sourced = values.len() - values.null_count()
                docs = docs.with_columns(pl.coalesce(pl.lit(values), pl.col(SOURCE)).alias(SOURCE))
        else:  # a page's site is its source
            urls = carried_values(docs[CARRIED], corpus.names.renamed.get("url", "url"))
            if urls is not None:
                docs = docs.with_columns(pl.coalesce(url_host(pl.lit(urls)), pl.col(SOURCE)).alias(SOURCE))
        with disk_errors(folder):
            docs.select(DOC, CARRIED).write_parquet(folder / CARRIED_FILE)
        docs = docs.drop(CARRIED)
    on_stage = functools.partial(shard_progress.note, shard.index, docs.height)
    batch = survey_documents(docs, _shard_rules(context), options, context.stages, on_stage)
    save_batch(folder / INTERIM, batch)
    with disk_errors(folder):
        for name, table in batch.survey_tables.items():
            table.write_parquet(folder / survey_table_file(name))
        corpus.problems.write_parquet(folder / PROBLEMS)
        docs.select(DOC, "id", ORIGIN, BYTES_REPLACED, pl.col("text").str.len_chars().alias(CHARS)).write_parquet(
            folder / DOCS
        )
        docs.select(DOC, pl.col("text").alias(AS_READ)).write_parquet(folder / TEXT_AS_READ)  # for the rejects
    summary = {
        "shard": shard.index,
        "documents": docs.height,
        "problems": corpus.problems.height,
        "files": corpus.files,
        "ids_generated": corpus.ids_generated,
        "carried": corpus.carried,
        "renamed": corpus.names.renamed,
        "recomputed": corpus.names.recomputed,
        "sourced": sourced,
        "survey": batch.survey,
        "survey_tables": sorted(batch.survey_tables),
        "seconds": {"read": round(read_seconds, 4)},
    }
    write_json_atomic(folder / SURVEYED, summary)  # last: the survey is complete
    return summary


def clean_shard(shard: Shard, context: ShardContext) -> dict:
    """The second step of one shard, with the corpus facts in ``context``: the other stages
    on its surveyed batch, what they produced written into its folder, ``done.json`` last;
    return its summary (``done.json`` without the survey)."""
    folder = _shard_folder(shard, context)
    if (folder / DONE).exists():
        return _without_survey(json.loads((folder / DONE).read_text(encoding="utf-8")))
    surveyed = json.loads((folder / SURVEYED).read_text(encoding="utf-8"))
    batch = load_batch(folder / INTERIM)
    on_stage = functools.partial(shard_progress.note, shard.index, surveyed["documents"])
    result = finish_documents(batch, _shard_rules(context), context.options, context.corpus, context.stages, on_stage)
    clock = time.perf_counter()
    with disk_errors(folder):
        if result.signatures is not None:
            np.save(folder / SIGNATURES, result.signatures)
            np.save(folder / BAND_KEYS, band_keys(result.signatures, *lsh_bands(context.options.near)))
        result.clean.write_parquet(folder / SURVIVORS)
        result.rejects.write_parquet(folder / REJECTS)
        as_read = pl.scan_parquet(folder / TEXT_AS_READ).rename({AS_READ: "text"})
        place_on_lines_as_read(result.edits, as_read).write_parquet(folder / EDIT_FILE)
        result.hits.write_parquet(folder / HITS)
    summary = {
        **surveyed,
        "counters": result.counters,
        "seconds": {**surveyed["seconds"], **result.timings, "write": round(time.perf_counter() - clock, 4)},
        "memory": {"pid": os.getpid(), "peak_rss_mb": own_peak_rss_mb()},  # of the process that cleaned it
    }
    write_json_atomic(folder / DONE, summary)  # last: the shard is complete
    shutil.rmtree(folder / INTERIM, ignore_errors=True)
    return _without_survey(summary)


def _without_survey(summary: dict) -> dict:
    """A finished shard's summary as the driver keeps it: its survey (kept in done.json, for
    a resumed run to sum again) was summed already and grows with the shard's lines."""
    return {key: value for key, value in summary.items() if key != "survey"}


def _read_options(options: CleanOptions) -> ReadOptions:
    return ReadOptions(
        options.text_field,
        options.id_field,
        options.on_error,
        options.max_expansion,
        options.lang_field,
        options.max_record_bytes,
        options.html_field,
    )


# ---------------------------------------------------------------------------------------- work folder


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, read in blocks (the plan compares inputs by content)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _plan_record(
    files: list[InputFile], options: CleanOptions, config: str | None, rules: RuleSet, settings: RunSettings
) -> dict:
    """What a resumed run must share with the interrupted one (the shard plan follows from it):
    every input, rule and settings file by its content, not its size and time."""
    return {
        "dqkit": __version__,
        "layout": WORK_LAYOUT,
        "options": json.loads(json.dumps(asdict(options), default=str)),
        "config": [config, content_hash(Path(config))] if config else None,
        "rules": [[str(p), content_hash(p)] for p in rules.files],
        "inputs": [[str(f.path.resolve()), f.path.stat().st_size, content_hash(f.path)] for f in files],
        "shard_docs": settings.shard_docs,
    }


def _read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _what_changed(old: Any, new: dict) -> str:
    if not isinstance(old, dict):
        return "its plan.json is missing or unreadable"
    if old.get("layout") != new["layout"] or old.get("dqkit") != new["dqkit"]:
        return "it was made by another dqkit version"
    if old.get("inputs") != new["inputs"]:
        before = {entry[0]: entry for entry in old.get("inputs") or [] if isinstance(entry, list) and entry}
        changed = [entry[0] for entry in new["inputs"] if before.get(entry[0]) != entry]
        gone = sorted(set(before) - {entry[0] for entry in new["inputs"]})
        names = changed + gone
        return f"other inputs ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''} changed)"
    keys = [key for key in new if old.get(key) != new[key]]
    return f"other {', '.join(keys)}"


def _prepare_work(out: Path, record: dict, resume: bool, progress: Progress) -> Path:
    """The work folder (fresh, or kept for ``resume``), marked as this run's."""
    work = work_folder(out)
    plan_file = work / "plan.json"
    if work.exists():
        old = _read_json(plan_file)
        if resume and old != json.loads(json.dumps(record)):
            raise OptionsError(
                f"cannot resume: the interrupted run in {work} differs: {_what_changed(old, record)} "
                "(run without --resume to start again)"
            )
        if not resume:
            shutil.rmtree(work)
    elif resume:
        progress.stage("nothing to resume: starting from the beginning")
    work.mkdir(parents=True, exist_ok=True)
    write_json_atomic(plan_file, record)
    write_json_atomic(work / "owner.json", {"pid": os.getpid(), "host": socket.gethostname()})
    return work


# The files clean_shard writes into a shard folder before done.json (signatures with near dedup).
SHARD_FILES = (SURVIVORS, REJECTS, PROBLEMS, EDIT_FILE, HITS, DOCS, TEXT_AS_READ)
_SUMMARY_TYPES = {
    "shard": int,
    "documents": int,
    "problems": int,
    "files": list,
    "ids_generated": bool,
    "carried": dict,
    "renamed": dict,
    "recomputed": list,
    "sourced": int,
    "survey": dict,
    "survey_tables": list,
    "counters": dict,
    "seconds": dict,
    "memory": dict,
}


def _shard_problem(folder: Path, shard: Shard, options: CleanOptions) -> str | None:
    """Why the finished shard in ``folder`` cannot be reused, or None: done.json has the
    shape clean_shard writes, and every file it wrote is there and reads whole."""
    summary = _read_json(folder / DONE)
    if not isinstance(summary, dict):
        return f"{DONE} is unreadable"
    wrong = [k for k, kind in _SUMMARY_TYPES.items() if not isinstance(summary.get(k), kind)]
    if wrong or summary["shard"] != shard.index:
        return f"{DONE} has the wrong shape ({', '.join(wrong) or 'shard'})"
    if not all(isinstance(f, dict) and {"name", "documents", "unreadable"} <= f.keys() for f in summary["files"]):
        return f"{DONE} has the wrong shape (files)"
    expected = {DOCS: summary["documents"], TEXT_AS_READ: summary["documents"], PROBLEMS: summary["problems"]}
    if summary["carried"]:  # the input's own columns were set aside
        expected[CARRIED_FILE] = summary["documents"]
    rows: dict[str, int] = {}
    tables = [survey_table_file(name) for name in summary["survey_tables"] if isinstance(name, str)]
    for name in (*SHARD_FILES, *([CARRIED_FILE] if summary["carried"] else []), *tables):
        try:
            rows[name] = pl.read_parquet(folder / name).height
        except Exception as exc:  # missing, truncated, garbled: polars raises several kinds
            return f"{name} does not read ({type(exc).__name__})"
        if name in expected and rows[name] != expected[name]:
            return f"{name} holds {rows[name]} rows where {DONE} says {expected[name]}"
    if options.dedup == "near":
        try:
            matrix = np.load(folder / SIGNATURES, mmap_mode="r")
        except Exception as exc:  # numpy raises several kinds for a missing or broken file
            return f"{SIGNATURES} does not read ({type(exc).__name__})"
        if matrix.dtype != np.uint32 or matrix.shape != (rows[SURVIVORS], options.near.num_perm):
            return f"{SIGNATURES} has the wrong shape {matrix.shape}"
        try:
            keys = np.load(folder / BAND_KEYS, mmap_mode="r")
        except Exception as exc:  # as for the signatures
            return f"{BAND_KEYS} does not read ({type(exc).__name__})"
        if keys.dtype != np.uint64 or keys.shape != (lsh_bands(options.near)[0], rows[SURVIVORS]):
            return f"{BAND_KEYS} has the wrong shape {keys.shape}"
    return None


def _check_shards(work: Path, plan: list[Shard], options: CleanOptions, progress: Progress) -> int:
    """Before a resumed run: keep every finished shard that checks out, remove the others
    (said so on stderr) so that they are cleaned again; return how many are kept."""
    kept = 0
    for shard in plan:
        folder = work / "shards" / shard.name
        if not folder.exists():
            continue
        if not (folder / DONE).exists():  # cut short: cleaned again from the start
            shutil.rmtree(folder)
            continue
        problem = _shard_problem(folder, shard, options)
        if problem is None:
            kept += 1
        else:
            shutil.rmtree(folder)
            progress.note(f"shard {shard.index} of the interrupted run is broken ({problem}): cleaning it again")
    progress.stage(f"resuming: {kept} of {len(plan)} shard(s) already done")
    return kept


def survey_table_file(name: str) -> str:
    """The file of a shard folder that holds its survey table ``name``."""
    return f"survey-{name}.parquet"


def _survey_tables(work: Path, plan: list[Shard], surveys: list[dict]) -> dict[str, pl.LazyFrame]:
    """Each survey table of every shard that made one, as one frame to scan."""
    files: dict[str, list[Path]] = {}
    for shard, summary in zip(plan, surveys, strict=True):
        for name in summary["survey_tables"]:
            files.setdefault(name, []).append(work / "shards" / shard.name / survey_table_file(name))
    return {name: pl.scan_parquet(paths) for name, paths in files.items()}


def _shards_done(work: Path, plan: list[Shard]) -> int:
    return sum((work / "shards" / shard.name / DONE).exists() for shard in plan)


# ---------------------------------------------------------------------------------------- the driver


def _scan(work: Path, plan: list[Shard], name: str) -> list[Path]:
    return [work / "shards" / shard.name / name for shard in plan]


def _cross_shard_duplicate_ids(paths: list[Path], on_error: str) -> pl.DataFrame:
    """``_doc, id, _origin, first_origin`` of documents whose id an earlier shard already
    used (each shard has checked its own ids while reading; ``paths``: their docs files in
    shard order). Found by a hash of each id first, so that only the documents whose hash
    repeats are read whole: 16 bytes a document, not its id and origin."""
    hashed = pl.concat(
        [pl.scan_parquet(path).select(DOC, pl.col("id").hash().alias("_hash")).collect() for path in paths]
    )
    suspects = hashed.filter(pl.col("_hash").is_duplicated())[DOC].implode()
    docs_in = pl.concat(
        [
            pl.scan_parquet(path).select(DOC, "id", ORIGIN).filter(pl.col(DOC).is_in(suspects)).collect()
            for path in paths
        ]
    )
    repeated = pl.int_range(pl.len()).over("id") > 0
    firsts = docs_in.group_by("id", maintain_order=True).agg(pl.col(ORIGIN).first().alias("first_origin"))
    dups = docs_in.filter(repeated).join(firsts, on="id", how="left", maintain_order="left")
    if not dups.is_empty() and on_error == "stop":
        row = dups.row(0, named=True)
        raise problem_error(row[ORIGIN], duplicate_id_detail(row["id"], row["first_origin"]))
    return dups.select(DOC, "id", ORIGIN, "first_origin")


def _deduplicate(
    work: Path,
    plan: list[Shard],
    options: CleanOptions,
    dropped: pl.Series,
    index: Index | None,
    engine: Any,
    facts: dict,
) -> tuple[pl.DataFrame, tuple | None]:
    """Duplicates across the whole corpus (and the index): ``id, dup_of, similarity, dup_batch``,
    and what the index must store. Near-dedup notes its tasks, candidates, edges and the
    seconds of its steps in ``facts`` (timings.json ``near_dedup``)."""
    if options.dedup == "exact":
        columns = [DOC, "id", KEY]
        parts = [pl.read_parquet(path, columns=columns) for path in _scan(work, plan, SURVIVORS)]
        docs = pl.concat(parts).filter(~pl.col(DOC).is_in(dropped.implode())) if parts else pl.DataFrame()
        found = find_exact_duplicates(docs).with_columns(pl.lit(1.0).alias("similarity"))
        return found.with_columns(
            pl.lit(None, dtype=SCHEMA[c]).alias(c) for c in SCHEMA if c not in found.columns
        ), None
    if options.dedup != "near":
        return pl.DataFrame(schema=SCHEMA), None
    shards = _shard_sources(work, plan, dropped)
    store = _signature_store(work, shards, index, options)
    total = sum(source.size for source in shards)
    bands, _ = lsh_bands(options.near)
    tasks = max(1, min(bands, engine.workers, -(-total // DOCS_PER_DEDUP_TASK)))
    buckets = 1 << max(0, -(-total // DOCS_PER_BUCKET) - 1).bit_length()  # a power of two
    groups = [
        BandGroup(
            store,
            tuple(range(k, bands, tasks)),
            options.near.threshold,
            total,
            str(work / f"edges-{k}-{b}.npy"),
            b,
            buckets,
        )
        for k in range(tasks)
        for b in range(buckets)
    ]
    clock = time.perf_counter()
    counts = engine.map_tasks(band_group_task, groups)
    edges = np.concatenate([np.load(group.out) for group in groups if group.out is not None])
    facts.update(
        tasks=len(groups), buckets=buckets, **{key: sum(c[key] for c in counts) for key in ("candidates", "edges")}
    )
    elsewhere = [c["peak_rss_mb"] for c in counts if c["pid"] != os.getpid()]
    facts["largest_task_peak_rss_mb"] = max(elsewhere, default=0.0)
    facts["seconds"] = {"edges": round(time.perf_counter() - clock, 4)}
    clock = time.perf_counter()
    found = cluster_duplicates(functools.partial(_rankings, store), total, edges, store, options.near, index)
    facts["seconds"]["clusters"] = round(time.perf_counter() - clock, 4)
    if index is None:
        return found, None
    ids = _rankings(store, np.arange(total))["id"]  # what the index stores of this batch
    pointers = dict(found.select("id", "dup_of").iter_rows())
    return found, (ids.to_list(), [pointers.get(i) for i in ids], store.signatures(np.arange(total)))


def _shard_sources(work: Path, plan: list[Shard], dropped: pl.Series) -> list[Source]:
    """Each shard's signature and band-key files as a block of consecutive document numbers,
    less the documents dropped for an id an earlier shard used (their ``_doc`` column read alone)."""
    sources, start = [], 0
    for shard in plan:
        folder = work / "shards" / shard.name
        doc = pl.read_parquet(folder / SURVIVORS, columns=[DOC])[DOC]
        mask = ~doc.is_in(dropped.implode())
        rows = None if mask.all() else np.flatnonzero(mask.to_numpy())
        sources.append(Source(str(folder / SIGNATURES), str(folder / BAND_KEYS), start, rows))
        start += doc.len() if rows is None else len(rows)
    return sources


def _rankings(store: Store, numbers: np.ndarray) -> pl.DataFrame:
    """``node, id, _order, _quality, _length`` of the documents ``numbers`` (ascending),
    read from the survivors beside their signatures: the keep policy needs them of
    clustered documents only."""
    schema = {"node": pl.Int64, "id": pl.String, ORDER: pl.Int64, QUALITY: pl.Float64, LENGTH: pl.UInt32}
    found = [pl.DataFrame(schema=schema)]
    for source, chosen, local in store.locate(numbers):
        rows = pl.Series(source.file_rows(local), dtype=pl.UInt32)
        survivors = pl.scan_parquet(Path(str(source.signatures)).parent / SURVIVORS).with_row_index("_row")
        ranked = survivors.filter(pl.col("_row").is_in(rows.implode())).select(
            "id", pl.col(DOC).alias(ORDER), QUALITY, LENGTH
        )
        found.append(
            ranked.collect().with_columns(node=pl.Series(numbers[chosen], dtype=pl.Int64)).select(list(schema))
        )
    return pl.concat(found, how="vertical_relaxed")


# Documents per band-group task: below this, starting a process for a task costs more than it saves.
DOCS_PER_DEDUP_TASK = 250_000
# Documents per bucket of a band: a band-group task holds about 90 bytes for each of them
# while it sorts a band (bench_dedup_scale, 10M in 8 buckets: 210 MiB), so 2M keep a task
# under 200 MB above its imports.
DOCS_PER_BUCKET = 2_000_000


def _signature_store(work: Path, shards: list[Source], index: Index | None, options: CleanOptions) -> Store:
    """The shards' blocks, then the index's, written into the work folder so that every
    task can read it."""
    signatures, keys = work / "index-signatures.npy", work / "index-band-keys.npy"
    earlier = []
    for source in index_source(index, options.near, sum(shard.size for shard in shards)):
        np.save(signatures, source.signatures)
        np.save(keys, source.keys)
        earlier.append(replace(source, signatures=str(signatures), keys=str(keys)))
    return Store((*shards, *earlier))


@dataclass(frozen=True)
class _Run:
    """What the driver settled before the shards run."""

    files: list[InputFile]
    skipped: list
    config: str | None
    rules: RuleSet
    rules_key: tuple


def _prepare_run(
    inputs: list[str], out: Path, options: CleanOptions, stack: contextlib.ExitStack, progress: Progress
) -> _Run:
    """Inputs found and their fields checked, output folder checked and locked, rules
    loaded: every mistake stops the run here, before any work."""
    discovery = discover(inputs)
    passed_over = discovery.skipped_from_globs
    if passed_over:
        listed = ", ".join(passed_over[:3]) + (" ..." if len(passed_over) > 3 else "")
        progress.warn(f"{len(passed_over)} file(s) a glob matched are not a type dqkit reads, skipped: {listed}")
    if not discovery.files:
        raise DqkitError(f"empty corpus: no .txt, .jsonl, .parquet, .html or .warc files in {', '.join(inputs)}")
    _require_extras(discovery.files, options)
    check_fields(discovery.files, _read_options(options), progress.warn)
    check_output_dir(out, [Path(i) for i in inputs if Path(i).exists()] + [f.path for f in discovery.files])
    if options.output_format not in (None, "jsonl", "parquet"):
        raise OptionsError(f"unknown output format {options.output_format!r}")
    stack.enter_context(output_lock(out))  # before the work folder is touched: one run per OUT
    sweep_leftovers(out)
    check_output_empty(out, options.overwrite)
    found = Path(options.config) if options.config else find_config(Path.cwd())
    config = str(found.resolve()) if found else None
    rules = _load_rules(options, config)
    rules_key = _rules_key(options, config, rules)
    _RULES.clear()
    _RULES[rules_key] = rules
    return _Run(discovery.files, discovery.skipped, config, rules, rules_key)


def _require_extras(files: list[InputFile], options: CleanOptions) -> None:
    """Stop before any work when the input needs a package of ``dqkit[web]`` that is missing."""
    web = sorted((f for f in files if f.format in WEB_FORMATS), key=lambda f: f.format != "warc")
    if web:
        needs = ("trafilatura", "warcio") if web[0].format == "warc" else ("trafilatura",)
        require_web(f"reading {web[0].path}", needs)
    elif options.html_field:
        require_web("--html-field")


def run_clean(
    inputs: list[str],
    out: Path,
    options: CleanOptions,
    progress: Progress,
    settings: RunSettings | None = None,
    stages: Sequence[Stage] | None = None,
) -> dict:
    """The whole ``dqkit clean`` run; returns report.json's content. ``stages`` replaces the
    default stages (a test's extra stage must be importable by the workers)."""
    started = time.perf_counter()
    settings = settings or RunSettings()
    out = Path(os.path.abspath(out))  # "." and ".." spelled out: OUT needs a name and a parent
    made = [p for p in out.parents if not p.exists()]  # folders the lock makes, removed if nothing is kept
    try:
        with contextlib.ExitStack() as stack:
            run = _prepare_run(inputs, out, options, stack, progress)
            index = None
            if options.index and options.dedup == "near":  # taken first: a second writer fails at once
                stack.enter_context(index_lock(Path(options.index)))
                index = open_index(Path(options.index), _index_params(options), _batch_name(options, out))
            record = _plan_record(run.files, options, run.config, run.rules, settings)
            work = _prepare_work(out, record, settings.resume, progress)
            plan: list[Shard] | None = None
            try:
                progress.stage(f"planning shards of {len(run.files)} file(s)")
                plan = plan_shards(run.files, settings.shard_docs, work / "input", options.max_expansion)
                reused = _check_shards(work, plan, options, progress) if settings.resume else 0
                engine = stack.enter_context(open_engine(settings))
                report = _clean(
                    out, work, plan, run, options, settings, stages, engine, index, progress, reused, started
                )
            except Interrupted as exc:
                progress.end_line()
                exc.shards = (_shards_done(work, plan), len(plan)) if plan is not None else None
                raise
            except DqkitError as exc:
                if not exc.resumable:  # bad input, rules or options: running again cannot help
                    shutil.rmtree(work, ignore_errors=True)
                raise
            shutil.rmtree(work, ignore_errors=True)
            return report
    except DqkitError as exc:
        if not exc.resumable:
            for folder in made:  # deepest first; only what is still empty
                with contextlib.suppress(OSError):
                    folder.rmdir()
        raise


def _clean(
    out: Path,
    work: Path,
    plan: list[Shard],
    run: _Run,
    options: CleanOptions,
    settings: RunSettings,
    stages: Sequence[Stage] | None,
    engine: Any,
    index: Index | None,
    progress: Progress,
    reused: int,
    started: float,
) -> dict:
    """The shards cleaned, duplicates found across them, the outputs written and the index
    updated; returns report.json's content."""
    total = sum(s.documents for s in plan)
    progress.stage(f"surveying ~{total:,} documents in {len(plan)} shard(s), {settings.workers} worker(s)")
    clock = time.perf_counter()
    context = ShardContext(
        replace(options, overwrite=False),
        run.config,
        str(work),
        run.rules_key,
        tuple(stages) if stages is not None else default_stages(),
    )
    surveys = engine.map_shards(survey_shard, plan, context, progress)
    survey: dict = {}
    for part in surveys:
        merge_survey(survey, part.pop("survey"))  # summed, not kept shard by shard
    facts = corpus_facts(survey, _survey_tables(work, plan, surveys))
    del survey
    if options.source_field and not any(part["sourced"] for part in surveys):
        progress.warn(f"no document has a --source-field {options.source_field!r} value: sources are the input files")
    progress.stage("cleaning with the corpus's languages known")
    summaries = engine.map_shards(clean_shard, plan, replace(context, corpus=facts), progress)
    engine.close()  # the workers are done: their memory is the driver's again for dedup and writing
    seconds = {"shards_wall": time.perf_counter() - clock}

    clock = time.perf_counter()
    if not any(s["documents"] or s["problems"] for s in summaries):
        raise DqkitError(f"empty corpus: the input files hold no documents ({len(run.files)} file(s) read)")
    dropped = _cross_shard_duplicate_ids(_scan(work, plan, DOCS), options.on_error)
    progress.stage("duplicates across the corpus")
    dedup_facts: dict = {}
    duplicates, accepted = _deduplicate(work, plan, options, dropped[DOC], index, engine, dedup_facts)
    seconds["dedup"] = time.perf_counter() - clock

    clock = time.perf_counter()
    report = _write_outputs(
        out,
        work,
        plan,
        summaries,
        run,
        options,
        duplicates,
        dropped,
        progress,
        lambda documents: _timings(documents, summaries, plan, reused, settings, seconds, dedup_facts, clock, started),
    )
    if index is not None and accepted is not None:
        progress.stage(f"adding {len(accepted[0])} documents to the index {index.folder}")
        save_index(index, _batch_name(options, out), *accepted)
    return report


def _write_outputs(
    out: Path,
    work: Path,
    plan: list[Shard],
    summaries: list[dict],
    run: _Run,
    options: CleanOptions,
    duplicates: pl.DataFrame,
    dropped: pl.DataFrame,
    progress: Progress,
    timings: Callable[[int], dict],
) -> dict:
    """Finish every shard, build the report, write OUT in a staging folder and swap it in."""
    fmt = options.output_format or ("parquet" if all(f.format == "parquet" for f in run.files) else "jsonl")
    carried = plan_carried([s["carried"] for s in summaries])
    columns = _column_notes(summaries, carried, progress)
    progress.stage(f"assembling {len(plan)} shard(s)")
    light = []
    for k, (shard, summary) in enumerate(zip(plan, summaries, strict=True)):
        folder = work / "shards" / shard.name
        with disk_errors(folder):
            light.append(finish_shard(folder, carried, summary["carried"], fmt == "jsonl", duplicates, dropped))
        progress.advance(k + 1, len(plan))
    parts = combine([part["report"] for part in light])
    report = build_report(
        version=__version__,
        options=recorded_options(options),
        output_format=fmt,
        files=_merge_file_summaries(summaries),
        ids_generated=any(s["ids_generated"] for s in summaries),
        problems=sum(p["problems"] for p in light),
        input_paths=[f.path for f in run.files],
        skipped=run.skipped,
        rules=run.rules,
        stage_counters=_sum_counters(summaries),
        columns=columns,
        parts=parts,
    )
    if report["language_id"].get("warning"):
        progress.warn(report["language_id"]["warning"])
    for entry in report["inputs"]["files"]:
        if entry.get("passed_over"):
            kinds = ", ".join(f"{kind} {n}" for kind, n in entry["passed_over"].items())
            progress.note(
                f"{entry['name']}: {sum(entry['passed_over'].values())} WARC record(s) that are not "
                f"HTML pages passed over ({kinds})"
            )
    progress.stage(f"writing {out}")
    staged = StagedOutput(out)
    try:
        concat_parts(_scan(work, plan, FINAL_CLEAN), staged.path(f"clean.{fmt}"))
        concat_parts(
            _scan(work, plan, FINAL_REJECTS) + _scan(work, plan, FINAL_PROBLEMS),
            staged.path(f"rejects.{fmt}"),
            [*REJECT_COLUMNS, *carried.names],
        )
        concat_parts(_scan(work, plan, FINAL_EDITS), staged.path("edits.parquet"))
        staged.write_json("report.json", report)
        staged.write_text("report.md", render_markdown(report))
        top = [document["id"] for document in report["mt"]["top_documents"]]
        spans, texts = mt_examples(staged.path("edits.parquet"), _scan(work, plan, FINAL_CLEAN), top)
        examples = html_examples(_scan(work, plan, FINAL_EDITS))
        copies = texts_by_id(_scan(work, plan, SURVIVORS), review_ids(report), dropped[DOC])
        page = render_html(report, examples, mt_spans=spans, mt_texts=texts, duplicate_texts=copies)
        staged.write_text("report.html", page)
        staged.write_json("timings.json", timings(report["documents"]["in"]))
        staged.commit()
    except BaseException:
        staged.abort()
        raise
    return report


def _timings(
    documents: int,
    summaries: list[dict],
    plan: list[Shard],
    reused: int,
    settings: RunSettings,
    seconds: dict,
    dedup_facts: dict,
    assembly_started: float,
    started: float,
) -> dict:
    """timings.json (apart from report.json, so that the rest stays byte-identical)."""
    stage_totals: dict[str, float] = {}
    for summary in summaries:
        for stage, spent in summary["seconds"].items():
            stage_totals[stage] = round(stage_totals.get(stage, 0.0) + spent, 4)
    elapsed = time.perf_counter() - started
    return {
        "documents": documents,
        "shards": len(plan),
        "shards_reused": reused,
        "workers": settings.workers,
        "engine": settings.engine,
        "seconds": {
            **{k: round(v, 4) for k, v in seconds.items()},
            "assemble_and_write": round(time.perf_counter() - assembly_started, 4),
            "total": round(elapsed, 4),
        },
        "shard_stage_seconds_summed": stage_totals,
        **({"near_dedup": dedup_facts} if dedup_facts else {}),
        "documents_per_second": round(documents / max(elapsed, 1e-9), 1),
        "peak_rss_mb": _peak_rss_mb(summaries, dedup_facts),
    }


def _column_notes(summaries: list[dict], carried: CarriedPlan, progress: Progress) -> dict:
    """What happened to the input's column names and types (report.json ``inputs.columns``),
    each also said once on stderr."""
    renamed = {old: new for s in summaries for old, new in s["renamed"].items()}
    recomputed = list(dict.fromkeys(c for s in summaries for c in s["recomputed"]))
    notes: dict[str, Any] = {}
    if renamed:
        notes["renamed"] = dict(sorted(renamed.items()))
        pairs = ", ".join(f"{old!r} as {new!r}" for old, new in sorted(renamed.items()))
        progress.warn(f"input columns named like columns dqkit writes are carried as {pairs}")
    if recomputed:
        notes["recomputed"] = sorted(recomputed)
        progress.warn(f"dqkit's own columns in the input were computed afresh: {', '.join(sorted(recomputed))}")
    if carried.as_json:
        notes["as_json_text"] = sorted(carried.as_json)
        progress.warn(
            "input columns whose values no single type holds (mixed types, NaN, big integers, ...) are "
            f"carried as JSON text: {', '.join(map(repr, sorted(carried.as_json)))}"
        )
    return notes


def _sum_counters(summaries: list[dict]) -> dict[str, dict[str, int]]:
    """Each stage's counters summed over the shards."""
    total: dict[str, dict[str, int]] = {}
    for summary in summaries:
        for stage, counters in summary.get("counters", {}).items():
            own = total.setdefault(stage, {})
            for name, n in counters.items():
                own[name] = own.get(name, 0) + n
    return total


def _peak_rss_mb(summaries: list[dict], dedup_facts: dict) -> dict:
    """Peak resident memory of this process, of the largest worker process that cleaned a
    shard and of the largest near-dedup task run in another process (0 when none), each as
    the process measured itself (:mod:`dqkit.peak_memory`)."""
    here = os.getpid()
    workers = [s["memory"]["peak_rss_mb"] for s in summaries if s["memory"]["pid"] != here]
    return {
        "driver": own_peak_rss_mb(),
        "largest_worker": max(workers, default=0.0),
        "largest_dedup_task": dedup_facts.pop("largest_task_peak_rss_mb", 0.0),
    }


def _merge_file_summaries(summaries: list[dict]) -> list[dict]:
    """One entry per input file (a file split into several shards is summed)."""
    merged: dict[str, dict] = {}
    for summary in summaries:
        for entry in summary["files"]:
            if entry["name"] not in merged:
                merged[entry["name"]] = copy.deepcopy(entry)  # its nested counts are added to below
                continue
            total = merged[entry["name"]]
            total["documents"] += entry["documents"]
            total["unreadable"] += entry["unreadable"]
            for kind, n in entry.get("passed_over", {}).items():
                total["passed_over"][kind] = total["passed_over"].get(kind, 0) + n
    for entry in merged.values():
        if "passed_over" in entry:
            entry["passed_over"] = dict(sorted(entry["passed_over"].items()))
    return list(merged.values())


def _batch_name(options: CleanOptions, out: Path) -> str:
    return options.batch or out.resolve().name


def _index_params(options: CleanOptions) -> dict:
    return {**options.near.scheme.as_dict(), "threshold": options.near.threshold}
