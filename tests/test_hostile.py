"""Hostile input: decompression bombs, ids that look like paths, rule files that try to
run code, a permissive umask, random Unicode. dqkit keeps working, loses nothing and lets
nothing in. (tests/README.md lists each case with what dqkit does.)"""

from __future__ import annotations

import gzip
import json
import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import zstandard
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import REPO, SEEDS, read_outputs, write_jsonl, write_pack
from dqkit.io import readers


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("suffix, compress", [
    (".jsonl.gz", gzip.compress),
    (".jsonl.zst", lambda data: zstandard.ZstdCompressor(level=19).compress(data)),
    (".txt.gz", gzip.compress),
])
def test_a_decompression_bomb_is_refused(tmp_path, dqkit, monkeypatch, suffix, compress):
    monkeypatch.setattr(readers, "EXPANSION_FLOOR", 1 << 18)  # the 256 MiB floor, scaled down for the test
    corpus = tmp_path / "in"
    corpus.mkdir()
    line = json.dumps({"text": "a" * 1000}).encode() + b"\n"
    (corpus / f"bomb{suffix}").write_bytes(compress(line * 2_000))  # 2 MB from a few KB
    before = _tree(tmp_path)
    result = dqkit("clean", corpus, "-o", tmp_path / "out", "-q")
    assert result.code == 1
    assert f"bomb{suffix}: expands to more than" in result.err and "decompression bomb" in result.err
    assert not (tmp_path / "out").exists()
    assert _tree(tmp_path) == before  # no work folder either: nothing decompressed is left
    # The limit is a setting: a user who trusts the file raises it.
    assert dqkit("clean", corpus, "-o", tmp_path / "out", "-q", "--max-expansion", "100000").code == 0


def test_ordinary_compressed_input_is_not_mistaken_for_a_bomb(tmp_path, dqkit, monkeypatch):
    monkeypatch.setattr(readers, "EXPANSION_FLOOR", 1 << 16)
    corpus = tmp_path / "in"
    corpus.mkdir()
    for seed in SEEDS.glob("*.txt"):  # prose compresses 3-4 times
        (corpus / (seed.name + ".gz")).write_bytes(gzip.compress(seed.read_bytes()))
    assert dqkit("clean", corpus, "-o", tmp_path / "out", "-q").code == 0


def test_ids_that_look_like_paths_stay_data(tmp_path, dqkit):
    corpus = tmp_path / "deep" / "in"
    corpus.mkdir(parents=True)
    hostile = ["../../escaped", "/etc/passwd", "..", "a/../../b", "C:\\Windows\\x", "~/x", "\x00nul"]
    write_jsonl(corpus / "d.jsonl", [{"id": i, "text": f"Ein Text mit der Nummer {n} und etwas mehr Inhalt."}
                                     for n, i in enumerate(hostile)])
    before = _tree(tmp_path)
    result = dqkit("clean", corpus, "-o", tmp_path / "deep" / "out", "-q")
    assert result.code == 0, result.err
    assert _tree(tmp_path) - before == {f"deep/out{p}" for p in [""] + [
        f"/{name}" for name in ("clean.jsonl", "rejects.jsonl", "edits.parquet", "report.json", "report.md",
                                "report.html", "timings.json")]}
    assert read_outputs(tmp_path / "deep" / "out")["clean"]["id"].to_list() == hostile


def test_rule_files_are_data_never_code(tmp_path, dqkit, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    pack = write_pack(tmp_path, f"""\
schema: dqkit/rules@1
lang: [de]
rules:
  - id: de.evil.tag
    message: !!python/object/apply:os.system ["touch {marker}"]
    match: {{phrases: ["x"]}}
""")
    result = dqkit("rules", "lint", pack.parent, "--no-builtin")
    assert result.code == 1 and not marker.exists()
    assert f"{pack}:" in result.out + result.err
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Ein Text.", encoding="utf-8")
    run = dqkit("clean", corpus, "-o", tmp_path / "out", "--rules", pack.parent, "-q")
    assert run.code == 1 and not marker.exists() and not (tmp_path / "out").exists()


def _dqkit_in_2_gb(*args, cwd: Path) -> subprocess.CompletedProcess:
    """dqkit in a subprocess that may map at most 2 GB: a regression fails there instead
    of eating the machine."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run([sys.executable, "-m", "dqkit", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, preexec_fn=limit, env={**os.environ, "PYTHONPATH": str(REPO)})


def _alias_bomb(levels: int = 9) -> str:
    """Each level lists the one below ten times: 10**9 leaves once expanded, 600 bytes of YAML."""
    lines = ["schema: dqkit/rules@1", "lang: [de]", 'l0: &l0 ["Jetzt", "im", "Shop", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    lines += ["rules:", "  - id: de.evil.laughs", "    message: m", f"    match: {{phrases: *l{levels - 1}}}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["rule file", "inline"])
def test_a_yaml_alias_bomb_is_refused_before_it_grows(tmp_path, where):
    text = _alias_bomb()
    if where == "inline":  # a bomb inside one flow collection, anchors defined as they are used
        text = "schema: dqkit/rules@1\nlang: [de]\nrules: [" + ", ".join(
            f"&n{i} [{', '.join([f'*n{i - 1}' if i else 'x'] * 10)}]" for i in range(9)) + "]\n"
    pack = write_pack(tmp_path, text)
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Ein Text.", encoding="utf-8")
    lint = _dqkit_in_2_gb("rules", "lint", pack.parent, "--no-builtin", cwd=tmp_path)
    clean = _dqkit_in_2_gb("clean", corpus, "-o", tmp_path / "out", "--rules", pack.parent, "-q", cwd=tmp_path)
    assert lint.returncode == 1 and clean.returncode == 1, (lint.stderr[-2000:], clean.stderr[-2000:])
    for run in (lint, clean):
        output = run.stdout + run.stderr
        assert "Traceback" not in output and "MemoryError" not in output
        assert f"{pack}:" in output and "aliases may add at most 100,000 nodes" in output
    assert lint.stdout.startswith(f"{pack}:") and "alias *" in lint.stdout
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("yaml_text, message", [
    ("a: &a [1, *a]\n", "alias *a refers to a collection it is in"),
    ("a: " + "[" * 150 + "]" * 150 + "\n", "nested more than 100 levels deep"),
])
def test_cyclic_and_deeply_nested_yaml_is_refused(tmp_path, dqkit, yaml_text, message):
    pack = write_pack(tmp_path, "schema: dqkit/rules@1\nlang: [de]\n" + yaml_text + "rules: []\n")
    result = dqkit("rules", "lint", pack.parent, "--no-builtin")
    assert result.code == 1 and f"{pack}:3:" in result.out and message in result.out
    assert "Traceback" not in result.out + result.err


@pytest.mark.parametrize("where", ["a-file/out", "/proc/dqkit-out"])
def test_an_output_folder_that_cannot_be_made_is_a_clear_error(tmp_path, dqkit, where):
    (tmp_path / "a-file").write_text("not a folder")
    result = dqkit("clean", SEEDS, "-o", tmp_path / where, "-q")
    assert result.code in (1, 2) and result.err.startswith("dqkit: error: ") and "Traceback" not in result.err


def test_nothing_written_is_writable_by_others_even_with_umask_0(tmp_path, dqkit):
    previous = os.umask(0)
    try:
        index = tmp_path / "index"
        assert dqkit("clean", SEEDS, "-o", tmp_path / "out", "--index", index, "-q").code == 0
    finally:
        os.umask(previous)
    written = [p for p in tmp_path.rglob("*")]
    assert written and all(not (p.stat().st_mode & stat.S_IWOTH) for p in written), [
        (str(p), oct(p.stat().st_mode)) for p in written if p.stat().st_mode & stat.S_IWOTH]


# --------------------------------------------------------------------------- random Unicode

UNICODE_PIECES = st.sampled_from([
    "\u200b", "\u200d", "\ufeff", "\u202e", "\u0301", "\u05d0\u05d1", "\u0627\u0644", "\r\n", "\r", "\n", "\t",
    "\x00", "\x07", "\x1b[31m", "\ud7ff", "\U0001f600", "Ã¤", "ServiceNach", "Folgen Sie uns auf Facebook",
    "PREV", "\u00a0", " ", "  ", "a" * 300, "<script>", "{{x}}", "\u2028", "\u0085",
])
TEXTS = st.lists(st.one_of(UNICODE_PIECES, st.text(min_size=0, max_size=40)), min_size=0, max_size=30).map("".join)


def _write_corpus(folder: Path, texts: list[str]) -> None:
    folder.mkdir(parents=True)
    write_jsonl(folder / "docs.jsonl", [{"id": f"d{n}", "text": t} for n, t in enumerate(texts)])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(texts=st.lists(TEXTS, min_size=1, max_size=6))
def test_random_unicode_keeps_the_invariants(tmp_path_factory, dqkit, texts):
    root = tmp_path_factory.mktemp("prop")
    _write_corpus(root / "in", texts)
    first = dqkit("clean", root / "in", "-o", root / "a", "-q", "--no-langid")
    assert first.code == 0, first.err
    again = dqkit("clean", root / "in", "-o", root / "b", "-q", "--no-langid")
    assert again.code == 0
    for name in ("clean.jsonl", "rejects.jsonl", "edits.parquet", "report.json"):
        assert (root / "a" / name).read_bytes() == (root / "b" / name).read_bytes(), name
    outputs = read_outputs(root / "a")
    documents = outputs["report"]["documents"]
    assert documents["in"] == len(texts) == documents["kept"] + documents["rejected"]
    ids = {i for name in ("clean", "rejects") if outputs[name].height for i in outputs[name]["id"]}
    assert ids == {f"d{n}" for n in range(len(texts))}
    # Idempotent: the cleaned texts, cleaned again, lose nothing and change no more.
    if outputs["clean"].height:
        write_jsonl(root / "again.jsonl", outputs["clean"].select("id", "text").to_dicts())
        rerun = dqkit("clean", root / "again.jsonl", "-o", root / "c", "-q", "--no-langid", "--no-dedup")
        assert rerun.code == 0, rerun.err
        second = read_outputs(root / "c")
        assert second["clean"].select("id", "text").equals(
            outputs["clean"].select("id", "text").filter(pl.col("id").is_in(second["clean"]["id"].implode())))
        assert second["edits"].filter(pl.col("kind") == "line_removed").is_empty()


def test_lone_surrogates_and_control_characters_in_json(tmp_path, dqkit):
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "d.jsonl").write_text(
        '{"id": "s", "text": "Ein Text \\ud800 mit einem einsamen Surrogat und mehr Worten."}\n'
        '{"id": "c", "text": "Steuerzeichen \\u0000 \\u001b[2J und ein Zeilenvorschub\\r\\nim Text."}\n',
        encoding="utf-8")
    result = dqkit("clean", corpus, "-o", tmp_path / "out", "-q")
    assert result.code == 0, result.err
    outputs = read_outputs(tmp_path / "out")
    assert outputs["report"]["documents"]["in"] == 2 and outputs["report"]["documents"]["balanced"]
    texts = dict(outputs["clean"].select("id", "text").iter_rows())
    assert "\ufffd" in texts["s"]  # the lone surrogate became U+FFFD, the rest is intact
    assert "\r" not in texts["c"]


# --------------------------------------------------------------------------- random rule sets

PHRASES = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=3, max_size=20).filter(
    lambda s: s.strip() and not s.startswith((" ", "\t")))
REGEX_PIECES = st.sampled_from([r"\d+", r"[A-ZÄÖÜ]\w+", r"\s+", r"(?i)folgen", r"\.", r"[^\s]{3,}", r"(?:foo|bar)",
                                r"x?y*", r"\b", r"\p{Lu}", r".{0,20}", r"Facebook", r"[„“\"]"])


@st.composite
def rule_specs(draw) -> str:
    kind = draw(st.sampled_from(["phrases", "regex"]))
    if kind == "phrases":
        patterns = draw(st.lists(PHRASES, min_size=1, max_size=3))
    else:
        patterns = ["".join(draw(st.lists(REGEX_PIECES, min_size=1, max_size=4)))]
    action = draw(st.sampled_from(["drop_line", "flag", "drop_span"]))
    if action == "drop_span":  # a regex anchored at one end of the line
        kind = "regex"
        patterns = ["".join(draw(st.lists(REGEX_PIECES, min_size=1, max_size=4)))]
        anchor = draw(st.sampled_from(["line_start", "line_end"]))
    else:
        anchor = draw(st.sampled_from(["anywhere", "line_start", "line_end", "full_line"]))
    window = draw(st.sampled_from(["", "where: {position: {head_lines: 2}}", "where: {max_line_chars: 40}"]))
    return (f"match: {{{kind}: {json.dumps(patterns, ensure_ascii=False)}, anchor: {anchor}}}\n"
            f"action: {action}\n{window}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(specs=st.lists(rule_specs(), min_size=1, max_size=4), texts=st.lists(TEXTS, min_size=1, max_size=4))
def test_random_rule_sets_on_random_text_keep_the_invariants(specs, texts):
    from dqkit.assemble import clean_lines
    from dqkit.rules.schema import parse_rule_file
    from dqkit.rules.yamlpos import load_yaml

    body = "".join(f"  - id: de.random.r{n}\n    message: m\n"
                   + "".join(f"    {line}\n" for line in spec.strip().splitlines())
                   + "    examples: {match: [x], no_match: [y]}\n" for n, spec in enumerate(specs))
    rules, problems = parse_rule_file(load_yaml(f"schema: dqkit/rules@1\nlang: [de]\nrules:\n{body}", "r.yaml"),
                                      "r.yaml")
    assume(not problems.items)  # a rule the schema refuses (e.g. one matching the empty string) is not valid
    docs = pl.DataFrame({"_doc": list(range(len(texts))), "text": [t.replace("\r", "") for t in texts],
                         "_lang_hint": ["de"] * len(texts)},
                        schema={"_doc": pl.Int64, "text": pl.String, "_lang_hint": pl.String})
    outcome = clean_lines(docs, tuple(rules))
    again = clean_lines(docs, tuple(rules))
    assert outcome.texts.equals(again.texts) and outcome.edits.equals(again.edits)  # deterministic
    removed = outcome.edits.filter(pl.col("kind") == "line_removed")
    for doc, text in enumerate(docs["text"]):  # every removed line was a line of the document
        lines = text.split("\n")
        for line_no, before in removed.filter(pl.col("_doc") == doc).select("line_no", "before").iter_rows():
            assert lines[line_no - 1] == before
    for doc, text in enumerate(docs["text"]):  # a span cut shortens the line at one end, as the audit says
        lines = text.split("\n")
        spans = outcome.edits.filter((pl.col("_doc") == doc) & (pl.col("kind") == "span_removed"))
        for line_no, before, after in spans.select("line_no", "before", "after").iter_rows():
            assert len(after) < len(before) and after.strip()
            assert before.startswith(after) or before.endswith(after.lstrip()), (before, after)
            if line_no not in spans.filter(pl.col("after") == before)["line_no"].to_list():
                assert lines[line_no - 1] == before  # the first cut of a line starts from the line as read
    # Idempotent: the cleaned texts give no new removal and no new cut.
    cleaned = outcome.texts.select("_doc", "text").join(docs.select("_doc", "_lang_hint"), on="_doc")
    kinds = clean_lines(cleaned, tuple(rules)).edits["kind"]
    assert not kinds.is_in(["line_removed", "span_removed"]).any()
