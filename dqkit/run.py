"""The ``dqkit clean`` run: plan shards, clean each shard in a worker, deduplicate across
shards, assemble the outputs and the report, and swap OUT in.

:func:`clean_shard` is the unit of work: it reads one shard from disk, runs
:func:`dqkit.pipeline.clean_documents` on it, computes the dedup signatures of the
survivors, and writes everything into the shard's folder of the *work folder*
(``.OUT.work`` next to OUT), ``done.json`` last. The local engine and the Ray engine both
call it (:mod:`dqkit.engines`). The driver then reads only what it needs from the shard
folders: ids, lengths and signatures for dedup; one shard at a time for the outputs.

An interrupted run leaves the work folder; ``--resume`` reuses every shard that has its
``done.json`` when the inputs, rules and options are the same (``plan.json``), and gives
the same outputs as an uninterrupted run. A finished run removes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from dqkit import __version__
from dqkit.dedup.exact import find_exact_duplicates, key_hashes
from dqkit.dedup.index import IndexLock, open_index, save_index
from dqkit.dedup.near import find_near_duplicates
from dqkit.dedup.signatures import signatures
from dqkit.engines import open_engine
from dqkit.errors import DqkitError, InputError, OptionsError
from dqkit.io.output import StagedOutput, check_output_dir
from dqkit.io.readers import ReadOptions
from dqkit.io.shards import DEFAULT_SHARD_DOCS, Shard, plan_shards, read_shard
from dqkit.io.sources import discover
from dqkit.pipeline import (
    COUNT_COLUMNS,
    INTERNAL,
    SIGNAL_COLUMNS,
    CleanOptions,
    clean_documents,
    mark_rejected,
)
from dqkit.progress import Progress
from dqkit.report.html import render_html
from dqkit.report.markdown import render_markdown
from dqkit.report.summary import build_report
from dqkit.rules.config import find_config, load_config
from dqkit.rules.loading import RuleSet, load_rules

HTML_EXAMPLES = 20


@dataclass(frozen=True)
class RunSettings:
    """How a run is carried out (not what it computes: outputs do not depend on these)."""

    workers: int = 1
    engine: str = "local"  # local | ray
    ray_address: str | None = None
    resume: bool = False
    shard_docs: int = DEFAULT_SHARD_DOCS


@dataclass(frozen=True)
class ShardContext:
    """What every shard needs, small and picklable: a worker loads the rules itself."""

    options: CleanOptions
    config: str | None
    work: str
    rules_key: tuple = ()  # the rule files with their sizes and times, as the driver loaded them


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


def _write_atomic_json(path: Path, data) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


def clean_shard(shard: Shard, context: ShardContext) -> dict:
    """Clean one shard into ``WORK/shards/<k>/``; return its summary (also ``done.json``)."""
    folder = Path(context.work) / "shards" / shard.name
    done = folder / "done.json"
    if done.exists():
        return json.loads(done.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    options = context.options
    rules = _shard_rules(context)
    started = time.perf_counter()
    corpus = read_shard(
        shard, ReadOptions(options.text_field, options.id_field, options.on_error, options.max_expansion)
    )
    read_seconds = time.perf_counter() - started
    docs = corpus.documents
    if options.lang_field != "lang" and "lang" in docs.columns:
        raise OptionsError("the input has a column 'lang' besides --lang-field; dqkit writes its own 'lang'")
    carried = [c for c in docs.columns if c not in ("id", "text", "lang", *INTERNAL, *COUNT_COLUMNS, *SIGNAL_COLUMNS)]
    result = clean_documents(docs, rules, options, Progress(enabled=False))

    clock = time.perf_counter()
    survivors = result.clean.join(
        docs.select("_doc", pl.col("text").alias("_original_text")), on="_doc", how="left", maintain_order="left"
    )
    if options.dedup == "near":
        matrix, _ = signatures(survivors["text"], options.near.scheme)
        np.save(folder / "signatures.npy", matrix)
    elif options.dedup == "exact":
        survivors = survivors.with_columns(key_hashes(survivors["text"]))
    signature_seconds = time.perf_counter() - clock

    survivors.write_parquet(folder / "survivors.parquet")
    result.rejects.write_parquet(folder / "rejects.parquet")
    corpus.problems.write_parquet(folder / "problems.parquet")
    result.edits.write_parquet(folder / "edits.parquet")
    result.hits.write_parquet(folder / "hits.parquet")
    docs.select(
        "_doc", "id", "_origin", "_bytes_replaced", pl.col("text").str.len_chars().alias("_chars")
    ).write_parquet(folder / "docs.parquet")
    summary = {
        "shard": shard.index,
        "documents": docs.height,
        "problems": corpus.problems.height,
        "files": corpus.files,
        "ids_generated": corpus.ids_generated,
        "carried": carried,
        "seconds": {"read": round(read_seconds, 4), **result.timings, "signatures": round(signature_seconds, 4)},
    }
    _write_atomic_json(done, summary)  # last: the shard is complete
    return summary


# ---------------------------------------------------------------------------------------- work folder


def _plan_record(files, options: CleanOptions, config: str | None, rules: RuleSet, settings: RunSettings) -> dict:
    """What a resumed run must share with the interrupted one (the shard plan follows from it)."""
    inputs = [[str(f.path.resolve()), f.path.stat().st_size, f.path.stat().st_mtime_ns] for f in files]
    return {
        "dqkit": __version__,
        "options": json.loads(json.dumps(asdict(options), default=str)),
        "config": config,
        "rules": [[str(p), p.stat().st_mtime_ns] for p in rules.files],
        "inputs": inputs,
        "shard_docs": settings.shard_docs,
    }


def _prepare_work(out: Path, record: dict, resume: bool, progress: Progress) -> tuple[Path, int]:
    """The work folder (fresh, or kept for ``resume``) and how many shards it already holds."""
    work = out.parent / f".{out.name}.work"
    finished = 0
    plan_file = work / "plan.json"
    if work.exists():
        same = plan_file.exists() and json.loads(plan_file.read_text(encoding="utf-8")) == json.loads(
            json.dumps(record)
        )
        if resume and not same:
            raise OptionsError(
                f"cannot resume: the interrupted run in {work} had other inputs, rules or options "
                "(run without --resume to start again)"
            )
        if not resume:
            shutil.rmtree(work)
        else:
            finished = len(list(work.glob("shards/*/done.json")))
            progress.stage(f"resuming: {finished} shard(s) already done")
    elif resume:
        progress.stage("nothing to resume: starting from the beginning")
    work.mkdir(parents=True, exist_ok=True)
    _write_atomic_json(plan_file, record)
    return work, finished


# ---------------------------------------------------------------------------------------- the driver


def _scan(work: Path, plan: list[Shard], name: str) -> list[Path]:
    return [work / "shards" / shard.name / name for shard in plan]


def _cross_shard_duplicate_ids(docs_in: pl.DataFrame, on_error: str) -> pl.DataFrame:
    """``_doc, first_origin`` of documents whose id an earlier shard already used (each shard
    has checked its own ids while reading)."""
    repeated = pl.int_range(pl.len()).over("id") > 0
    firsts = docs_in.group_by("id", maintain_order=True).agg(pl.col("_origin").first().alias("first_origin"))
    dups = docs_in.filter(repeated).join(firsts, on="id", how="left", maintain_order="left")
    if not dups.is_empty() and on_error == "stop":
        row = dups.row(0, named=True)
        raise InputError(
            f"{row['_origin']}: id {row['id']!r} was already used at {row['first_origin']} "
            "(use --on-error skip to reject such records and go on)"
        )
    return dups.select("_doc", "id", "_origin", "first_origin")


def _deduplicate(work: Path, plan: list[Shard], options: CleanOptions, dropped: pl.Series, index, engine):
    """Duplicates across the whole corpus (and the index): ``id, dup_of, similarity, dup_batch``,
    and what the index must store."""
    schema = {"id": pl.String, "dup_of": pl.String, "similarity": pl.Float64, "dup_batch": pl.String}
    columns = ["_doc", "id", "_quality", "_length"] + (["_key"] if options.dedup == "exact" else [])
    parts = [pl.read_parquet(path, columns=columns) for path in _scan(work, plan, "survivors.parquet")]
    keep = [~part["_doc"].is_in(dropped.implode()) for part in parts]
    docs = pl.concat([part.filter(mask) for part, mask in zip(parts, keep)]) if parts else pl.DataFrame()
    if options.dedup == "exact":
        found = find_exact_duplicates(docs).with_columns(
            pl.lit(1.0).alias("similarity"), pl.lit(None, dtype=pl.String).alias("dup_batch")
        )
        return found, None
    if options.dedup != "near":
        return pl.DataFrame(schema=schema), None
    # One matrix, filled shard by shard: the signatures are the largest thing the driver holds.
    matrix = np.empty((docs.height, options.near.num_perm), np.uint32)
    row = 0
    for path, mask in zip(_scan(work, plan, "signatures.npy"), keep):
        block = np.load(path, mmap_mode="r")[mask.to_numpy()]
        matrix[row : row + len(block)] = block
        row += len(block)
    ranking = docs.select("id", pl.col("_doc").alias("_order"), "_quality", "_length")
    found = find_near_duplicates(ranking, matrix, options.near, index, candidates=engine.candidate_pairs)
    if index is None:
        return found, None
    pointers = dict(found.select("id", "dup_of").iter_rows())
    return found, (ranking["id"].to_list(), [pointers.get(i) for i in ranking["id"]], matrix)


def _edit_counts(edits: pl.DataFrame) -> pl.DataFrame:
    return edits.group_by("_doc").agg(
        (pl.col("kind") == "line_removed").sum().alias("dq_lines_removed"),
        pl.col("kind")
        .is_in(["line_removed", "line_flagged", "join_flagged", "blank_line_folded"])
        .not_()
        .sum()
        .alias("dq_edits"),
        pl.col("kind").is_in(["line_flagged", "join_flagged"]).sum().alias("dq_flags"),
    )


def _reject_columns(frame: pl.DataFrame, carried: list[str]) -> pl.DataFrame:
    frame = frame.with_columns(
        *(
            pl.lit(None, dtype=pl.String).alias(c)
            for c in ("dup_of", "dup_of_batch", "_origin", "text")
            if c not in frame.columns
        ),
        *(pl.lit(None, dtype=pl.Float64).alias(c) for c in ("similarity",) if c not in frame.columns),
        *(pl.lit(None).alias(c) for c in carried if c not in frame.columns),
    ).rename({"_origin": "origin"})
    return (
        frame.select(
            "_doc", "id", "reason", "detail", "dup_of", "dup_of_batch", "similarity", "origin", "text", *carried
        )
        if "_doc" in frame.columns
        else frame
    )


def _finish_shard(folder: Path, carried: list[str], duplicates: pl.DataFrame, dropped: pl.DataFrame) -> dict:
    """Split one shard's survivors into kept and duplicate, add per-document counts, order the
    columns, and write the shard's final parts; return the light frames the report needs."""
    survivors = pl.read_parquet(folder / "survivors.parquet")
    rejects = pl.read_parquet(folder / "rejects.parquet")
    edits = pl.read_parquet(folder / "edits.parquet")
    hits = pl.read_parquet(folder / "hits.parquet")
    problems = pl.read_parquet(folder / "problems.parquet")
    docs = pl.read_parquet(folder / "docs.parquet")

    gone = dropped.filter(pl.col("_doc").is_in(docs["_doc"].implode()))
    if not gone.is_empty():  # an id an earlier shard used: a read problem, as in one pass
        as_read = pl.concat(
            [survivors.select("_doc", pl.col("_original_text").alias("text"))]
            + ([rejects.select("_doc", "text")] if "text" in rejects.columns else [])
        )
        problems = pl.concat(
            [
                problems,
                gone.join(as_read, on="_doc", how="left", maintain_order="left").select(
                    "id",
                    pl.lit("duplicate_id").alias("reason"),
                    pl.format("id '{}' was already used at {}", pl.col("id"), pl.col("first_origin")).alias("detail"),
                    "text",
                    "_origin",
                ),
            ],
            how="diagonal_relaxed",
        )
        keep = ~pl.col("_doc").is_in(gone["_doc"].implode())
        survivors, rejects, edits, hits, docs = (f.filter(keep) for f in (survivors, rejects, edits, hits, docs))

    dup_docs = survivors.join(duplicates, on="id", how="inner", maintain_order="left")
    where = pl.when(pl.col("dup_batch").is_not_null()).then(pl.format(" (batch {})", pl.col("dup_batch")))
    reason = pl.when(pl.col("similarity") >= 1.0).then(pl.lit("exact_duplicate")).otherwise(pl.lit("near_duplicate"))
    dup_rejects = (
        mark_rejected(
            dup_docs,
            "near_duplicate",
            pl.format("Jaccard {} with {}{}", pl.col("similarity"), pl.col("dup_of"), where.otherwise(pl.lit(""))),
        )
        .with_columns(reason.alias("reason"))
        .rename({"dup_batch": "dup_of_batch"})
        .drop("text")
        .rename({"_original_text": "text"})
    )
    kept = survivors.join(duplicates, on="id", how="anti", maintain_order="left")

    clean = (
        kept.drop(COUNT_COLUMNS, strict=False)
        .join(_edit_counts(edits), on="_doc", how="left", maintain_order="left")
        .with_columns(
            pl.col(*COUNT_COLUMNS).fill_null(0).cast(pl.Int64),
            *(pl.lit(None).alias(c) for c in carried if c not in kept.columns),
        )
        .sort("_doc")
    )
    clean.select("id", "text", "lang", *carried, *SIGNAL_COLUMNS, *COUNT_COLUMNS).write_parquet(
        folder / "final_clean.parquet"
    )
    all_rejects = _reject_columns(pl.concat([rejects, dup_rejects], how="diagonal_relaxed"), carried).sort(
        "_doc", maintain_order=True
    )
    all_rejects.drop("_doc").write_parquet(folder / "final_rejects.parquet")
    problem_rows = _reject_columns(problems, carried)
    problem_rows.select(
        "id", "reason", "detail", "dup_of", "dup_of_batch", "similarity", "origin", "text", *carried
    ).write_parquet(folder / "final_problems.parquet")
    ids = docs.select("_doc", pl.col("id").alias("doc_id"))
    (
        edits.join(ids, on="_doc", how="left", maintain_order="left")
        .sort("_doc", "line_no", "kind", nulls_last=False)
        .select("doc_id", "line_no", "kind", "rule_id", "before", "after")
        .write_parquet(folder / "final_edits.parquet")
    )
    return {
        "docs_in": docs.select("_doc", "id", "_chars", "_bytes_replaced"),
        "clean": clean.select(
            "_doc", "id", "lang", "mt_score", "mt_reasons", pl.col("text").str.len_chars().alias("_chars")
        ),
        "rejects": pl.concat(
            [all_rejects.select("id", "reason", "dup_of"), problem_rows.select("id", "reason", "dup_of")]
        ),
        "hits": hits,
        "edits": edits.join(ids, on="_doc", how="left", maintain_order="left").select(
            "_doc", "doc_id", "kind", "rule_id"
        ),
        "problems": problems.height,
    }


def _concat_parts(paths: list[Path], target: Path, columns: list[str] | None = None) -> None:
    """Concatenate part files (in order) into ``target`` (.parquet or .jsonl), streaming."""
    frame = pl.concat([pl.scan_parquet(p) for p in paths], how="diagonal_relaxed")
    if columns is not None:
        frame = frame.select(columns)
    if target.suffix == ".parquet":
        frame.sink_parquet(target, statistics=True)
    else:
        frame.sink_ndjson(target)


def _html_examples(edits_path: Path) -> pl.DataFrame:
    """The first edits of each (rule, kind), enough for report.html."""
    return (
        pl.scan_parquet(edits_path)
        .filter(pl.col("kind") != "blank_line_folded")
        .filter(pl.int_range(pl.len()).over("rule_id", "kind") < HTML_EXAMPLES)
        .collect()
    )


def run_clean(
    inputs: list[str], out: Path, options: CleanOptions, progress: Progress, settings: RunSettings = RunSettings()
) -> dict:
    """The whole ``dqkit clean`` run; returns report.json's content."""
    started = time.perf_counter()
    discovery = discover(inputs)
    if not discovery.files:
        raise DqkitError(f"empty corpus: no .txt, .jsonl or .parquet files in {', '.join(inputs)}")
    check_output_dir(
        out, [Path(i) for i in inputs if Path(i).exists()] + [f.path for f in discovery.files], options.overwrite
    )
    if options.output_format not in (None, "jsonl", "parquet"):
        raise OptionsError(f"unknown output format {options.output_format!r}")
    found = Path(options.config) if options.config else find_config(Path.cwd())
    config = str(found.resolve()) if found else None
    rules = _load_rules(options, config)  # here first: a broken rule file stops the run before any work
    rules_key = _rules_key(options, config, rules)
    _RULES.clear()
    _RULES[rules_key] = rules

    with contextlib.ExitStack() as stack:
        index = None
        if options.index and options.dedup == "near":  # taken first: a second writer fails at once
            stack.enter_context(IndexLock(Path(options.index)))
            index = open_index(Path(options.index), _index_params(options), _batch_name(options, out))
        work, reused = _prepare_work(
            out, _plan_record(discovery.files, options, config, rules, settings), settings.resume, progress
        )
        progress.stage(f"planning shards of {len(discovery.files)} file(s)")
        plan = plan_shards(discovery.files, settings.shard_docs, work / "input", options.max_expansion)
        total = sum(s.documents for s in plan)
        progress.stage(f"cleaning ~{total:,} documents in {len(plan)} shard(s), {settings.workers} worker(s)")
        shard_start = time.perf_counter()
        context = ShardContext(replace(options, overwrite=False), config, str(work), rules_key)
        engine = stack.enter_context(open_engine(settings))
        summaries = engine.map_shards(clean_shard, plan, context, progress)
        shard_seconds = time.perf_counter() - shard_start

        clock = time.perf_counter()
        docs_in = pl.concat(
            [pl.read_parquet(p, columns=["_doc", "id", "_origin"]) for p in _scan(work, plan, "docs.parquet")]
        )
        if docs_in.is_empty() and not any(s["problems"] for s in summaries):
            raise DqkitError(f"empty corpus: the input files hold no documents ({len(discovery.files)} file(s) read)")
        dropped = _cross_shard_duplicate_ids(docs_in, options.on_error)
        del docs_in  # ids and origins of every document: not needed any more
        progress.stage("duplicates across the corpus")
        duplicates, accepted = _deduplicate(work, plan, options, dropped["_doc"], index, engine)
        dedup_seconds = time.perf_counter() - clock

        clock = time.perf_counter()
        carried = list(dict.fromkeys(c for s in summaries for c in s["carried"]))
        progress.stage(f"assembling {len(plan)} shard(s)")
        light = []
        for k, shard in enumerate(plan):
            light.append(_finish_shard(work / "shards" / shard.name, carried, duplicates, dropped))
            progress.advance(k + 1, len(plan))
        frames = {
            key: pl.concat([part[key] for part in light], how="diagonal_relaxed")
            for key in ("docs_in", "clean", "rejects", "hits", "edits")
        }
        fmt = options.output_format or ("parquet" if all(f.format == "parquet" for f in discovery.files) else "jsonl")
        files = _merge_file_summaries(summaries)
        report = build_report(
            version=__version__,
            options=asdict(options),
            output_format=fmt,
            files=files,
            ids_generated=any(s["ids_generated"] for s in summaries),
            problems=sum(p["problems"] for p in light),
            input_paths=[f.path for f in discovery.files],
            skipped=discovery.skipped,
            rules=rules,
            **frames,
        )
        progress.stage(f"writing {out}")
        staged = StagedOutput(out)
        try:
            _concat_parts(_scan(work, plan, "final_clean.parquet"), staged.path(f"clean.{fmt}"))
            _concat_parts(
                _scan(work, plan, "final_rejects.parquet") + _scan(work, plan, "final_problems.parquet"),
                staged.path(f"rejects.{fmt}"),
                ["id", "reason", "detail", "dup_of", "dup_of_batch", "similarity", "origin", "text", *carried],
            )
            _concat_parts(_scan(work, plan, "final_edits.parquet"), staged.path("edits.parquet"))
            staged.write_json("report.json", report)
            staged.write_text("report.md", render_markdown(report))
            staged.write_text("report.html", render_html(report, _html_examples(staged.path("edits.parquet"))))
            stage_totals: dict[str, float] = {}
            for summary in summaries:
                for stage, seconds in summary["seconds"].items():
                    stage_totals[stage] = round(stage_totals.get(stage, 0.0) + seconds, 4)
            elapsed = time.perf_counter() - started
            staged.write_json(
                "timings.json",
                {
                    "documents": report["documents"]["in"],
                    "shards": len(plan),
                    "shards_reused": reused,
                    "workers": settings.workers,
                    "engine": settings.engine,
                    "seconds": {
                        "shards_wall": round(shard_seconds, 4),
                        "dedup": round(dedup_seconds, 4),
                        "assemble_and_write": round(time.perf_counter() - clock, 4),
                        "total": round(elapsed, 4),
                    },
                    "shard_stage_seconds_summed": stage_totals,
                    "documents_per_second": round(report["documents"]["in"] / max(elapsed, 1e-9), 1),
                    "peak_rss_mb": _peak_rss_mb(),
                },
            )
            staged.commit()
        except BaseException:
            staged.abort()
            raise
        if index is not None and accepted is not None:
            progress.stage(f"adding {len(accepted[0])} documents to the index {index.folder}")
            save_index(index, _batch_name(options, out), *accepted)
        shutil.rmtree(work, ignore_errors=True)
        return report


def _peak_rss_mb() -> dict:
    """Peak resident memory of this process and of the largest worker process it waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"driver": round(own, 1), "largest_worker": round(children, 1)}


def _merge_file_summaries(summaries: list[dict]) -> list[dict]:
    """One entry per input file (a file split into several shards is summed)."""
    merged: dict[str, dict] = {}
    for summary in summaries:
        for entry in summary["files"]:
            if entry["name"] in merged:
                merged[entry["name"]]["documents"] += entry["documents"]
                merged[entry["name"]]["unreadable"] += entry["unreadable"]
            else:
                merged[entry["name"]] = dict(entry)
    return list(merged.values())


def _batch_name(options: CleanOptions, out: Path) -> str:
    return options.batch or out.resolve().name


def _index_params(options: CleanOptions) -> dict:
    return {**options.near.scheme.as_dict(), "threshold": options.near.threshold}
