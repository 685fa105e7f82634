"""Input formats, fields, ids, carried columns, and bad input."""

from __future__ import annotations

import gzip
import json

import polars as pl
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SEEDS, read_outputs, write_jsonl

BODY = "Die Regierung hat am Montag neue Zahlen zur Lage im Osten des Landes veröffentlicht."
FOOTER = "Folgen Sie uns auf Facebook und Instagram"


def _records(n=3):
    return [{"id": f"d{i}", "text": f"{BODY} Nummer {i}.\n{FOOTER}", "source": "feed", "score": i}
            for i in range(n)]


def test_txt_folder_ids_are_relative_paths(tmp_path, dqkit):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "a.txt").write_text(BODY)
    (tmp_path / "in" / "sub" / "b.txt").write_text(BODY + " Zwei.")
    (tmp_path / "in" / "notes.md").write_text("not read")
    assert dqkit("clean", tmp_path / "in", "-o", tmp_path / "out", "--no-dedup").code == 0
    result = read_outputs(tmp_path / "out")
    assert result["clean"]["id"].to_list() == ["a.txt", "sub/b.txt"]
    assert result["report"]["inputs"]["skipped_files"] == [str(tmp_path / "in" / "notes.md")]


@pytest.mark.parametrize("suffix", ["jsonl", "jsonl.gz", "jsonl.zst"])
def test_jsonl_plain_and_compressed(tmp_path, dqkit, suffix):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records()).encode()
    path = tmp_path / f"corpus.{suffix}"
    if suffix.endswith("gz"):
        data = gzip.compress(data)
    elif suffix.endswith("zst"):
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    assert dqkit("clean", path, "-o", tmp_path / "out", "--no-dedup").code == 0
    clean = read_outputs(tmp_path / "out")["clean"]
    assert clean["id"].to_list() == ["d0", "d1", "d2"]
    assert clean["text"].to_list() == [f"{BODY} Nummer {i}." for i in range(3)]
    # Every other input column is carried through unchanged.
    assert clean["source"].to_list() == ["feed"] * 3 and clean["score"].to_list() == [0, 1, 2]
    assert clean["dq_lines_removed"].to_list() == [1, 1, 1]


def test_parquet_in_parquet_out_and_format_override(tmp_path, dqkit):
    pl.DataFrame(_records()).write_parquet(tmp_path / "c.parquet")
    assert dqkit("clean", tmp_path / "c.parquet", "-o", tmp_path / "out").code == 0
    assert (tmp_path / "out" / "clean.parquet").exists() and (tmp_path / "out" / "rejects.parquet").exists()
    clean = pl.read_parquet(tmp_path / "out" / "clean.parquet")
    assert clean.columns[:3] == ["id", "text", "lang"] and clean["score"].dtype == pl.Int64
    assert dqkit("clean", tmp_path / "c.parquet", "-o", tmp_path / "out2", "--output-format", "jsonl").code == 0
    assert (tmp_path / "out2" / "clean.jsonl").exists()


def test_several_paths_and_a_glob(tmp_path, dqkit):
    write_jsonl(tmp_path / "a.jsonl", _records(2))
    write_jsonl(tmp_path / "b.jsonl", [{"id": "x", "text": BODY + " B."}])
    run = dqkit("clean", str(tmp_path / "*.jsonl"), SEEDS / "001_e633a6e676f29462.txt", "-o", tmp_path / "out", "--no-dedup")
    assert run.code == 0, run.err
    assert read_outputs(tmp_path / "out")["clean"]["id"].to_list() == [
        "d0", "d1", "x", "001_e633a6e676f29462.txt"]


def test_text_and_id_fields_and_generated_ids(tmp_path, dqkit):
    write_jsonl(tmp_path / "c.jsonl", [{"body": BODY, "key": 7}, {"body": BODY + " Zwei."}])
    assert dqkit("clean", tmp_path / "c.jsonl", "--text-field", "body", "-o", tmp_path / "out", "--no-dedup").code == 0
    result = read_outputs(tmp_path / "out")
    assert result["clean"]["id"].to_list() == ["c.jsonl:1", "c.jsonl:2"]
    assert result["clean"]["key"].to_list() == [7, None] and "body" not in result["clean"].columns
    assert result["report"]["inputs"]["ids_generated"] is True
    assert dqkit("clean", tmp_path / "c.jsonl", "--text-field", "body", "--id-field", "key",
                 "-o", tmp_path / "out2", "--on-error", "skip", "--no-dedup").code == 0
    assert read_outputs(tmp_path / "out2")["clean"]["id"].to_list() == ["7", "c.jsonl:2"]


def test_language_column_skips_detection(tmp_path, dqkit, monkeypatch):
    import dqkit.stages.language as language

    calls = []
    real = language.identify
    monkeypatch.setattr(language, "identify", lambda texts, *a: calls.append(len(texts)) or real(texts, *a))
    write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": BODY, "lang": "fr"}, {"id": "b", "text": BODY + " B."}])
    assert dqkit("clean", tmp_path / "c.jsonl", "-o", tmp_path / "out", "--no-dedup").code == 0
    clean = read_outputs(tmp_path / "out")["clean"]
    assert clean["lang"].to_list() == ["fr", "de"]  # given where given, detected elsewhere
    assert calls == [1]


def test_duplicate_ids_are_an_error_or_a_reject(tmp_path, dqkit):
    write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": BODY}, {"id": "a", "text": BODY + " B."}])
    run = dqkit("clean", tmp_path / "c.jsonl", "-o", tmp_path / "out")
    assert run.code == 1 and "c.jsonl:2" in run.err and "already used at" in run.err
    assert not (tmp_path / "out").exists()
    assert dqkit("clean", tmp_path / "c.jsonl", "-o", tmp_path / "out", "--on-error", "skip").code == 0
    rejects = read_outputs(tmp_path / "out")["rejects"]
    assert rejects.select("id", "reason", "text").rows() == [("a", "duplicate_id", BODY + " B.")]


# The fixtures above are near-duplicates of each other on purpose: --no-dedup keeps them all.


# Bad input ------------------------------------------------------------------------------


def test_malformed_jsonl_line_stops_with_file_and_line(tmp_path, dqkit):
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": BODY}, '{"id": "b", "text": oops}'])
    run = dqkit("clean", path, "-o", tmp_path / "out")
    assert run.code == 1
    assert f"{path}:2: malformed JSON" in run.err and "Traceback" not in run.err
    assert not (tmp_path / "out").exists()


def test_malformed_jsonl_line_with_skip_lands_in_rejects(tmp_path, dqkit):
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": BODY}, "[1, 2]", '{"id": "b", "text": oops}'])
    assert dqkit("clean", path, "-o", tmp_path / "out", "--on-error", "skip").code == 0
    result = read_outputs(tmp_path / "out")
    rejects = result["rejects"]
    assert rejects["reason"].to_list() == ["malformed_record", "malformed_record"]
    assert rejects["origin"].to_list() == [f"{path}:2", f"{path}:3"]
    assert "expected a JSON object" in rejects["detail"][0]
    assert result["report"]["documents"]["balanced"] and result["report"]["documents"]["in"] == 3


def test_missing_text_field_names_the_fields_present(tmp_path, dqkit):
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "body": BODY, "title": "T"}])
    run = dqkit("clean", path, "-o", tmp_path / "out")
    assert run.code == 1
    assert f"{path}:1" in run.err and "'text' is missing" in run.err and "body, id, title" in run.err


def test_missing_text_column_in_parquet(tmp_path, dqkit):
    pl.DataFrame({"id": ["a"], "body": [BODY]}).write_parquet(tmp_path / "c.parquet")
    run = dqkit("clean", tmp_path / "c.parquet", "-o", tmp_path / "out")
    assert run.code == 1 and "columns present: id, body" in run.err


def test_undecodable_bytes_are_replaced_and_counted(tmp_path, dqkit):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "latin1.txt").write_bytes("Die Straße führt über die Brücke nach Köln.".encode("latin-1"))
    assert dqkit("clean", tmp_path / "in", "-o", tmp_path / "out").code == 0
    result = read_outputs(tmp_path / "out")
    assert result["report"]["inputs"]["bytes_replaced"] == 5
    assert result["clean"]["text"].item().count("\ufffd") == 5
    edit = result["edits"].filter(pl.col("kind") == "bytes_replaced")
    assert edit.select("doc_id", "line_no", "after").rows() == [("latin1.txt", 1, result["clean"]["text"].item())]
    assert result["clean"]["dq_edits"].item() == 1


def test_binary_file_in_a_text_folder_is_rejected(tmp_path, dqkit):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ok.txt").write_text(BODY)
    (tmp_path / "in" / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert dqkit("clean", tmp_path / "in", "-o", tmp_path / "out").code == 0
    rejects = read_outputs(tmp_path / "out")["rejects"]
    assert rejects.select("id", "reason").rows() == [("image.txt", "binary_file")]


def test_utf16_with_bom_is_read(tmp_path, dqkit):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "u16.txt").write_bytes(BODY.encode("utf-16"))
    assert dqkit("clean", tmp_path / "in", "-o", tmp_path / "out").code == 0
    assert read_outputs(tmp_path / "out")["clean"]["text"].item() == BODY


def test_empty_corpus_says_so(tmp_path, dqkit):
    (tmp_path / "in").mkdir()
    run = dqkit("clean", tmp_path / "in", "-o", tmp_path / "out")
    assert run.code == 1 and "empty corpus" in run.err
    (tmp_path / "in" / "empty.jsonl").write_text("\n\n")
    run = dqkit("clean", tmp_path / "in", "-o", tmp_path / "out")
    assert run.code == 1 and "empty corpus" in run.err
    assert not (tmp_path / "out").exists()


def test_missing_path_is_a_usage_error(tmp_path, dqkit):
    run = dqkit("clean", tmp_path / "nope", "-o", tmp_path / "out")
    assert run.code == 2 and "does not exist" in run.err
    run = dqkit("clean", str(tmp_path / "*.jsonl"), "-o", tmp_path / "out")
    assert run.code == 2 and "no file matches" in run.err


def test_python_dash_m_entry_point(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "dqkit", "clean", str(SEEDS), "-o", str(tmp_path / "out"), "-q"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out" / "report.json").read_text())["documents"]["kept"] == 5


def test_null_ids_and_texts_name_the_line_or_row(tmp_path, dqkit):
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": BODY}, {"id": None, "text": BODY + " B."}])
    run = dqkit("clean", path, "-o", tmp_path / "out")
    assert run.code == 1 and f"{path}:2: id field 'id' is NoneType" in run.err
    pl.DataFrame({"id": ["a", "b"], "text": [BODY, None]}).write_parquet(tmp_path / "c.parquet")
    run = dqkit("clean", tmp_path / "c.parquet", "-o", tmp_path / "out")
    assert run.code == 1 and "c.parquet: row 2 has no 'id' or no 'text' value" in run.err


def test_a_fifo_is_refused_before_it_is_opened(tmp_path, dqkit):
    """Issue 13: a FIFO named as input blocked for ever; in a folder it is passed over."""
    import os

    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    result = dqkit("clean", fifo, "-o", tmp_path / "out")
    assert result.code == 2 and "not a regular file" in result.err and str(fifo) in result.err
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "also.jsonl")
    write_jsonl(folder / "docs.jsonl", [{"id": "a", "text": BODY}])
    assert dqkit("clean", folder, "-o", tmp_path / "out2", "--no-dedup").code == 0
    report = read_outputs(tmp_path / "out2")["report"]
    assert report["documents"]["in"] == 1 and report["inputs"]["skipped_files"] == [str(folder / "also.jsonl")]


@pytest.mark.parametrize("column", ["_original_text", "_as_read"])
def test_a_column_named_like_the_text_as_read_is_carried_not_taken(tmp_path, dqkit, column):
    """Issue 13: an input column `_original_text` replaced a near-duplicate's text in rejects."""
    text = "The harbour authority said on Tuesday that ferry services would resume after the storm passed the coast."
    write_jsonl(tmp_path / "t.jsonl", [{"id": "a", "text": text, column: "X"},
                                       {"id": "b", "text": text + " Extra.", column: "Y"}])
    assert dqkit("clean", tmp_path / "t.jsonl", "-o", tmp_path / "out", "--no-langid").code == 0
    outputs = read_outputs(tmp_path / "out")
    rejected = outputs["rejects"].row(0, named=True)
    assert rejected["reason"] == "near_duplicate" and rejected["text"] == text and rejected[column] == "X"
    assert outputs["clean"][column].to_list() == ["Y"]


# The fast JSONL reader (issue 17) ------------------------------------------------------------

#: Lines that orjson and json.loads may read differently, or that polars' NDJSON reader reads
#: silently otherwise (a repeated key's first value, numbers as text, lone surrogates as NUL).
HOSTILE_LINES = [
    b'{"id": "a", "text": "plain", "tags": ["x", ""], "n": 1, "f": 0.1}',
    b'{"id": "crlf", "text": "windows", "tags": [], "n": 2, "f": 1e22}\r',
    b"",
    b" \t ",
    b'\xef\xbb\xbf{"id": "bom", "text": "a BOM inside the file"}',
    b'{"id": "nan", "text": "t", "n": NaN, "f": Infinity, "g": -Infinity, "h": 1e400}',
    b'{"id": "comma", "text": "t",}',
    b"{'id': 'quotes', 'text': 't'}",
    b'{"id": "comment", "text": "t"} // a comment',
    b'{"id": "two"}{"text": "objects"}',
    b'{"id": unquoted, "text": "t"}',
    b'{"id": "number", "text": 5}',
    b'{"id": "digits", "text": "5"}',
    b'{"id": "null", "text": null}',
    b'{"id": "missing"}',
    b'{"id": "nested", "text": "n", "meta": {"a": {"b": [1, 2.5, "c"]}, "a2": {"a": 1, "a": 2}}}',
    b'{"id": "repeated", "text": "first", "text": "second", "tags": ["a"], "tags": ["b", "c"]}',
    b'{"id": "x", "id": "repeated-id", "text": "the last id counts"}',
    b'{"id": 123456789012345678901234567890, "text": "an id beyond 64 bits"}',
    b'{"id": "ints", "text": "t", "n": -9223372036854775809, "m": 18446744073709551615, "k": 9223372036854775807}',
    b'{"id": "long digits", "text": "call 12345678901234567890 now", "n": 3}',
    b'{"id": "floats", "text": "t", "f": 5e-324, "g": -0.0, "h": 1.0, "i": -0, "j": 2.2250738585072011e-308}',
    b'{"id": "lone", "text": "a\\ud800b", "\\udc00key": "v"}',
    b'{"id": "pair", "text": "\\ud83d\\ude00 smile", "tags": ["\\ud83d\\ude00"]}',
    b'{"id": "latin1", "text": "caf\xe9"}',
    b'{"id": "raw nul", "text": "a\x00b"}',
    b'{"id": "raw tab", "text": "a\tb"}',
    b'{"id": "escapes", "text": "\\u00e9\\n\\t\\"\\\\\\/ \xc3\\xa9", "tags": ["\\u0000", "\xc3\xbc"]}',
    b"[1, 2]",
    b'"a string"',
    b"null",
    b"{}",
    b"[" * 3000 + b"]" * 3000,
    b'{"id": "deep", "text": "t", "deep": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}",
    b'{"id": true, "text": "a boolean id"}',
    b'{"id": 1.5, "text": "a float id"}',
    b'{"id": 7, "text": "an integer id", "lang": 5, "lang_score": 0.5}',
    b'{"text": "no id", "lang": ["de"], "lang_score": 2, "language": "fr", "body": "other text", "key": "k"}',
    b'{"id": "lists", "text": "t", "tags": null, "mixed": ["a", 1], "nested": [["a"]], "empty": []}',
    b'{"id": "big", "text": "' + b"long " * 100 + b'"}',
    b'{"id": "last line without a line end", "text": "t"}',
]


def _read_both(path, opts, monkeypatch):
    """``read_corpus`` of ``path`` (the whole file, and each line as a file of its own) through
    the fast path, and through today's: json.loads for every line, pl.Series for every column."""
    from dqkit.io import columns, readers
    from dqkit.io.sources import InputFile

    files = [InputFile(path, path.name, "jsonl", None)]
    for number, line in enumerate(path.read_bytes().split(b"\n")):
        single = path.with_name(f"line{number:03d}.jsonl")
        single.write_bytes(line + b"\n")
        files.append(InputFile(single, single.name, "jsonl", None))
    fast = readers.read_corpus(files, opts)
    with monkeypatch.context() as patched:
        patched.setattr(readers, "_fast_value", lambda raw: readers._UNSURE)
        patched.setattr(columns, "_string_lists", lambda values: False)
        exact = readers.read_corpus(files, opts)
    return fast, exact


@pytest.mark.parametrize("fields", [("text", "id", "lang"), ("body", "key", "language")])
def test_the_fast_reader_reads_hostile_jsonl_as_json_loads_does(tmp_path, monkeypatch, fields):
    """Every hostile line gives the same documents, problems (with their file:line and detail),
    carried columns and types through orjson and the List(String) columns as through
    json.loads and pl.Series alone."""
    from dqkit.io import readers

    text_field, id_field, lang_field = fields
    named = [line.replace(b'"text"', f'"{text_field}"'.encode()).replace(b'"id"', f'"{id_field}"'.encode())
             .replace(b'"lang"', f'"{lang_field}"'.encode()) for line in HOSTILE_LINES]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(b"\n".join(named))
    opts = readers.ReadOptions(text_field, id_field, "skip", lang_field=lang_field, max_record_bytes=400)
    fast, exact = _read_both(path, opts, monkeypatch)
    assert fast.documents.height > 10 and fast.problems.height > 10  # both kinds of line are there
    assert fast.documents.schema == exact.documents.schema
    assert fast.documents.equals(exact.documents)
    assert fast.problems.equals(exact.problems)
    assert (fast.ids_generated, fast.files, fast.carried, fast.names) == (
        exact.ids_generated, exact.files, exact.carried, exact.names)


def test_orjson_reads_only_what_json_loads_reads_alike():
    from dqkit.io.readers import _UNSURE, _fast_value

    assert _fast_value(b'{"a": [1, 2.5, "x"], "a": {"b": null}}\r\n') == {"a": {"b": None}}
    for line in HOSTILE_LINES:
        value = _fast_value(line)
        if value is not _UNSURE:  # what orjson reads, json.loads reads to the same types and values
            assert repr(value) == repr(json.loads(line)), line
    refused = [b'{"n": NaN}', b'{"n": 1e400}', b'{"s": "\\ud800"}', b'\xef\xbb\xbf{}', b'{"s": "\xe9"}',
               b'{"n": 123456789012345678901234567890}', b'{"n": 1234567890123456789}', b"{,}"]
    assert [_fast_value(line) for line in refused] == [_UNSURE] * len(refused)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, ascii_only=st.booleans())
def test_random_json_reads_alike_through_orjson(value, ascii_only):
    """Random JSON (integers of any size, NaN and Infinity, surrogates, escaped or not): orjson
    reads it as json.loads does, or leaves it to json.loads."""
    from dqkit.io.readers import _UNSURE, _fast_value

    line = json.dumps({"text": value}, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    fast = _fast_value(line)
    assert fast is _UNSURE or repr(fast) == repr(json.loads(line))


@pytest.mark.parametrize("suffix", ["jsonl", "jsonl.gz"])
@pytest.mark.parametrize("bad, detail", [
    ('{"id": "e", "text": "trailing comma",}', "malformed JSON at column 38: Expecting property name"),
    ('{"id": "e", "text": NaN}', "text field 'text' is not a string (float)"),
    ('{"id": "e", "text": "Infinity", "n": 123456789012345678901234567890, "n": [}', "malformed JSON at column"),
    ('{"id": "e", "text": "caf\udce9"}', "not valid UTF-8 (invalid continuation byte)"),
    ('{"id": "e", "text": "a\udced\udca0\udc80b"}', "not valid UTF-8 (an encoded surrogate, bytes ED A0-BF)"),
    ('{"id": "d3", "text": "a repeated id"}', "id 'd3' was already used at"),
])
def test_a_bad_record_in_a_later_shard_names_its_file_and_line(tmp_path, dqkit, suffix, bad, detail):
    """The fast reader leaves the message of a bad record as it was: the file, the line
    (counted across shards, also in a compressed file) and what is wrong, exit code 1."""
    lines = [json.dumps({"id": f"d{i}", "text": f"{BODY} Nummer {i}."}) for i in range(6)]
    lines.insert(4, bad)
    data = "\n".join(lines).encode("utf-8", "surrogateescape") + b"\n"
    path = tmp_path / f"c.{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith("gz") else data)
    run = dqkit("clean", path, "-o", tmp_path / "out", "--shard-docs", "2", "--no-langid")
    assert run.code == 1 and "Traceback" not in run.err
    assert f"{path}:5: {detail}" in run.err
    assert not (tmp_path / "out").exists()


@pytest.fixture
def no_planning(monkeypatch):
    """A run that gets as far as planning its shards fails the test: the checks come first."""
    from dqkit import pipeline

    def planned(*args, **kwargs):
        raise AssertionError("the run planned its shards")

    monkeypatch.setattr(pipeline, "plan_shards", planned)


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_a_misspelt_text_or_id_field_stops_the_run_before_planning(tmp_path, dqkit, no_planning, suffix):
    path = tmp_path / f"c{suffix}"
    lines = "".join(json.dumps({"body": BODY, "key": f"k{i}", "section": "x"}) + "\n" for i in range(2)).encode()
    path.write_bytes(gzip.compress(lines) if suffix.endswith(".gz") else lines)
    run = dqkit("clean", path, "-o", tmp_path / "out", "--text-field", "bdoy")
    assert run.code == 1
    assert f"{path}:1: text field 'bdoy' is missing; fields present: body, key, section" in run.err
    run = dqkit("clean", path, "-o", tmp_path / "out", "--text-field", "body", "--id-field", "kye")
    assert run.code == 1
    assert f"{path}:1: id field 'kye' is missing; fields present: body, key, section" in run.err
    assert "--id-field" in run.err
    assert not (tmp_path / "out").exists()


def test_the_first_record_is_the_first_non_blank_line(tmp_path, dqkit, no_planning):
    (tmp_path / "c.jsonl").write_text('\n\n{"body": "x"}\n')
    run = dqkit("clean", tmp_path / "c.jsonl", "-o", tmp_path / "out")
    assert run.code == 1 and f"{tmp_path / 'c.jsonl'}:3: text field 'text' is missing" in run.err


def test_with_on_error_skip_a_first_record_without_the_fields_is_a_warning(tmp_path, dqkit):
    write_jsonl(tmp_path / "c.jsonl", [{"body": BODY}, {"body": BODY + " Zwei.", "key": "k2"}])
    run = dqkit("clean", tmp_path / "c.jsonl", "-o", tmp_path / "out", "--text-field", "body", "--id-field", "key",
                "--on-error", "skip", "--no-dedup")
    assert run.code == 0, run.err
    assert "warning: " in run.err and "id field 'key' is missing" in run.err
    assert read_outputs(tmp_path / "out")["clean"]["id"].to_list() == ["c.jsonl:1", "k2"]


def test_ids_made_from_file_and_line_come_with_a_hint(tmp_path, dqkit):
    (tmp_path / "in").mkdir()
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"text": BODY}])
    write_jsonl(tmp_path / "in" / "b.jsonl", [{"text": BODY + " B."}])
    run = dqkit("clean", tmp_path / "in", "-o", tmp_path / "out", "--no-dedup")
    assert run.code == 0, run.err
    assert f"no 'id' field in the first record of {tmp_path / 'in' / 'a.jsonl'} and 1 more file(s)" in run.err
    assert "--id-field" in run.err
    (tmp_path / "ids").mkdir()
    write_jsonl(tmp_path / "ids" / "c.jsonl", [{"id": "x", "text": BODY}])
    run = dqkit("clean", tmp_path / "ids", "-o", tmp_path / "out2")
    assert run.code == 0 and "--id-field" not in run.err


def test_parquet_fields_are_checked_from_the_schema_before_planning(tmp_path, dqkit, no_planning):
    pl.DataFrame({"body": [BODY], "key": ["k"]}).write_parquet(tmp_path / "c.parquet")
    run = dqkit("clean", tmp_path / "c.parquet", "-o", tmp_path / "out")
    assert run.code == 1 and "no text column 'text'; columns present: body, key" in run.err
    run = dqkit("clean", tmp_path / "c.parquet", "-o", tmp_path / "out", "--text-field", "body", "--id-field", "kye")
    assert run.code == 1 and f"{tmp_path / 'c.parquet'}: id field 'kye' is missing; fields present: body, key" in run.err


def test_a_glob_passes_over_files_dqkit_does_not_read_and_a_named_one_is_refused(tmp_path, dqkit):
    write_jsonl(tmp_path / "a.jsonl", _records(2))
    (tmp_path / "PROVENANCE.md").write_text("# where the data comes from\n")
    run = dqkit("clean", str(tmp_path / "*"), "-o", tmp_path / "out", "--no-dedup")
    assert run.code == 0, run.err
    assert f"1 file(s) a glob matched are not a type dqkit reads, skipped: {tmp_path / 'PROVENANCE.md'}" in run.err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["inputs"]["skipped_files"] == [str(tmp_path / "PROVENANCE.md")]
    run = dqkit("clean", tmp_path / "PROVENANCE.md", "-o", tmp_path / "out2")
    assert run.code == 2 and "unsupported input file" in run.err
