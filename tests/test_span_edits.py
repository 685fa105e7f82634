"""drop_span rules: a span anchored at the start or end of a line is cut, the rest of the
line stays, and the audit says so (span_removed, before/after)."""

from __future__ import annotations

import polars as pl
import pytest

from conftest import SEEDS, read_outputs, write_jsonl, write_pack
from dqkit.assemble import clean_lines
from dqkit.errors import RuleFileError
from dqkit.rules.examples import check_rule
from dqkit.rules.loading import load_rules
from dqkit.rules.schema import parse_rule_file
from dqkit.rules.yamlpos import load_yaml

CAPS_PLACE = "{{regex: '\\p{{Lu}}{{4,}}(?: \\p{{Lu}}{{2,}})?: ', anchor: line_start}}"  # "SEOUL: ", "BUENOS AIRES: "
DATELINE = f"""\
  - id: {{lang}}.test.dateline
    message: Dateline
    action: drop_span
    match: {CAPS_PLACE}
    examples: {{{{match: ["SEOUL: Text"], no_match: ["Seoul: Text"]}}}}
"""
AGENCY_TAG = """\
  - id: {lang}.test.agency-tag
    message: Agency tag
    action: drop_span
    match: {{regex: ' ?\\((?:AFP|dpa)\\)', anchor: line_end}}
    examples: {{match: ["Text. (AFP)"], no_match: ["Text (AP)."]}}
"""
KILL_LINE = """\
  - id: {lang}.test.notice
    message: Notice line
    match: {{regex: 'Dieser Text wurde automatisch', anchor: anywhere}}
    where: {{max_line_chars: 200}}
    examples: {{match: ["SEOUL: Dieser Text wurde automatisch übersetzt."], no_match: ["Text"]}}
"""
GERMAN = (
    "Südkorea hat am Montag den russischen Botschafter einbestellt, um die Entscheidung des Nordens zu "
    "kritisieren, Tausende Soldaten zur Unterstützung des Krieges in der Ukraine zu entsenden."
)
ENGLISH = (
    "South Korea summoned the Russian ambassador on Monday to protest against the decision of the North "
    "to send thousands of troops to support the war in Ukraine, the foreign ministry said."
)


def pack(*rules: str, lang: str = "de") -> str:
    return f"schema: dqkit/rules@1\nlang: [{lang}]\nrules:\n" + "".join(r.format(lang=lang) for r in rules)


def parse(text: str):
    rules, problems = parse_rule_file(load_yaml(text, "t.yaml"), "t.yaml")
    assert not problems.items, problems.items
    return tuple(rules)


def clean(rules, *texts):
    docs = pl.DataFrame(
        {"_doc": list(range(len(texts))), "text": list(texts), "_lang_hint": [None] * len(texts)},
        schema={"_doc": pl.Int64, "text": pl.String, "_lang_hint": pl.String},
    )
    return clean_lines(docs, rules)


def test_the_span_is_cut_and_the_rest_of_the_line_kept():
    outcome = clean(parse(pack(DATELINE)), f"Titel\n\nSEOUL: {GERMAN}\n\nZweiter Absatz.")
    assert outcome.texts["text"].item() == f"Titel\n\n{GERMAN}\n\nZweiter Absatz."
    assert outcome.edits.select("line_no", "kind", "rule_id", "before", "after").rows() == [
        (3, "span_removed", "de.test.dateline", f"SEOUL: {GERMAN}", GERMAN)
    ]
    content = len("Titel") + len(f"SEOUL: {GERMAN}") + len("Zweiter Absatz.")
    assert outcome.texts.select("chars_in", "chars_removed").row(0) == (content, len("SEOUL: "))
    assert outcome.hits.select("rule_id", "action").rows() == [("de.test.dateline", "drop_span")]


def test_the_cut_is_made_on_the_line_as_read():
    """The span is matched on the normalised line and cut from the original: a run of
    spaces, typographic quotes and leading white space stay as they were."""
    tag = parse(pack(AGENCY_TAG.replace("(?:AFP|dpa)", '(?:AFP|dpa)(?: "\\w+")?')))
    rules = parse(pack(DATELINE)) + tag
    first = "  BUENOS  AIRES:   „Wir bleiben“, sagte sie.  (AFP „Paris“)  "
    outcome = clean(rules, f"{first}\nSEO\u200bUL: Text hier. (dpa)")
    assert outcome.texts["text"].item() == "  „Wir bleiben“, sagte sie.\nSEO\u200bUL: Text hier."
    edits = outcome.edits.select("line_no", "rule_id", "before", "after").rows()
    assert edits == [
        (1, "de.test.dateline", first, "  „Wir bleiben“, sagte sie.  (AFP „Paris“)  "),
        (1, "de.test.agency-tag", "  „Wir bleiben“, sagte sie.  (AFP „Paris“)  ", "  „Wir bleiben“, sagte sie."),
        # a zero-width character inside the span: the span is not where the rules saw it, no cut
        (2, "de.test.agency-tag", "SEO\u200bUL: Text hier. (dpa)", "SEO\u200bUL: Text hier."),
    ]


def test_a_line_that_a_drop_line_rule_removes_gets_no_span_edit():
    outcome = clean(parse(pack(DATELINE, KILL_LINE)), f"{GERMAN}\nSEOUL: Dieser Text wurde automatisch übersetzt.")
    assert outcome.edits.select("line_no", "kind", "rule_id").rows() == [(2, "line_removed", "de.test.notice")]
    assert outcome.texts["text"].item() == GERMAN
    assert outcome.texts["chars_removed"].item() == len("SEOUL: Dieser Text wurde automatisch übersetzt.")


def test_a_span_rule_that_would_leave_only_punctuation_does_nothing():
    rules = parse(pack(DATELINE, AGENCY_TAG))
    text = "SEOUL: ...\n(dpa)\n- (AFP)"
    outcome = clean(rules, text)
    assert outcome.texts["text"].item() == text
    assert outcome.edits.is_empty()
    assert outcome.hits.height == 3  # the rules hit; the cuts are not made
    # ... and rules test says a match example like that is hit but not cut
    example = pack(DATELINE).replace('match: ["SEOUL: Text"]', 'match: ["SEOUL: Text", "SEOUL: --"]')
    failures = [r for r in check_rule(parse(example)[0]) if r.failed]
    assert [(r.status, r.example.text) for r in failures] == [("wrong_span", "SEOUL: --")]
    assert "not cut" in failures[0].detail


def test_one_cut_at_each_end_from_the_first_rule_and_the_rest_matched_again():
    """A cut takes a rule's span as often as it repeats at that end of the line, from the
    first rule in rule order that hit the line (the start first); the rest is matched
    again, as a cleaned text would be."""
    lazy = "{{regex: '.{{1,40}}?: ', anchor: line_start}}"
    wider = DATELINE.replace("dateline", "dateline-wide").replace(CAPS_PLACE, lazy)
    outcome = clean(parse(pack(DATELINE, wider, AGENCY_TAG)), "SEOUL: BERLIN: Ein Satz über Berlin. (AFP) (dpa)")
    assert outcome.edits.select("rule_id", "before", "after").rows() == [
        ("de.test.dateline", "SEOUL: BERLIN: Ein Satz über Berlin. (AFP) (dpa)", "Ein Satz über Berlin. (AFP) (dpa)"),
        ("de.test.agency-tag", "Ein Satz über Berlin. (AFP) (dpa)", "Ein Satz über Berlin."),
    ]
    first = clean(parse(pack(wider, DATELINE)), "SEOUL: Ein Satz über Berlin.")
    assert first.edits.select("rule_id").rows() == [("de.test.dateline-wide",)]
    # a cut that uncovers another rule's span: the next round cuts it
    leading_tag = AGENCY_TAG.replace("agency-tag", "leading-tag").replace(
        "' ?\\((?:AFP|dpa)\\)', anchor: line_end", "'\\((?:AFP|dpa)\\) - ', anchor: line_start"
    )
    rounds = clean(parse(pack(DATELINE, leading_tag)), "(AFP) - SEOUL: Text hier.")
    assert rounds.edits.select("rule_id", "after").rows() == [
        ("de.test.leading-tag", "SEOUL: Text hier."),
        ("de.test.dateline", "Text hier."),
    ]
    # the rest of a cut line that a drop_line rule hits: the line goes, as read, with no span edit
    at_start = KILL_LINE.replace("anchor: anywhere", "anchor: line_start")
    removed = clean(parse(pack(DATELINE, at_start)), f"{GERMAN}\nSEOUL: Dieser Text wurde automatisch übersetzt.")
    assert removed.edits.select("line_no", "kind", "before").rows() == [
        (2, "line_removed", "SEOUL: Dieser Text wurde automatisch übersetzt.")
    ]
    assert removed.texts.select("text", "chars_removed").row(0) == (GERMAN, 47)


def test_cleaning_the_clean_text_again_cuts_nothing_more():
    rules = parse(pack(DATELINE, AGENCY_TAG, KILL_LINE))
    text = f"WIEN: BERLIN: SEOUL: {GERMAN} (AFP)\nSEOUL: Dieser Text wurde automatisch übersetzt. (dpa)\nKIEW: (dpa)"
    once = clean(rules, text)
    assert once.texts["text"].item() == f"{GERMAN}\n(dpa)"  # the tag alone is for the sign-off rules
    assert clean(rules, once.texts["text"].item()).edits.is_empty()


@pytest.mark.parametrize(
    "match, message",
    [
        ("{regex: '[A-Z]+: '}", "a drop_span rule needs anchor: line_start or line_end (the span is cut from one end"),
        ("{regex: '[A-Z]+: ', anchor: anywhere}", "not 'anywhere'"),
        ("{regex: '[A-Z]+: ', anchor: full_line}", "not 'full_line'"),
        ("{phrases: ['SEOUL: '], anchor: line_start}", "needs a regex anchored at line_start or line_end, not phrases"),
        ("{repeat: {min_count: 2}}", "needs a regex anchored at line_start or line_end, not repeat"),
    ],
)
def test_lint_refuses_a_drop_span_rule_that_is_not_anchored_at_one_end(tmp_path, dqkit, match, message):
    rule = DATELINE.replace(CAPS_PLACE, match.replace("{", "{{").replace("}", "}}"))
    if "repeat" in match:
        rule += "    scope: document\n"
    path = write_pack(tmp_path, pack(rule))
    run = dqkit("rules", "lint", "--no-builtin", path.parent)
    assert run.code == 1
    assert f"{path}:7:" in run.out and message in run.out, run.out
    with pytest.raises(RuleFileError, match=r"mine\.yaml:7:"):
        load_rules([path.parent], include_builtin=False)


def test_settings_cannot_turn_an_unanchored_rule_into_a_span_rule(tmp_path, dqkit, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dqkit.toml").write_text('[rules.actions]\n"de.nav.back-to-top" = "drop_span"\n')
    run = dqkit("clean", SEEDS, "-o", tmp_path / "out")
    assert run.code == 1 and "dqkit.toml" in run.err and "de.nav.back-to-top" in run.err
    assert "a drop_span rule needs" in run.err and not (tmp_path / "out").exists()


def test_a_span_rule_of_another_language_is_undone_on_a_document_trusted_to_be_in_another(tmp_path, dqkit):
    folder = write_pack(tmp_path, pack(DATELINE, lang="en")).parent
    german = f"SEOUL: {GERMAN}\n\n{GERMAN.replace('Montag', 'Dienstag')}"
    english = f"SEOUL: {ENGLISH}\n\n{ENGLISH.replace('Monday', 'Tuesday')}"
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "de", "text": german}, {"id": "en", "text": english}])
    run = dqkit("clean", source, "-o", tmp_path / "out", "--rules", folder, "--no-builtin-rules", "--no-dedup")
    assert run.code == 0, run.err
    out = read_outputs(tmp_path / "out")
    clean_rows = dict(out["clean"].select("id", "text").iter_rows())
    assert out["clean"].select("id", "lang").rows() == [("de", "de"), ("en", "en")]
    assert clean_rows["de"] == german  # the English rule's cut is undone on the German document
    assert clean_rows["en"] == english.removeprefix("SEOUL: ")
    assert out["edits"].select("doc_id", "kind", "rule_id").rows() == [("en", "span_removed", "en.test.dateline")]
    assert out["report"]["stages"]["rescope"]["hits_undone"] == 1
    stats = out["report"]["rule_hits"]["en.test.dateline"]
    assert (stats["hits"], stats["lines_removed"], stats["spans_removed"]) == (1, 0, 1)


def test_the_seed_dateline_goes_and_nothing_else_of_its_line(tmp_path, dqkit):
    assert dqkit("clean", SEEDS, "-o", tmp_path / "out", "-q").code == 0
    out = read_outputs(tmp_path / "out")
    seed = "002_cbc6447f6243eb96.txt"
    line = (SEEDS / seed).read_text(encoding="utf-8").split("\n")[4]
    assert line.startswith("SEOUL: Südkorea hat am Montag")
    spans = out["edits"].filter(pl.col("kind") == "span_removed")
    assert spans.select("doc_id", "line_no", "rule_id", "before", "after").rows() == [
        (seed, 5, "any.dateline.caps-colon", line, line.removeprefix("SEOUL: "))
    ]
    text = out["clean"].filter(pl.col("id") == seed)["text"].item()
    assert line.removeprefix("SEOUL: ") in text.split("\n") and "SEOUL:" not in text
    assert out["report"]["rule_hits"]["any.dateline.caps-colon"]["spans_removed"] == 1
    assert "| any.dateline.caps-colon | drop_span | 1 | 1 | 0 | 1 |" in (tmp_path / "out" / "report.md").read_text()
    # cleaning the cleaned text again cuts nothing more
    write_jsonl(tmp_path / "again.jsonl", out["clean"].select("id", "text").to_dicts())
    assert dqkit("clean", tmp_path / "again.jsonl", "-o", tmp_path / "again", "-q").code == 0
    assert read_outputs(tmp_path / "again")["edits"].filter(pl.col("kind") == "span_removed").is_empty()


def test_line_end_anchors_regexes_and_phrases_of_any_action():
    tags = """\
  - id: {lang}.test.tag-regex
    message: Tag
    action: flag
    match: {{regex: '\\(AFP\\)', anchor: line_end}}
    examples: {{match: ["Text (AFP)"], no_match: ["(AFP) Text"]}}
  - id: {lang}.test.tag-phrases
    message: Tag
    action: flag
    match: {{phrases: ['(AFP)'], anchor: line_end}}
    examples: {{match: ["Text (afp)"], no_match: ["(AFP) Text"]}}
"""
    rules = parse(pack(tags))
    outcome = clean(rules, "Text (AFP)\n(AFP) Text\nText (afp)")
    assert outcome.hits.select("line_no", "rule_id").rows() == [
        (1, "de.test.tag-regex"),
        (1, "de.test.tag-phrases"),
        (3, "de.test.tag-phrases"),  # phrases are case-insensitive
    ]
    assert not [r for rule in rules for r in check_rule(rule) if r.failed]
