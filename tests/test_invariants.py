"""The invariants of DESIGN.md: nothing lost, deterministic, idempotent, safe writes."""

from __future__ import annotations

import hashlib
import shutil

import polars as pl
import pytest

from conftest import SEEDS, read_outputs, write_jsonl
from dqkit.io import output
from dqkit.kinds import FLAG, EditKind

DETERMINISTIC_FILES = ("clean.jsonl", "rejects.jsonl", "edits.parquet", "report.json", "report.md")


@pytest.fixture
def mixed_corpus(tmp_path):
    """Seeds plus records that end up in every kind of reject."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    seed = (SEEDS / "001_e633a6e676f29462.txt").read_text(encoding="utf-8")
    write_jsonl(corpus / "extra.jsonl", [
        {"id": "copy", "text": seed.replace(" ", "  ").replace("Südkoreas", "SÜDKOREAS"),
         "source": "mirror"},  # exact duplicate after folding case and white space
        {"id": "empty", "text": "   ", "source": "x"},
        {"id": "crlf-empty", "text": "\r\n \r\n", "source": "x"},
        {"id": "footer-only", "text": "Folgen Sie uns auf Facebook\nSchreibe einen Kommentar", "source": "x"},
        {"id": "mostly-footer", "text": "Kurz.\nFolgen Sie uns auf Facebook und Instagram und Telegram\n"
                                        "Deine E-Mail-Adresse wird nicht veröffentlicht.", "source": "x"},
        "{broken json",
    ])
    return corpus


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_nothing_is_lost(mixed_corpus, tmp_path, dqkit):
    run = dqkit("clean", mixed_corpus, "-o", tmp_path / "out", "--on-error", "skip")
    assert run.code == 0, run.err
    result = read_outputs(tmp_path / "out")
    documents = result["report"]["documents"]
    assert documents["in"] == 5 + 6
    assert documents["in"] == documents["kept"] + documents["rejected"] and documents["balanced"]
    assert documents["rejected_by_reason"] == {"empty_after_cleaning": 1, "empty_text": 2, "exact_duplicate": 1,
                                               "malformed_record": 1, "too_much_removed": 1}
    all_ids = set(result["clean"]["id"]) | set(result["rejects"]["id"])
    assert len(all_ids) == 11
    assert result["edits"]["doc_id"].null_count() == 0
    assert "crlf-empty" in result["edits"].filter(pl.col("kind") == "newlines_normalized")["doc_id"].to_list()
    # Rejects carry the document as read, so it can be recovered.
    copy = result["rejects"].filter(pl.col("id") == "copy")
    assert copy["dup_of"].item() == "001_e633a6e676f29462.txt"
    assert copy["text"].item().startswith("SÜDKOREAS  Geheimdienst")
    assert result["rejects"].filter(pl.col("reason") == "malformed_record")["text"].item() == "{broken json"  # the line, without its line ending
    # Every removed line of every document is in the audit.
    footer = result["edits"].filter(pl.col("doc_id") == "footer-only")
    assert footer["kind"].to_list() == ["line_removed", "line_removed"]


def test_two_runs_are_byte_identical(mixed_corpus, tmp_path, dqkit):
    for name in ("a", "b"):
        assert dqkit("clean", mixed_corpus, "-o", tmp_path / name, "--on-error", "skip").code == 0
    first, second = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    for name in DETERMINISTIC_FILES:
        assert first[name] == second[name], name
    assert "timings.json" in first  # timings live apart, so the rest can be compared


def test_cleaning_the_cleaned_output_changes_nothing(tmp_path, dqkit):
    assert dqkit("clean", SEEDS, "-o", tmp_path / "once").code == 0
    assert dqkit("clean", tmp_path / "once" / "clean.jsonl", "-o", tmp_path / "twice").code == 0
    once, twice = read_outputs(tmp_path / "once"), read_outputs(tmp_path / "twice")
    assert once["report"]["lines"]["removed"] > 0
    assert twice["clean"].select("id", "text", "lang").equals(once["clean"].select("id", "text", "lang"))
    flags = EditKind.in_group(FLAG)  # a flag marks what stays: cleaning again marks it again
    assert twice["edits"].filter(~pl.col("kind").is_in(flags)).is_empty()
    # Line numbers move (removed lines are gone), and so do offsets: they are within the line
    # as read, and the second pass reads the first one's repaired lines.
    same = ["doc_id", "kind", "rule_id", "before"]
    # ... but an MT notice, or a dateline's English date order, is flagged on a line the first pass removed.
    removed = once["edits"].filter(pl.col("kind") == "line_removed").select("doc_id", "line_no")
    flagged_once = once["edits"].filter(pl.col("kind").is_in(flags)).join(removed, on=["doc_id", "line_no"], how="anti")
    assert flagged_once.height < once["edits"].filter(pl.col("kind").is_in(flags)).height, "the seeds have such flags"
    flagged_once = flagged_once.select(same).sort(same, nulls_last=True)
    assert twice["edits"].select(same).sort(same, nulls_last=True).equals(flagged_once)
    assert twice["report"]["documents"]["rejected"] == 0


def test_a_cleaned_corpus_without_any_mt_signal_cleans_again(tmp_path, dqkit):
    """Issue 13: every mt_reasons of clean.jsonl is [] (read back as list[null]) and the
    second run failed in polars; dqkit's own columns are now recomputed, never read."""
    write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": "The harbour authority said on Tuesday that ferry "
                                        "services would resume after the storm passed."}])
    assert dqkit("clean", tmp_path / "a.jsonl", "-o", tmp_path / "o1").code == 0
    run = dqkit("clean", tmp_path / "o1" / "clean.jsonl", "-o", tmp_path / "o2")
    assert run.code == 0, run.err
    assert (tmp_path / "o2" / "clean.jsonl").read_bytes() == (tmp_path / "o1" / "clean.jsonl").read_bytes()


def test_stale_scores_and_counts_in_the_input_are_recomputed(tmp_path, dqkit):
    write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": "The harbour authority said on Tuesday that ferry "
                                        "services would resume after the storm passed.", "mt_score": 0.99,
                                        "dq_flags": 7, "mt_reasons": [{"signal": "x", "count": 1, "example": "e"}]}])
    assert dqkit("clean", tmp_path / "a.jsonl", "-o", tmp_path / "o", "--drop-mt-above", "0.5").code == 0
    row = read_outputs(tmp_path / "o")["clean"].row(0, named=True)
    assert (row["mt_score"], row["dq_flags"], row["mt_reasons"]) == (0.0, 0, [])


def test_inputs_are_never_modified(mixed_corpus, tmp_path, dqkit):
    before = _digest(mixed_corpus)
    assert dqkit("clean", mixed_corpus, "-o", tmp_path / "out", "--on-error", "skip").code == 0
    assert _digest(mixed_corpus) == before


def test_output_appears_atomically(tmp_path, dqkit, monkeypatch):
    """A run that fails while writing leaves no OUT and no staging folder behind, only the
    hidden work folder that --resume reuses; the next run finishes and removes it."""
    def fail(self, name, text):
        raise OSError("disk full (simulated)")

    with monkeypatch.context() as patched:
        patched.setattr(output.StagedOutput, "write_text", fail)
        failed = dqkit("clean", SEEDS, "-o", tmp_path / "out")
    assert failed.code == 1 and "disk full (simulated)" in failed.err and "Traceback" not in failed.err
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == [".out.work"]
    assert dqkit("clean", SEEDS, "-o", tmp_path / "out", "--resume", "-q").code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_failed_overwrite_keeps_the_previous_output(tmp_path, dqkit, monkeypatch):
    assert dqkit("clean", SEEDS, "-o", tmp_path / "out").code == 0
    before = _digest(tmp_path / "out")
    monkeypatch.setattr(output.StagedOutput, "write_text", lambda *a: (_ for _ in ()).throw(OSError("boom")))
    assert dqkit("clean", SEEDS, "-o", tmp_path / "out", "--overwrite").code == 1
    assert _digest(tmp_path / "out") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.work", "out"]  # the work folder, for --resume


@pytest.mark.parametrize("relative_out", [".", "sub", "sub/deeper"])
def test_out_inside_an_input_is_refused(tmp_path, dqkit, relative_out):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    run = dqkit("clean", corpus, "-o", corpus / relative_out)
    assert run.code == 2
    assert "inside the input" in run.err
    assert sorted(p.name for p in corpus.iterdir()) == sorted(p.name for p in SEEDS.iterdir())


def test_input_inside_out_is_refused(tmp_path, dqkit):
    assert dqkit("clean", SEEDS, "-o", tmp_path / "out").code == 0
    run = dqkit("clean", tmp_path / "out" / "clean.jsonl", "-o", tmp_path / "out", "--overwrite")
    assert run.code == 2 and "inside the output folder" in run.err
    assert (tmp_path / "out" / "clean.jsonl").exists()


def test_non_empty_out_needs_overwrite(tmp_path, dqkit):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    run = dqkit("clean", SEEDS, "-o", out)
    assert run.code == 2 and "--overwrite" in run.err
    assert (out / "keep.txt").read_text() == "precious"
    assert dqkit("clean", SEEDS, "-o", out, "--overwrite").code == 0
    assert not (out / "keep.txt").exists() and (out / "clean.jsonl").exists()


def test_empty_out_folder_is_fine(tmp_path, dqkit):
    (tmp_path / "out").mkdir()
    assert dqkit("clean", SEEDS, "-o", tmp_path / "out").code == 0


def test_progress_goes_to_a_terminal_only(tmp_path, monkeypatch):
    import io
    import sys

    from dqkit.progress import Progress

    stream = io.StringIO()
    progress = Progress(enabled=True, stream=stream)
    progress.stage("detecting language")
    for done in range(1, 101):
        progress.advance(done, 100)
    assert "detecting language ..." in stream.getvalue() and "100/100" in stream.getvalue()
    assert "docs/s" in stream.getvalue() and "ETA" in stream.getvalue()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert not Progress.for_terminal(quiet=False).enabled
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert Progress.for_terminal(quiet=False).enabled and not Progress.for_terminal(quiet=True).enabled


@pytest.mark.parametrize("where", ["shards/", "final_", "clean."])
def test_a_full_disk_while_polars_writes_is_one_line_and_resumable(tmp_path, dqkit, monkeypatch, where):
    """polars tells a full disk as its own error type ("... (os error 28)"): in a shard, while
    the shards are assembled, or while OUT is streamed, it is one line naming the folder, exit 1."""
    real_write, real_sink = pl.DataFrame.write_parquet, pl.LazyFrame.sink_ndjson

    def full(path):
        if where in str(path):
            raise pl.exceptions.ComputeError("parquet: underlying IO error: No space left on device (os error 28)")

    def write(self, path, *args, **kwargs):
        full(path)
        return real_write(self, path, *args, **kwargs)

    def sink(self, path, *args, **kwargs):
        full(path)
        return real_sink(self, path, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(pl.DataFrame, "write_parquet", write)
        patched.setattr(pl.LazyFrame, "sink_ndjson", sink)
        failed = dqkit("clean", SEEDS, "-o", tmp_path / "out", "--workers", "1")
    assert failed.code == 1 and "Traceback" not in failed.err, failed.err
    assert failed.err.count("\n") == 1 and "No space left on device" in failed.err
    assert not (tmp_path / "out").exists()
    assert dqkit("clean", SEEDS, "-o", tmp_path / "out", "--resume", "-q").code == 0
