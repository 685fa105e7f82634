"""The input's own columns: isolated from dqkit's, carried with their type and value, renamed
only where they would clash with a column dqkit writes (issue 13)."""

from __future__ import annotations

import json
import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import read_outputs, write_jsonl
from dqkit.frames import INTERNAL, LINE_TABLE, QUALITY, LENGTH, KEY, ORDER, CHARS, AS_READ
from dqkit.io.columns import RECOMPUTED, WRITTEN, exact_column

BODY = ("The harbour authority said on Tuesday that ferry services would resume after the storm "
        "passed the coast, and that the first boats would leave at noon.")
OTHER = ("A museum in the old town reopened its doors after two years of repairs, showing paintings "
         "that had been stored in a cellar since the flood.")

#: Every column name dqkit uses inside a shard or writes, and a few more that look like them.
DQKIT_NAMES = sorted({*INTERNAL, *LINE_TABLE, QUALITY, LENGTH, KEY, ORDER, CHARS, AS_READ, *WRITTEN,
                      "chars_in", "chars_removed", "line_nos", "_original_text", "_detected", "first_origin",
                      "dup_batch", "doc_id", "kind", "rule_id", "",
                      "*", "^.*$", "^id$"} - {"id", "text"})  # polars reads these as patterns in pl.col


def _by_id(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["id"]: row for row in frame.iter_rows(named=True)}


def test_columns_named_like_dqkit_columns_are_data(tmp_path, dqkit):
    """No input column can take the place of one of dqkit's: each is carried with its value
    (renamed input_<name> where dqkit writes a column of that name), and rejects hold the
    real text as read."""
    records = []
    for i, text in enumerate([BODY, BODY + " More.", OTHER]):
        extra = {name: f"{name}-{i}" for name in DQKIT_NAMES if name != "lang"}
        records.append({"id": f"d{i}", "text": text, **extra})
    write_jsonl(tmp_path / "in.jsonl", records)
    run = dqkit("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out", "--no-langid")
    assert run.code == 0, run.err
    out = read_outputs(tmp_path / "out")
    rows = _by_id(out["clean"]) | _by_id(out["rejects"])
    assert sorted(rows) == ["d0", "d1", "d2"]  # every id once
    assert set(out["clean"]["id"]) | set(out["rejects"]["id"]) == {"d0", "d1", "d2"}
    rejects = _by_id(out["rejects"])
    assert [r["reason"] for r in rejects.values()] == ["near_duplicate"]  # not too_much_removed
    for i, record in enumerate(records):
        row = rows[record["id"]]
        assert row["text"] == record["text"]  # kept text is the text (nothing removed); rejects: as read
        for name in DQKIT_NAMES:
            if name == "lang":
                continue
            carried_as = "input_" + name if name in WRITTEN else name
            assert row[carried_as] == f"{name}-{i}", name
    renamed = out["report"]["inputs"]["columns"]["renamed"]
    assert renamed == {n: "input_" + n for n in DQKIT_NAMES if n in WRITTEN and n != "lang"}
    assert "carried as" in run.err and "input_reason" in run.err


def test_a_renamed_column_whose_new_name_is_taken_is_refused(tmp_path, dqkit):
    write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": BODY, "reason": 1, "input_reason": 2}])
    run = dqkit("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out")
    assert run.code == 1 and "Traceback" not in run.err
    assert "in.jsonl" in run.err and "'reason'" in run.err and "'input_reason'" in run.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_values_keep_their_type_and_value(tmp_path, dqkit, fmt):
    """Each JSON field comes out with the type and value it went in with; a field no single
    type can hold is carried as the JSON text of each value, with a warning."""
    values = {
        "count": [1, -(1 << 63), None],
        "ratio": [0.5, 1e300, -0.0],
        "flag": [True, False, None],
        "label": ["x", "", "ü\u200b"],
        "tags": [["a", "b"], [], None],
        "meta": [{"k": 1, "v": [1, 2]}, {"k": 2, "v": []}, None],
        "mixed": [1, "1", 1.5],
        "int_float": [1, 2.5, 3],
        "not_finite": [float("nan"), float("inf"), 1.0],
        "big": [1 << 70, 1, 2],
        "shapes": [{"a": 1}, {"b": 2}, {"a": 1}],
        "deep": [json.loads("[" * 40 + "]" * 40), [], None],
        "nested_inf": [{"": float("inf")}, {"": 1.0}, None],  # found by the fuzz harness
    }
    lines = []
    for i in range(3):
        record = {"id": f"d{i}", "text": [BODY, OTHER, BODY[::-1]][i]}
        record.update({name: column[i] for name, column in values.items()})
        lines.append(json.dumps(record))  # allow_nan: NaN and Infinity as Python's json writes them
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    run = dqkit("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out", "--no-langid", "--output-format", fmt)
    assert run.code == 0, run.err
    out = read_outputs(tmp_path / "out")
    rows = _by_id(out["clean"]) | _by_id(out["rejects"])
    as_json = {"mixed", "int_float", "not_finite", "big", "shapes", "deep", "nested_inf"}
    assert out["report"]["inputs"]["columns"]["as_json_text"] == sorted(as_json)
    assert "JSON text" in run.err
    for i in range(3):
        row = rows[f"d{i}"]
        for name, column in values.items():
            if name in as_json:
                expected = column[i]
                assert row[name] is None if expected is None else json.loads(row[name]) == expected or (
                    isinstance(expected, float) and math.isnan(expected) and row[name] == "NaN"), name
            else:
                assert row[name] == column[i] and type(row[name]) is type(column[i]), (name, row[name])


def test_a_type_that_changes_between_shards_is_json_text_everywhere(tmp_path, dqkit):
    write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": BODY, "x": 1}, {"id": "b", "text": OTHER, "x": "one"}])
    run = dqkit("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out", "--no-langid", "--shard-docs", "1")
    assert run.code == 0, run.err
    clean = _by_id(read_outputs(tmp_path / "out")["clean"])
    assert (clean["a"]["x"], clean["b"]["x"]) == ("1", '"one"')


def test_parquet_columns_keep_their_arrow_types(tmp_path, dqkit):
    import datetime

    frame = pl.DataFrame({
        "id": ["a", "b"], "text": [BODY, OTHER],
        "when": [datetime.date(2024, 1, 2), None],
        "raw": [b"\x00\xff", b""],
        "nested": [{"a": [1, 2]}, {"a": []}],
        "small": pl.Series([1, 2], dtype=pl.Int8),
        "_doc": ["not", "ours"],
    })
    frame.write_parquet(tmp_path / "in.parquet")
    assert dqkit("clean", tmp_path / "in.parquet", "-o", tmp_path / "out", "--no-langid").code == 0
    clean = pl.read_parquet(tmp_path / "out" / "clean.parquet")
    assert clean.select(frame.columns[2:]).equals(frame.select(frame.columns[2:]))
    # JSONL has no bytes: a binary column is its base64 JSON text there, the rest as JSON has it.
    run = dqkit("clean", tmp_path / "in.parquet", "-o", tmp_path / "out2", "--no-langid", "--output-format", "jsonl")
    assert run.code == 0, run.err
    rows = [json.loads(line) for line in (tmp_path / "out2" / "clean.jsonl").read_text().splitlines()]
    assert [json.loads(r["raw"]) for r in rows] == ["AP8=", ""] and rows[0]["when"] == "2024-01-02"


def test_a_lang_value_that_is_not_a_code_is_kept(tmp_path, dqkit):
    write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": BODY, "lang": "English"},
                                        {"id": "b", "text": OTHER, "lang": ["en"]},
                                        {"id": "c", "text": BODY[::-1], "lang": "pt-BR"}])
    assert dqkit("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out", "--no-langid").code == 0
    clean = _by_id(read_outputs(tmp_path / "out")["clean"])
    assert [clean[i]["lang"] for i in "abc"] == ["English", '["en"]', "pt-BR"]


def test_a_lang_column_besides_another_lang_field_is_carried(tmp_path, dqkit):
    write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": BODY, "language": "en", "lang": "their own"}])
    run = dqkit("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out", "--lang-field", "language")
    assert run.code == 0, run.err
    row = read_outputs(tmp_path / "out")["clean"].row(0, named=True)
    assert (row["lang"], row["language"], row["input_lang"]) == ("en", "en", "their own")


def test_dqkit_columns_of_a_cleaned_corpus_are_recomputed_and_said(tmp_path, dqkit):
    write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": BODY, **{name: 9 for name in RECOMPUTED}}])
    run = dqkit("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out", "--no-langid")
    assert run.code == 0, run.err
    out = read_outputs(tmp_path / "out")
    assert out["clean"].row(0, named=True)["dq_lines_removed"] == 0
    assert out["report"]["inputs"]["columns"]["recomputed"] == sorted(RECOMPUTED)
    assert "computed afresh" in run.err


@pytest.mark.parametrize(("doc_id", "expected"), [(1 << 70, str(1 << 70)), (-5, "-5"), ("x", "x")])
def test_ids_of_any_integer_size_are_strings(tmp_path, dqkit, doc_id, expected):
    write_jsonl(tmp_path / "in.jsonl", [{"id": doc_id, "text": BODY}])
    assert dqkit("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out", "--no-langid").code == 0
    assert read_outputs(tmp_path / "out")["clean"]["id"].to_list() == [expected]


def test_a_boolean_id_is_not_an_id(tmp_path, dqkit):
    write_jsonl(tmp_path / "in.jsonl", [{"id": True, "text": BODY}])
    run = dqkit("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out")
    assert run.code == 1 and "in.jsonl:1" in run.err and "bool" in run.err and "Traceback" not in run.err


@pytest.mark.parametrize("ids", [pl.Series([b"a"], dtype=pl.Binary), pl.Series([["a"]]), pl.Series([1.5])])
def test_parquet_ids_that_are_not_text_or_integers_are_refused(tmp_path, dqkit, ids):
    pl.DataFrame({"id": ids, "text": [BODY]}).write_parquet(tmp_path / "in.parquet")
    run = dqkit("clean", tmp_path / "in.parquet", "-o", tmp_path / "out")
    assert run.code == 1 and "in.parquet" in run.err and "'id'" in run.err and "Traceback" not in run.err


def test_deeply_nested_json_is_a_malformed_record(tmp_path, dqkit):
    deep = '{"id": "deep", "text": "x", "n": ' + "[" * 100_000 + "]" * 100_000 + "}"
    write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": BODY}, deep])
    run = dqkit("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out")
    assert run.code == 1 and "in.jsonl:2" in run.err and "nested too deeply" in run.err
    assert "Traceback" not in run.err
    run = dqkit("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out", "--on-error", "skip", "--no-langid")
    assert run.code == 0, run.err
    rejects = read_outputs(tmp_path / "out")["rejects"]
    assert rejects["reason"].to_list() == ["malformed_record"] and rejects["text"][0] == deep


def test_records_over_max_record_bytes_are_rejects_with_their_text(tmp_path, dqkit):
    big = BODY * 20
    write_jsonl(tmp_path / "in.jsonl", [{"id": "small", "text": BODY}, {"id": "big", "text": big}])
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "big.txt").write_text(big)
    (tmp_path / "txt" / "small.txt").write_text(BODY)
    pl.DataFrame({"id": ["small", "big"], "text": [BODY, big]}).write_parquet(tmp_path / "in.parquet")
    for source in ("in.jsonl", "txt", "in.parquet"):
        out = tmp_path / f"out-{source}"
        run = dqkit("clean", tmp_path / source, "-o", out, "--no-langid", "--max-record-bytes", "1000")
        assert run.code == 0, run.err
        result = read_outputs(out)
        kept = result["clean"]["id"].to_list()
        assert kept in (["small"], ["small.txt"]), source
        reject = result["rejects"].row(0, named=True)
        assert reject["reason"] == "record_too_large" and "1,000" in reject["detail"], source
        assert big in reject["text"], source  # nothing lost: the raw line or the text as read
        assert result["report"]["documents"]["balanced"]


def test_a_corrupt_zstd_jsonl_file_names_the_file(tmp_path, dqkit):
    import zstandard

    data = zstandard.ZstdCompressor().compress(b'{"id": "a", "text": "x"}\n' * 1000)
    (tmp_path / "in.jsonl.zst").write_bytes(data[: len(data) // 2] + b"\x00garbage" * 10)
    run = dqkit("clean", tmp_path / "in.jsonl.zst", "-o", tmp_path / "out")
    assert run.code == 1 and "in.jsonl.zst" in run.err and "Traceback" not in run.err
    assert not (tmp_path / "out").exists()


def test_pattern_like_column_names_across_shards(tmp_path, dqkit):
    """Shards are put together by column name; names that polars reads as patterns are kept
    apart (one shard holds nulls only, the other values, so the shards' types differ)."""
    write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": BODY, "*": None, "^.*$": None},
                                        {"id": "b", "text": OTHER, "*": 1, "^.*$": [1]}])
    run = dqkit("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out", "--no-langid", "--shard-docs", "1")
    assert run.code == 0, run.err
    clean = _by_id(read_outputs(tmp_path / "out")["clean"])
    assert [(clean[i]["*"], clean[i]["^.*$"]) for i in "ab"] == [(None, None), (1, [1])]


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.none() | st.lists(st.text(), max_size=4), min_size=1, max_size=8))
def test_lists_of_strings_build_the_column_pl_series_builds(values):
    """The flat build of List(String) columns (issue 17) gives pl.Series' column, or is not used."""
    from dqkit.io.columns import _string_list_column, _string_lists

    if _string_lists(values):
        assert _string_list_column("x", values).equals(pl.Series("x", values, strict=True), check_dtypes=True)
    column, as_json = exact_column("x", values)
    assert not as_json and column.to_list() == values
