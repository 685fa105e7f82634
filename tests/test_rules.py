"""Rule packs: every built-in example holds; broken rule files are caught with file:line."""

from __future__ import annotations

import pytest

from conftest import PROMO_RULE, SEEDS, read_outputs, write_pack
from dqkit.errors import RuleFileError
from dqkit.rules.examples import check_rule
from dqkit.rules.loading import builtin_rules_dir, load_rules

BUILTIN = load_rules([])


def test_builtin_packs_cover_the_languages():
    langs = {lang for rule in BUILTIN.rules for lang in rule.langs}
    assert {"any", "de", "en", "fr", "it", "es"} <= langs
    assert {p.name for p in builtin_rules_dir().iterdir() if p.is_dir()} >= {"any", "de", "en", "fr", "it", "es"}


@pytest.mark.parametrize("rule", BUILTIN.rules, ids=lambda r: r.id)
def test_builtin_rule_examples(rule):
    assert rule.examples["match"] and rule.examples["no_match"]
    failures = [f"{r.group} {r.example.where}: {r.status} {r.detail}" for r in check_rule(rule) if r.failed]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("text, expected", [
    (PROMO_RULE.replace("    message:", "    mesage:"), "mine.yaml:5:5: unknown key 'mesage' in a rule (did you mean 'message'?)"),
    (PROMO_RULE.replace('{phrases: ["Jetzt im Shop"], anchor: full_line}', "{regex: '(?<=x)y'}"),
     "mine.yaml:6:13: regex '(?<=x)y' is not usable: regex parse error"),
    (PROMO_RULE.replace('{phrases: ["Jetzt im Shop"], anchor: full_line}', "{regex: 'a*'}"),
     "matches the empty string"),
    (PROMO_RULE.replace('      no_match: ["Jetzt im Shop gibt es mehr als früher, sagt die Händlerin."]\n', ""),
     "mine.yaml:7:5: a rule needs at least one 'no_match' example"),
    (PROMO_RULE.replace("id: de.custom.promo", "id: Promo"), "mine.yaml:4:5: rule id 'Promo' must look like"),
    (PROMO_RULE.replace("lang: [de]", "lang: [deutsch]"), "'deutsch' is not a language tag"),
    (PROMO_RULE.replace("anchor: full_line", "anchor: everywhere"), "anchor must be one of"),
    (PROMO_RULE.replace("rules:\n", "rules:\n  - [\n"), "mine.yaml:5:"),
])
def test_broken_rule_files_are_reported_with_position(tmp_path, text, expected):
    path = write_pack(tmp_path, text)
    with pytest.raises(RuleFileError) as error:
        load_rules([path.parent], include_builtin=False)
    assert expected in str(error.value)


def test_duplicate_ids_name_both_places(tmp_path):
    path = write_pack(tmp_path, PROMO_RULE + PROMO_RULE.split("rules:\n")[1])
    with pytest.raises(RuleFileError) as error:
        load_rules([path.parent], include_builtin=False)
    assert "mine.yaml:10:5: duplicate rule id 'de.custom.promo' (first defined at" in str(error.value)


def test_clean_refuses_a_broken_rule_file(tmp_path, dqkit):
    write_pack(tmp_path, PROMO_RULE.replace("    message:", "    mesage:"))
    run = dqkit("clean", SEEDS, "-o", tmp_path / "out", "--rules", tmp_path / "rules")
    assert run.code == 1 and "mine.yaml:5:5" in run.err and "Traceback" not in run.err
    assert not (tmp_path / "out").exists()


def test_user_rules_are_applied_and_reported(tmp_path, dqkit):
    write_pack(tmp_path, PROMO_RULE)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(
        "Die Regierung hat am Montag neue Zahlen zur Lage veröffentlicht.\n„Jetzt im Shop“\n", encoding="utf-8")
    assert dqkit("clean", tmp_path / "in", "-o", tmp_path / "out", "--rules", tmp_path / "rules").code == 0
    result = read_outputs(tmp_path / "out")
    assert result["edits"].select("line_no", "kind", "rule_id").rows() == [
        (2, "line_removed", "de.custom.promo"), (3, "blank_line_folded", None)]
    assert result["report"]["rule_hits"]["de.custom.promo"]["samples"][0]["text"] == "„Jetzt im Shop“"
    assert f"{tmp_path / 'rules' / 'mine.yaml'}" in result["report"]["rules"]["files"]


def test_experimental_rules_only_flag(tmp_path, dqkit):
    write_pack(tmp_path, PROMO_RULE.replace("    message:", "    status: experimental\n    message:"))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Ein Satz über die Lage im Land.\nJetzt im Shop\n", encoding="utf-8")
    assert dqkit("clean", tmp_path / "in", "-o", tmp_path / "out", "--rules", tmp_path / "rules").code == 0
    result = read_outputs(tmp_path / "out")
    assert result["clean"]["text"].item() == "Ein Satz über die Lage im Land.\nJetzt im Shop\n"
    assert result["edits"].select("kind", "rule_id").rows() == [("line_flagged", "de.custom.promo")]
    assert result["clean"]["dq_flags"].item() == 1


def test_drop_doc_rule_rejects_the_document_with_the_rule(tmp_path, dqkit):
    write_pack(tmp_path, PROMO_RULE.replace("    message:", "    action: drop_doc\n    scope: document\n    message:"))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Ein Satz über die Lage im Land.\nJetzt im Shop\n", encoding="utf-8")
    (tmp_path / "in" / "b.txt").write_text("Ein anderer Satz über die Lage.\n", encoding="utf-8")
    assert dqkit("clean", tmp_path / "in", "-o", tmp_path / "out", "--rules", tmp_path / "rules",
                 "--no-builtin-rules").code == 0
    result = read_outputs(tmp_path / "out")
    assert result["rejects"].select("id", "reason", "detail").rows() == [
        ("a.txt", "rule_dropped", "rule de.custom.promo hit line 2")]
    assert result["clean"]["id"].to_list() == ["b.txt"]
    assert result["report"]["rules"]["count"] == 1
    assert result["report"]["rule_hits"]["de.custom.promo"]["samples"] == [
        {"doc_id": "a.txt", "line_no": 2, "text": "Jetzt im Shop"}]


def test_guard_threshold_and_no_dedup_options(tmp_path, dqkit):
    (tmp_path / "in").mkdir()
    text = "Kurzer Text.\nFolgen Sie uns auf Facebook und Instagram\n"
    (tmp_path / "in" / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "in" / "b.txt").write_text(text, encoding="utf-8")
    assert dqkit("clean", tmp_path / "in", "-o", tmp_path / "strict").code == 0
    assert read_outputs(tmp_path / "strict")["report"]["documents"]["rejected_by_reason"] == {"too_much_removed": 2}
    assert dqkit("clean", tmp_path / "in", "-o", tmp_path / "loose", "--max-removed", "0.9").code == 0
    loose = read_outputs(tmp_path / "loose")
    assert loose["report"]["documents"]["rejected_by_reason"] == {"exact_duplicate": 1}
    assert dqkit("clean", tmp_path / "in", "-o", tmp_path / "all", "--max-removed", "0.9", "--no-dedup").code == 0
    assert read_outputs(tmp_path / "all")["clean"]["text"].to_list() == ["Kurzer Text.", "Kurzer Text."]


def test_every_builtin_pattern_compiles():
    """clean skips compiling the built-in patterns at load time; this is where they are checked."""
    from dqkit.rules.model import RegexMatch, regex_pattern
    from dqkit.rules.schema import check_regex

    for rule in BUILTIN.rules:
        if isinstance(rule.match, RegexMatch):
            assert check_regex(regex_pattern(rule.match.patterns, rule.match.anchor, rule.match.case)) is None, rule.id
        for pattern in rule.exception_regex:
            assert check_regex(pattern) is None, rule.id


def test_the_shipped_prefilter_table_answers_as_the_analysis_does():
    """dqkit/data/prefilter.json spares every process the parse of the built-in patterns;
    it must hold exactly the built-in patterns, each with the analysis's own answer (after
    changing a pattern: python -m dqkit.rules.prefilter_table)."""
    from dqkit.rules.prefilter import _shipped
    from dqkit.rules.prefilter_table import builtin_analysis

    _shipped.cache_clear()
    assert _shipped() == builtin_analysis()
    assert len(_shipped()) > 30
