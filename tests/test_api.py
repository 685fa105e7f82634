"""The Python API: dqkit.clean gives what dqkit clean gives, takes tables, checks its options
as the command line does, and keeps nothing on disk without an output folder."""

from __future__ import annotations

import os
import tempfile

import polars as pl
import pytest

import dqkit
from conftest import BODIES, SEEDS
from dqkit.errors import InputError, OptionsError

COMPARED = ("clean.jsonl", "clean.parquet", "rejects.jsonl", "rejects.parquet", "edits.parquet", "report.json",
            "report.md", "report.html")


def _same_files(a, b):
    names = [n for n in COMPARED if (a / n).exists() or (b / n).exists()]
    assert names, "no output files"
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def _frame():
    texts = [BODIES[0] + "\nFollow us on Twitter", BODIES[1], BODIES[0] + "\nFollow us on Twitter", BODIES[2]]
    return pl.DataFrame({"id": ["a", "b", "a-copy", "c"], "text": texts, "section": ["x", "y", "x", None]})


def test_the_api_writes_what_the_command_writes_on_the_seeds(dqkit, tmp_path):
    run = dqkit("clean", SEEDS, "-o", tmp_path / "cli")
    assert run.code == 0, run.err
    result = __import__("dqkit").clean(SEEDS, tmp_path / "api")
    _same_files(tmp_path / "cli", tmp_path / "api")
    assert result.out == tmp_path / "api"
    assert result.report["documents"]["in"] == 5
    assert result.clean["id"].to_list() == pl.read_ndjson(tmp_path / "cli" / "clean.jsonl")["id"].to_list()


def test_the_api_writes_what_the_command_writes_on_parquet_with_options(dqkit, tmp_path):
    _frame().write_parquet(tmp_path / "in.parquet")
    options = ["--no-langid", "--threshold", "0.7", "--keep", "longest", "--boilerplate", "rules"]
    run = dqkit("clean", tmp_path / "in.parquet", "-o", tmp_path / "cli", *options)
    assert run.code == 0, run.err
    result = __import__("dqkit").clean(
        [tmp_path / "in.parquet"], tmp_path / "api", no_langid=True, threshold=0.7, keep="longest", boilerplate="rules"
    )
    _same_files(tmp_path / "cli", tmp_path / "api")
    assert result.rejects["id"].to_list() == ["a-copy"]  # the exact copy
    assert result.edits.filter(pl.col("rule_id") == "en.social.follow-us")["doc_id"].to_list() == ["a", "a-copy"]


def test_a_frame_in_gives_frames_out_and_leaves_no_file(tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.chdir(tmp_path)
    before = sorted(os.listdir(tmp_path))
    result = dqkit.clean(_frame(), no_langid=True)
    assert sorted(os.listdir(tmp_path)) == before and not os.listdir(scratch)
    assert result.out is None
    assert result.clean["id"].to_list() == ["a", "b", "c"]
    assert result.clean["section"].to_list() == ["x", "y", None]  # the input's own column, typed
    assert "Follow us" not in result.clean["text"][0]
    assert result.rejects.select("id", "reason", "dup_of").rows() == [("a-copy", "exact_duplicate", "a")]
    assert result.edits.filter(pl.col("kind") == "line_removed")["doc_id"].to_list() == ["a", "a-copy"]
    assert result.report["documents"] == {**result.report["documents"], "in": 4, "kept": 3, "rejected": 1}


def test_a_frame_gives_what_the_same_rows_in_a_parquet_file_give(tmp_path):
    from dqkit.api import FRAME_FILE

    frame = _frame().drop("id")  # ids are made from the file and the row
    (tmp_path / "in").mkdir()
    frame.write_parquet(tmp_path / "in" / FRAME_FILE)
    from_file = dqkit.clean(tmp_path / "in" / FRAME_FILE, tmp_path / "out", no_langid=True)
    from_frame = dqkit.clean(frame.lazy(), no_langid=True)  # a LazyFrame is streamed to the run
    assert from_frame.clean.equals(from_file.clean)
    assert from_frame.rejects.drop("origin").equals(from_file.rejects.drop("origin"))
    assert from_frame.clean["id"].to_list() == [f"{FRAME_FILE}:1", f"{FRAME_FILE}:2", f"{FRAME_FILE}:4"]


def test_pandas_pyarrow_and_datasets_tables_are_cleaned_as_polars_ones():
    pandas = pytest.importorskip("pandas")
    pyarrow = pytest.importorskip("pyarrow")
    datasets = pytest.importorskip("datasets")
    frame = _frame()
    expected = dqkit.clean(frame, no_langid=True).clean
    as_pandas = pandas.DataFrame(frame.to_dict(as_series=False))
    assert dqkit.clean(as_pandas, no_langid=True).clean.equals(expected)
    assert dqkit.clean(pyarrow.table(frame.to_dict(as_series=False)), no_langid=True).clean.equals(expected)
    dataset = datasets.Dataset.from_dict(frame.to_dict(as_series=False))
    assert dqkit.clean(dataset, no_langid=True).clean.equals(expected)
    # A dataset's own row selection is what is cleaned.
    picked = dqkit.clean(dataset.select([3, 1]), no_langid=True).clean
    assert picked["id"].to_list() == ["c", "b"]


def test_options_are_checked_as_the_command_line_checks_them(dqkit, tmp_path):
    with pytest.raises(OptionsError, match=r"threshold: 2\.0 is not in the range 0\.05<=x<=1\.0"):
        __import__("dqkit").clean(SEEDS, tmp_path / "a", threshold=2)
    run = dqkit("clean", SEEDS, "-o", tmp_path / "b", "--threshold", "2")
    assert run.code == 2 and "2.0 is not in the range 0.05<=x<=1.0" in run.err
    with pytest.raises(OptionsError, match="'treshold' \\(did you mean 'threshold'\\?\\)"):
        __import__("dqkit").clean(SEEDS, tmp_path / "a", treshold=0.5)
    with pytest.raises(OptionsError, match="keep: 'newest' is not one of 'best', 'earliest', 'longest'"):
        __import__("dqkit").clean(SEEDS, tmp_path / "a", keep="newest")
    with pytest.raises(OptionsError, match="rules: Path .*missing.* does not exist"):
        __import__("dqkit").clean(SEEDS, tmp_path / "a", rules=tmp_path / "missing")
    with pytest.raises(OptionsError, match="drop_mt_above: nan is not a finite number"):
        __import__("dqkit").clean(SEEDS, tmp_path / "a", drop_mt_above=float("nan"))
    assert not (tmp_path / "a").exists()


def test_what_cannot_be_cleaned_is_refused_before_any_work(tmp_path):
    with pytest.raises(OptionsError, match="cannot clean a builtins.dict"):
        dqkit.clean({"text": ["x"]})
    with pytest.raises(OptionsError, match="no input paths"):
        dqkit.clean([])
    with pytest.raises(OptionsError, match="resume"):
        dqkit.clean(SEEDS, resume=True)
    with pytest.raises(OptionsError, match="batch"):
        dqkit.clean(SEEDS, index=str(tmp_path / "index"))
    assert not (tmp_path / "index").exists()
    # A table's problems name the table, not the temporary file it was written to.
    with pytest.raises(InputError, match="^the table: no text column 'body'; columns present: id, text, section"):
        dqkit.clean(_frame(), text_field="body")


def test_a_frame_of_html_pages_is_cleaned_from_their_main_text():
    pytest.importorskip("trafilatura")
    page = ("<html><body><nav><a href='/'>Home</a> | <a href='/news'>News</a></nav><article><h1>Budget</h1>"
            f"<p>{BODIES[0]}</p><p>{BODIES[1]}</p></article><footer>© 2026 Example</footer></body></html>")
    result = dqkit.clean(pl.DataFrame({"id": ["p1", "p2"], "html": [page, "<html><body></body></html>"]}),
                         html_field="html", no_langid=True)
    assert result.clean["id"].to_list() == ["p1"]
    assert BODIES[0] in result.clean["text"][0] and "Home" not in result.clean["text"][0]
    assert result.rejects.select("id", "reason").rows() == [("p2", "not_extracted")]
