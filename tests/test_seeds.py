"""dqkit clean seeds/: every boilerplate line goes, every title, subheading and body line stays."""

from __future__ import annotations

import json

import polars as pl
import pytest

from conftest import SEEDS, SHARED, read_outputs

GOLD = SHARED / "eval" / "seed_gold.jsonl"
EXPECTED = json.loads((SEEDS.parent / "tests" / "fixtures" / "seed_expectations.json").read_text())


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    import sys

    from dqkit.cli import main

    out = tmp_path_factory.mktemp("seeds") / "out"
    argv, sys.argv = sys.argv, ["dqkit", "clean", str(SEEDS), "-o", str(out), "-q"]
    try:
        with pytest.raises(SystemExit) as exit_info:
            main()
    finally:
        sys.argv = argv
    assert exit_info.value.code == 0
    return read_outputs(out)


def _removed(edits: pl.DataFrame) -> dict[str, set[int]]:
    removed = edits.filter(pl.col("kind") == "line_removed")
    return {doc: set(removed.filter(pl.col("doc_id") == doc)["line_no"].to_list())
            for doc in EXPECTED["removed_lines"]}


def _seed_lines(name: str) -> list[str]:
    return (SEEDS / name).read_text(encoding="utf-8").split("\n")


def test_all_five_seeds_are_kept(seed_run):
    assert sorted(seed_run["clean"]["id"].to_list()) == sorted(EXPECTED["removed_lines"])
    assert seed_run["report"]["documents"] == {
        "in": 5, "kept": 5, "rejected": 0, "balanced": True, "rejected_by_reason": {}}


def test_removed_lines_match_the_committed_expectations(seed_run):
    removed = _removed(seed_run["edits"])
    assert removed == {doc: set(lines) for doc, lines in EXPECTED["removed_lines"].items()}


def _repaired(edits: pl.DataFrame, doc: str, number: int, line: str) -> str:
    """The line with the span cuts and join repairs the audit records for it applied."""
    audited = edits.filter((pl.col("doc_id") == doc) & (pl.col("line_no") == number))
    for before, after in audited.filter(pl.col("kind") == "span_removed").select("before", "after").iter_rows():
        assert line == before
        line = after
    for before, after in audited.filter(pl.col("kind") == "join_repaired").select("before", "after").iter_rows():
        line = line.replace(before, after)
    return line


def test_every_kept_line_is_unchanged_and_in_order(seed_run):
    """Titles, subheadings and body lines survive byte for byte (WhatsApp, LinkedIn,
    Elite-„Sturmkorps“ and friends are not split or rewritten), except for the audited
    span cuts and join repairs."""
    removed = _removed(seed_run["edits"])
    for doc, text in seed_run["clean"].select("id", "text").iter_rows():
        original = _seed_lines(doc)
        expected = [_repaired(seed_run["edits"], doc, number, line) for number, line in enumerate(original, 1)
                    if number not in removed[doc] and line.strip()]
        assert [line for line in text.split("\n") if line.strip()] == expected
    for doc, numbers in EXPECTED["kept_lines"].items():
        text = seed_run["clean"].filter(pl.col("id") == doc)["text"].item()
        for number in numbers:
            assert _repaired(seed_run["edits"], doc, number, _seed_lines(doc)[number - 1]) in text.split("\n")


def test_the_seed_joins_are_repaired_and_camel_case_is_not(seed_run):
    repairs = seed_run["edits"].filter(pl.col("kind") == "join_repaired")
    assert sorted(repairs.select("line_no", "before", "after").rows()) == [
        (3, "ServiceNach", "Service Nach"), (7, "JakeSullivan", "Jake Sullivan"), (9, "Jong-gyuDer", "Jong-gyu Der")]
    assert set(repairs["doc_id"]) == {"000_ce10d6b5d5891930.txt"}
    text = seed_run["clean"].filter(pl.col("id") == "000_ce10d6b5d5891930.txt")["text"].item()
    assert "Intelligence Service Nach einer" in text and "JakeSullivan" not in text
    assert seed_run["clean"].filter(pl.col("id") == "000_ce10d6b5d5891930.txt")["dq_edits"].item() == 3


def test_camel_case_in_body_text_is_kept(tmp_path, dqkit):
    body = ("Die App WhatsApp und das Netzwerk LinkedIn meldeten am Montag Störungen; "
            "auch YouTube und die PlayStation waren betroffen.\n\nFolgen Sie uns auf Facebook und Instagram")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(body, encoding="utf-8")
    assert dqkit("clean", tmp_path / "in", "-o", tmp_path / "out").code == 0
    clean = read_outputs(tmp_path / "out")["clean"]
    assert clean["text"].item() == body.split("\n\n")[0]


@pytest.mark.skipif(not GOLD.exists(), reason="../shared/eval/seed_gold.jsonl is not available")
def test_against_the_gold_annotation(seed_run):
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    removed = _removed(seed_run["edits"])
    clean = {doc: text.split("\n") for doc, text in seed_run["clean"].select("id", "text").iter_rows()}
    whole_line_boilerplate = set()
    for record in gold:
        if record.get("line") is None:  # pair records (near-duplicate relations)
            continue
        line = _seed_lines(record["file"])[record["line"] - 1]
        if record["kind"] == "boilerplate" and record["start"] == 0 and record["end"] == len(line):
            whole_line_boilerplate.add((record["file"], record["line"]))
        elif record["kind"] == "boilerplate":  # a span (the dateline "SEOUL: "): cut, the rest kept
            assert line[: record["start"]] + line[record["end"] :] in clean[record["file"]], record
        if record["kind"] == "structure":  # titles and subheadings stay, unchanged
            assert record["line"] not in removed[record["file"]], record
            assert line in clean[record["file"]], record
        if record["kind"] == "negative":  # legitimate camel case: never split or rewritten
            kept = [text for text in clean[record["file"]] if record["text"] in text]
            assert line in kept or record["line"] in removed[record["file"]], record
    assert whole_line_boilerplate, "the gold file lists whole-line boilerplate"
    removed_pairs = {(doc, number) for doc, numbers in removed.items() for number in numbers}
    assert removed_pairs == whole_line_boilerplate
