"""dqkit rules test / lint / list / explain / suggest, settings and overrides."""

from __future__ import annotations

import json
import re
import time

import polars as pl
import pytest
import yaml

from conftest import PROMO_RULE, SEEDS, SHARED, read_outputs, write_jsonl, write_pack
from dqkit.rules.engine import line_table, match_lines
from dqkit.rules.schema import parse_rule_file
from dqkit.rules.yamlpos import load_yaml

def _pack(tmp_path, text):
    return write_pack(tmp_path, text).parent


def test_rules_test_passes_on_the_builtin_packs(dqkit):
    run = dqkit("rules", "test")
    assert run.code == 0
    passed, failed = re.fullmatch(r"(\d+) passed, (\d+) failed", run.out.strip().splitlines()[-1]).groups()
    assert int(passed) > 300 and failed == "0"


def test_rules_test_fails_on_a_broken_example_and_names_it(tmp_path, dqkit):
    folder = _pack(tmp_path, PROMO_RULE.replace('no_match: ["Jetzt', 'no_match: ["Jetzt im Shop", "Jetzt'))
    run = dqkit("rules", "test", folder)
    assert run.code == 1
    assert run.out.strip().splitlines()[-1] == "2 passed, 1 failed"
    assert "FAIL de.custom.promo no_match" in run.out and "mine.yaml:9:" in run.out and "noisy" in run.out


def test_todo_examples_pass_until_they_are_fixed(tmp_path, dqkit):
    known = _pack(tmp_path, PROMO_RULE + '      todo_match: ["Bald im Shop"]\n')
    assert dqkit("rules", "test", known).code == 0
    fixed = _pack(tmp_path, PROMO_RULE + '      todo_match: ["Jetzt im Shop."]\n')
    run = dqkit("rules", "test", fixed)
    assert run.code == 1 and "fixed" in run.out and "passes now" in run.out


def test_lint_reports_each_error_at_its_position(tmp_path, dqkit):
    broken = PROMO_RULE.replace("    message: Promo line", "    message: Promo line\n    descripton: typo") + """\
  - id: de.custom.promo
    message: Again
    match: {regex: '(?<=x)Shop'}
    examples: {match: [a], no_match: [b]}
"""
    folder = _pack(tmp_path, broken)
    run = dqkit("rules", "lint", "--no-builtin", folder)
    assert run.code == 1
    path = folder / "mine.yaml"
    errors = [line for line in run.out.splitlines() if line.startswith(f"{path}:")]
    assert len(errors) == 3, run.out
    assert errors[0].startswith(f"{path}:6:5: error: unknown key 'descripton' in a rule (did you mean 'description'?)")
    assert errors[1].startswith(f"{path}:13:13: error: regex '(?<=x)Shop' is not usable: regex parse error")
    assert errors[2] == f"{path}:11:5: error: duplicate rule id 'de.custom.promo' (first defined at {path}:4:5)"
    assert "^^^" in run.out  # the engine's caret under the bad spot
    assert run.out.splitlines()[-1] == "3 error(s), 0 warning(s)"


def test_lint_formats_and_exit_codes(tmp_path, dqkit):
    folder = _pack(tmp_path, PROMO_RULE.replace("anchor: full_line}", "anchor: everywhere}"))
    data = json.loads(dqkit("rules", "lint", "--no-builtin", "--format", "json", folder).out)
    assert data[0]["line"] == 6 and data[0]["level"] == "error" and "anchor must be one of" in data[0]["message"]
    github = dqkit("rules", "lint", "--no-builtin", "--format", "github", folder).out
    assert github.startswith(f"::error file={folder / 'mine.yaml'},line=6,col=")
    assert dqkit("rules", "lint").code == 0
    assert dqkit("rules", "lint", tmp_path / "missing").code == 2


def test_lint_warns_about_over_broad_rules(tmp_path, dqkit):
    folder = _pack(tmp_path, PROMO_RULE.replace('{phrases: ["Jetzt im Shop"], anchor: full_line}', "{regex: 'Shop.*'}")
                   .replace('match: ["Jetzt im Shop!"]', 'match: ["Jetzt im Shop!"]'))
    (folder / "notes.txt").write_text("not a rule file")
    run = dqkit("rules", "lint", "--no-builtin", folder)
    assert run.code == 0
    assert "warning: unbounded repeat in 'Shop.*'" in run.out
    assert "warning: a removing rule without max_line_chars" in run.out
    assert "notes.txt: warning: not read" in run.out


def test_catastrophic_pattern_runs_in_linear_time():
    """(a+)+$ takes exponential time in a backtracking engine on 'aaa…!'; here it is linear."""
    text = PROMO_RULE.replace('{phrases: ["Jetzt im Shop"], anchor: full_line}', "{regex: '(a+)+$'}").replace(
        '["Jetzt im Shop!"]', '["aaa"]').replace('["Jetzt im Shop gibt es mehr als früher, sagt die Händlerin."]', '["b!"]')
    rules, problems = parse_rule_file(load_yaml(text, "t.yaml"), "t.yaml")
    assert not problems.items

    def seconds(size):
        docs = pl.DataFrame({"_doc": [0], "text": ["a" * size + "!"], "_lang_hint": [None]},
                            schema={"_doc": pl.Int64, "text": pl.String, "_lang_hint": pl.String})
        lines = line_table(docs)
        started = time.perf_counter()
        assert match_lines(lines, tuple(rules)).is_empty()
        return time.perf_counter() - started

    one, four = seconds(1_000_000), seconds(4_000_000)
    assert one < 5.0, one
    assert four < 4 * one * 3 + 0.5, (one, four)


def test_list_and_explain(dqkit):
    listing = dqkit("rules", "list", "--corpus", SEEDS)
    assert listing.code == 0
    row = next(line for line in listing.out.splitlines() if line.startswith("de.nav.back-to-top"))
    assert row.split()[-2:] == ["1", "1"]
    explained = dqkit("rules", "explain", "any.nav.prev-next")
    assert explained.code == 0 and "defined:" in explained.out and "PREV" in explained.out
    missing = dqkit("rules", "explain", "any.nav.prev-nxt")
    assert missing.code == 2 and "did you mean any.nav.prev-next" in missing.err


def test_settings_disable_and_change_actions(tmp_path, dqkit, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dqkit.toml").write_text('[rules]\ndisable = ["any.structure.*"]\n'
                                         '[rules.actions]\n"de.nav.*" = "flag"\n')
    assert dqkit("clean", SEEDS, "-o", tmp_path / "out").code == 0
    result = read_outputs(tmp_path / "out")
    rules_hit = set(result["edits"]["rule_id"].drop_nulls())
    assert not any(r.startswith("any.structure.") for r in rules_hit)
    flagged = result["edits"].filter(pl.col("kind") == "line_flagged")["rule_id"].to_list()
    assert "de.nav.back-to-top" in flagged and "de.nav.related-articles" in flagged
    assert result["report"]["rules"]["count"] < 82


def test_pyproject_settings_and_builtin_override(tmp_path, dqkit, monkeypatch):
    monkeypatch.chdir(tmp_path)
    override = PROMO_RULE.replace("de.custom.promo", "de.nav.back-to-top").replace("Promo line", "Back to top, my way")
    _pack(tmp_path, override)
    (tmp_path / "pyproject.toml").write_text('[tool.dqkit.rules]\npaths = ["rules"]\n')
    run = dqkit("clean", SEEDS, "-o", tmp_path / "out")
    assert run.code == 1 and "duplicate rule id 'de.nav.back-to-top'" in run.err and "override: true" in run.err
    _pack(tmp_path, override.replace("    message:", "    override: true\n    message:"))
    assert dqkit("clean", SEEDS, "-o", tmp_path / "out").code == 0
    report = read_outputs(tmp_path / "out")["report"]
    assert "de.nav.back-to-top" not in report["rule_hits"]  # the user rule does not match the seed line
    assert report["rules"]["count"] == 82


def test_suggest_finds_template_lines_not_article_text(tmp_path, dqkit):
    topics = ["Hafen", "Schule", "Brücke", "Wahl", "Museum", "Bahnhof"]
    articles = [f"Artikel über {t}: " + " ".join(f"{t.lower()}wort{j}" for j in range(40)) + "." for t in topics]
    records = []
    for i, body in enumerate(articles):
        for copy in range(2):  # every article twice: its body lines repeat, but in one article
            records.append({"id": f"a{i}c{copy}", "source": f"site{copy}.example",
                            "text": f"Neues vom {topics[i]}\n{body}\nAbonnieren Sie den Stadtkurier heute\n"
                                    f"Leserpost Nr. {10 + i} an die Redaktion"})
    path = write_jsonl(tmp_path / "c.jsonl", records)
    run = dqkit("rules", "suggest", path, "--top", "5", "-o", tmp_path / "s.yaml")
    assert run.code == 0, run.err
    suggested = yaml.safe_load((tmp_path / "s.yaml").read_text())["rules"]
    matches = [r["examples"]["match"][0] for r in suggested]
    assert "Abonnieren Sie den Stadtkurier heute" in matches
    assert any(m.startswith("Leserpost Nr. ") for m in matches)
    assert not any(m.startswith(("Artikel", "Neues vom")) for m in matches)
    assert dqkit("rules", "lint", "--no-builtin", tmp_path / "s.yaml").code == 0
    assert dqkit("rules", "test", tmp_path / "s.yaml").code == 0


SYNDICATION = SHARED / "data" / "syndication-dev"


@pytest.mark.skipif(not SYNDICATION.exists(), reason="../shared/data/syndication-dev is not available")
def test_suggest_on_syndication_dev_lists_the_injected_boilerplate(tmp_path, dqkit):
    import gzip

    injected = {re.sub(r"\s+", " ", b["text"].strip()).lower()
                for line in gzip.open(SYNDICATION / "meta.jsonl.gz", "rt", encoding="utf-8")
                for b in json.loads(line)["boilerplate"]}
    run = dqkit("rules", "suggest", SYNDICATION / "docs.jsonl.gz", "--top", "20", "-o", tmp_path / "s.yaml")
    assert run.code == 0, run.err
    suggested = yaml.safe_load((tmp_path / "s.yaml").read_text())["rules"]
    found = [any(re.sub(r"\s+", " ", v).lower() in injected for v in r["examples"]["match"]) for r in suggested]
    assert len(found) == 20 and sum(found) >= 18, sum(found)
    assert dqkit("rules", "lint", "--no-builtin", tmp_path / "s.yaml").code == 0
    assert dqkit("rules", "test", tmp_path / "s.yaml").code == 0
