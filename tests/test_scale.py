"""Shards, workers, engines and resume: how a run is carried out never changes its outputs."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from conftest import SEEDS, read_outputs, write_jsonl

from dqkit import pipeline
from dqkit.io.shards import plan_shards
from dqkit.io.sources import discover

OUTPUTS = ("clean.jsonl", "rejects.jsonl", "edits.parquet", "report.json", "report.md", "report.html")
WORDS = ("die der und sagte Regierung Haushalt Schule Stadt Bürger Woche Bericht Antrag Gericht Verkehr "
         "Wetter Hafen Markt Kirche Verein Straße Brücke Wahl Polizei Feuer nach mit einem für").split()


def _article(n: int, words: int = 90) -> str:
    """A German-looking article of its own (two articles share no word 5-gram to speak of)."""
    chosen = random.Random(n).choices(WORDS, k=words)
    body = " ".join(chosen[:words // 2]) + ".\n\n" + " ".join(chosen[words // 2:]) + "."
    return f"Die Nachricht Nummer {n} aus der Stadt.\n{body}\nFolgen Sie uns auf Facebook und Instagram"


@pytest.fixture
def sharded_corpus(tmp_path):
    """Seeds (txt), a JSONL of 40 records with near and exact copies far apart, a malformed
    line and blank lines, and a Parquet file: many shards at --shard-docs 4."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    records = [{"id": f"a{n:02d}", "text": _article(n), "source": "wire"} for n in range(40)]
    records[33] = {"id": "a33", "text": _article(5, words=80), "source": "mirror"}  # near copy, shorter
    records[38] = {"id": "a38", "text": _article(12).replace(" ", "  "), "source": "mirror"}  # exact copy (spacing)
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    lines[20:20] = ["", "{not json"]
    (corpus / "wire.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pl.DataFrame({"id": [f"p{n}" for n in range(9)], "text": [_article(100 + n) for n in range(9)],
                  "source": ["pq"] * 9}).write_parquet(corpus / "more.parquet")
    return corpus


def _digests(folder: Path) -> dict:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in OUTPUTS}


def test_plan_groups_txt_files_and_splits_large_files_into_record_ranges(sharded_corpus):
    plan = plan_shards(discover([str(sharded_corpus)]).files, shard_docs=4)
    # files in path order: 5 seed .txt files, more.parquet (9 rows), wire.jsonl (42 lines)
    assert [len(s.files) for s in plan[:2]] == [4, 1]
    assert [(s.files[0].name, s.part.start, s.part.stop) for s in plan[2:5]] == [
        ("more.parquet", 0, 4), ("more.parquet", 4, 8), ("more.parquet", 8, 9)]
    wire = [s.part for s in plan if s.files[0].name == "wire.jsonl"]
    assert [(r.start, r.stop) for r in wire] == [(k, min(k + 4, 42)) for k in range(0, 42, 4)]
    lines = (sharded_corpus / "wire.jsonl").read_bytes().splitlines(keepends=True)
    assert [r.byte_start for r in wire] == [sum(map(len, lines[:k])) for k in range(0, 42, 4)]
    assert [s.index for s in plan] == list(range(len(plan)))
    assert sum(s.documents for s in plan) == 5 + 9 + 42


def test_workers_engines_and_shard_plans_give_identical_outputs(sharded_corpus, tmp_path, dqkit, monkeypatch):
    runs = {}
    for name, args in {"one": ["--workers", "1"], "two": ["--workers", "2"]}.items():
        out = tmp_path / name
        if name == "two":  # near-dedup's band groups as two tasks, each band in 64 buckets, in a pool
            monkeypatch.setattr(pipeline, "DOCS_PER_DEDUP_TASK", 1)
            monkeypatch.setattr(pipeline, "DOCS_PER_BUCKET", 1)
        result = dqkit("clean", sharded_corpus, "-o", out, "--on-error", "skip", "--shard-docs", "4", "-q", *args)
        assert result.code == 0, result.err
        runs[name] = _digests(out)
    assert runs["one"] == runs["two"]
    outputs = read_outputs(tmp_path / "two")
    timings = json.loads((tmp_path / "two" / "timings.json").read_text())
    assert timings["shards"] > 10 and timings["workers"] == 2
    near = timings["near_dedup"]
    assert near["buckets"] == 64 and near["tasks"] == 2 * 64 and near["edges"] >= 1
    rejects = outputs["rejects"]
    # duplicates are found across shards: a33 (lines 34-) copies a05 (first shard of the file)
    assert rejects.filter(pl.col("id") == "a33")["dup_of"].item() == "a05"
    assert rejects.filter(pl.col("id") == "a38").select("reason", "dup_of").row(0) == ("exact_duplicate", "a12")
    assert rejects.filter(pl.col("reason") == "malformed_record")["origin"].item().endswith("wire.jsonl:22")
    report = outputs["report"]
    assert report["documents"]["in"] == 5 + 9 + 41 and report["documents"]["balanced"]
    assert {f["name"].rsplit("/", 1)[-1]: f["documents"] for f in report["inputs"]["files"]}["wire.jsonl"] == 40
    # every document once, in input order
    seeds = sorted(p.name for p in SEEDS.glob("*.txt"))
    wire = [f"a{n:02d}" for n in range(40) if n not in (33, 38)]
    assert outputs["clean"]["id"].to_list() == seeds + [f"p{n}" for n in range(9)] + wire


def test_a_compressed_file_is_cut_into_plain_chunks_once(sharded_corpus, tmp_path, dqkit):
    plain = tmp_path / "plain"
    assert dqkit("clean", sharded_corpus, "-o", plain, "--on-error", "skip", "--shard-docs", "4", "-q").code == 0
    wire = sharded_corpus / "wire.jsonl"
    with gzip.open(sharded_corpus / "wire.jsonl.gz", "wb") as handle:
        handle.write(wire.read_bytes())
    wire.unlink()
    plan = plan_shards(discover([str(sharded_corpus)]).files, shard_docs=4, chunk_dir=tmp_path / "chunks")
    chunks = [s.part.chunk for s in plan if s.part.chunk is not None]
    assert len(chunks) == 11 and b"".join(c.read_bytes() for c in chunks) == gzip.decompress(
        (sharded_corpus / "wire.jsonl.gz").read_bytes())
    packed = tmp_path / "packed"
    assert dqkit("clean", sharded_corpus, "-o", packed, "--on-error", "skip", "--shard-docs", "4", "-q").code == 0
    assert read_outputs(packed)["clean"].equals(read_outputs(plain)["clean"])
    origins = read_outputs(packed)["rejects"].filter(pl.col("reason") == "malformed_record")["origin"]
    assert origins.item().endswith("wire.jsonl.gz:22")  # the file and line as given, not the chunk


def test_one_shard_and_many_shards_agree_on_everything_shard_independent(sharded_corpus, tmp_path, dqkit):
    """Rules, language, dedup and the rejects do not depend on the shard size."""
    for name, size in (("whole", "1000"), ("small", "3")):
        assert dqkit("clean", sharded_corpus, "-o", tmp_path / name, "--on-error", "skip", "--shard-docs", size,
                     "-q", "--no-join-repair").code == 0
    whole, small = read_outputs(tmp_path / "whole"), read_outputs(tmp_path / "small")
    assert whole["clean"].drop("mt_score", "mt_reasons").equals(small["clean"].drop("mt_score", "mt_reasons"))
    assert whole["rejects"].equals(small["rejects"])
    within_shard = pl.col("rule_id") == "mt.number_scale"  # compares the versions of a story in one shard
    assert whole["edits"].filter(~within_shard).equals(small["edits"].filter(~within_shard))


def test_line_scores_and_signatures_weighed_in_parts_change_nothing(sharded_corpus, tmp_path, dqkit, monkeypatch):
    """A shard's lines are scored, and its signatures computed, a few thousand documents at a
    time; any part size gives the same outputs byte for byte (here: 3 and 2 documents)."""
    from dqkit.stages import boilerplate, dedup_keys

    args = ["--on-error", "skip", "--workers", "1", "-q"]  # in this process, where the parts are patched
    assert dqkit("clean", sharded_corpus, "-o", tmp_path / "whole", *args).code == 0
    monkeypatch.setattr(boilerplate, "WEIGH_DOCS", 3)
    monkeypatch.setattr(dedup_keys, "SIGNATURE_DOCS", 2)
    assert dqkit("clean", sharded_corpus, "-o", tmp_path / "parts", *args).code == 0
    assert _digests(tmp_path / "whole") == _digests(tmp_path / "parts")


def test_an_id_used_in_an_earlier_shard(tmp_path, dqkit):
    corpus = tmp_path / "in"
    corpus.mkdir()
    write_jsonl(corpus / "a.jsonl", [{"id": f"d{n}", "text": _article(n)} for n in range(4)])
    write_jsonl(corpus / "b.jsonl", [{"id": "d9", "text": _article(9)}, {"id": "d2", "text": "Ein anderer Text."}])
    stopped = dqkit("clean", corpus, "-o", tmp_path / "stop", "--shard-docs", "2", "-q")
    assert stopped.code == 1
    assert f"{corpus / 'b.jsonl'}:2: id 'd2' was already used at {corpus / 'a.jsonl'}:3" in stopped.err
    assert not (tmp_path / "stop").exists()
    skipped = dqkit("clean", corpus, "-o", tmp_path / "skip", "--shard-docs", "2", "--on-error", "skip", "-q")
    assert skipped.code == 0, skipped.err
    rejects = read_outputs(tmp_path / "skip")["rejects"]
    row = rejects.filter(pl.col("reason") == "duplicate_id").row(0, named=True)
    assert (row["id"], row["text"]) == ("d2", "Ein anderer Text.")
    assert read_outputs(tmp_path / "skip")["report"]["documents"]["balanced"]


def _start(args: list, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dqkit", *map(str, args)], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def test_a_killed_run_resumes_to_byte_identical_outputs(tmp_path, dqkit, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the same settings (none) for the killed run and the others
    corpus = tmp_path / "in"
    corpus.mkdir()
    write_jsonl(corpus / "docs.jsonl", [{"id": f"d{n:03d}", "text": _article(n)} for n in range(300)])
    args = ["clean", corpus, "--shard-docs", "10", "--workers", "1", "-q"]
    assert dqkit(*args, "-o", tmp_path / "whole").code == 0

    out = tmp_path / "resumed"
    work = tmp_path / ".resumed.work"
    process = _start([*args, "-o", out], tmp_path)
    deadline = time.monotonic() + 120
    while len(list(work.glob("shards/*/done.json"))) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done = len(list(work.glob("shards/*/done.json")))
    assert 3 <= done < 30, "the run was not killed mid-way"
    assert not out.exists()  # nothing that looks complete

    resumed = dqkit(*args, "-o", out, "--resume")
    assert resumed.code == 0, resumed.err
    assert _digests(out) == _digests(tmp_path / "whole")
    assert json.loads((out / "timings.json").read_text())["shards_reused"] == done
    assert not work.exists()


def test_resume_refuses_a_run_with_other_options(tmp_path, dqkit):
    corpus = tmp_path / "in"
    corpus.mkdir()
    write_jsonl(corpus / "docs.jsonl", [{"id": f"d{n}", "text": _article(n)} for n in range(6)])
    work = tmp_path / ".out.work"
    work.mkdir()
    (work / "plan.json").write_text("{}")
    result = dqkit("clean", corpus, "-o", tmp_path / "out", "--resume", "-q")
    assert result.code == 2 and "cannot resume" in result.err
    assert dqkit("clean", corpus, "-o", tmp_path / "out", "-q").code == 0  # without --resume: starts again


def test_ray_engine_gives_the_local_outputs(sharded_corpus, tmp_path, dqkit, monkeypatch):
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'dqkit[ray]')")
    monkeypatch.setattr(pipeline, "DOCS_PER_DEDUP_TASK", 1)  # the band groups as two Ray tasks
    local = dqkit("clean", sharded_corpus, "-o", tmp_path / "local", "--on-error", "skip", "--shard-docs", "6",
                  "--workers", "1", "-q")
    assert local.code == 0, local.err
    ray_run = dqkit("clean", sharded_corpus, "-o", tmp_path / "ray", "--on-error", "skip", "--shard-docs", "6",
                    "--engine", "ray", "--workers", "2", "-q")
    assert ray_run.code == 0, ray_run.err
    assert _digests(tmp_path / "ray") == _digests(tmp_path / "local")
    timings = json.loads((tmp_path / "ray" / "timings.json").read_text())
    assert timings["engine"] == "ray" and timings["near_dedup"]["tasks"] == 2
