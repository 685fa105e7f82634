"""The matcher and the line stage: positions, anchors, exceptions, language scope, seams."""

from __future__ import annotations

import polars as pl
import pytest

from dqkit.assemble import clean_lines
from dqkit.rules.schema import parse_rule_file
from dqkit.rules.yamlpos import load_yaml


def rule(spec: str, lang: str = "de"):
    text = (f"schema: dqkit/rules@1\nlang: [{lang}]\nrules:\n  - id: {lang}.test.rule\n    message: m\n"
            + "".join(f"    {line}\n" for line in spec.strip().splitlines())
            + "    examples: {match: [x], no_match: [y]}\n")
    rules, problems = parse_rule_file(load_yaml(text, "t.yaml"), "t.yaml")
    assert not problems.items, problems.items
    return rules[0]


def run(rules, *texts, hints=None):
    docs = pl.DataFrame({"_doc": list(range(len(texts))), "text": list(texts),
                         "_lang_hint": hints or [None] * len(texts)},
                        schema={"_doc": pl.Int64, "text": pl.String, "_lang_hint": pl.String})
    return clean_lines(docs, tuple(rules))


def test_head_and_tail_windows_count_non_blank_lines():
    tail = rule("match: {phrases: [Ende], anchor: full_line}\nwhere: {position: {tail_lines: 1}}")
    outcome = run([tail], "Ende\n\nText hier.\nEnde\n\n\n")
    assert outcome.hits["line_no"].to_list() == [4]
    assert outcome.texts["text"].item() == "Ende\n\nText hier."


def test_full_line_phrases_allow_only_punctuation_around():
    label = rule("match: {phrases: ['Zurück zum Anfang', 'Schaltfläche \"Zurück zum Anfang\"'], anchor: full_line}")
    outcome = run([label], 'Schaltfläche „Zurück zum Anfang“\n↑ Zurück zum Anfang ↑\nZurück zum Anfang der Geschichte')
    assert outcome.hits["line_no"].to_list() == [1, 2]


def test_exceptions_veto_a_hit():
    glued = rule(r"match: {regex: '\p{Ll}(Der|Die)\s'}" + "\nexceptions: {phrases: [LinkedIn]}")
    assert run([glued], "Kim Jong-gyuDer amtlichen").hits["line_no"].to_list() == [1]
    assert run([glued], "auf LinkedInDer Nutzer").hits.is_empty()


def test_max_line_chars():
    short = rule("match: {phrases: [newsletter]}\nwhere: {max_line_chars: 20}")
    assert run([short], "Newsletter\n" + "Der Newsletter erscheint jeden Montag in der Früh.").hits["line_no"].to_list() == [1]


def test_language_scope_follows_the_document_language():
    german = rule("match: {phrases: [Politik], anchor: full_line}")
    outcome = run([german], "Politik\nText.", "Politik\nText.", "Politik\nText.", hints=["de", "en", None])
    assert outcome.hits["_doc"].to_list() == [0, 2]  # unknown language: every pack applies


def test_removals_repeat_until_nothing_moves():
    """Removing a header moves the next line into the head window: it is caught in the
    same run, so cleaning the result again finds nothing."""
    header = rule("match: {regex: '^(Anzeige|Werbung)$'}\nwhere: {position: {head_lines: 1}}")
    outcome = run([header], "Anzeige\nWerbung\nDer eigentliche Text.")
    assert outcome.texts["text"].item() == "Der eigentliche Text."
    assert run([header], outcome.texts["text"].item()).hits.is_empty()


@pytest.mark.parametrize("text, removed, expected", [
    ("A\n\nX\n\nB", [3], "A\n\nB"),
    ("A\n\nX\n\nY", [3, 5], "A"),
    ("X\n\nA\n\nB", [1], "A\n\nB"),
    ("A\nX\nB", [2], "A\nB"),
    ("A\n\n\nB\n\nX", [6], "A\n\n\nB"),  # blank runs that were there before stay
])
def test_blank_lines_around_a_removal_are_folded(text, removed, expected):
    drop = rule(f"match: {{regex: [{', '.join(repr(f'^{c}$') for c in 'XY')}]}}")
    outcome = run([drop], text)
    assert sorted(outcome.edits.filter(pl.col("kind") == "line_removed")["line_no"].to_list()) == removed
    assert outcome.texts["text"].item() == expected
    assert run([drop], expected).edits.is_empty()


def test_literal_prefilter_never_loses_a_hit():
    """The prefiltered matcher finds exactly what running every rule on every line finds,
    on the seeds and on every example of every built-in rule."""
    from conftest import SEEDS
    from dqkit.rules.engine import candidate_expr, evaluate, line_table, match_expr, with_positions
    from dqkit.rules.loading import load_rules

    rules = load_rules([]).rules
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir())]
    texts += [ex.text for r in rules for group in r.examples.values() for ex in group]
    docs = pl.DataFrame({"_doc": range(len(texts)), "text": texts, "_lang_hint": [None] * len(texts)},
                        schema={"_doc": pl.Int64, "text": pl.String, "_lang_hint": pl.String})
    lines = line_table(docs)
    positioned = with_positions(lines)
    brute = pl.concat([positioned.filter(candidate_expr(r) & match_expr(r))
                       .select("_doc", "line_no", pl.lit(i, dtype=pl.Int32).alias("rule"))
                       for i, r in enumerate(rules)]).sort("_doc", "line_no", "rule")
    fast = evaluate(lines, rules)
    assert len(brute) > 100
    assert fast.equals(brute)


@pytest.mark.parametrize("pattern, expected", [
    (r"(?i)^\W*(?:folgen sie uns|folgt uns)\b.{0,120}?\b(?:twitter|x)\b", ["folgen sie uns", "folgt uns"]),
    (r"^(?:PREV|NEXT)\s+\S", ["next", "prev"]),
    (r"(?-i:L)ire aussi", ["lire aussi"]),
    (r"colou?r scheme", ["r scheme"]),
    (r"\p{Lu}\p{Ll}+(?:Der|Die)\s", ["der", "die"]),
    (r"(?:Vorheriger|Nächster) (?:Artikel|Beitrag)", ["nächster artikel", "nächster beitrag",
                                                     "vorheriger artikel", "vorheriger beitrag"]),
    (r"a|b*", None),
    (r"^[-–—_]{1,3}$", None),
])
def test_required_literals(pattern, expected):
    from dqkit.rules.prefilter import required_literals

    assert required_literals(pattern) == expected


@pytest.mark.parametrize("text", [
    "a\u00a0\u00a0b\n\u3000x\u200b y\r\n\u2028z",  # white space of every kind, CRLF, zero-width
    "e\u0301\n\u0301x",  # a combining mark after a line break composes with nothing
    "\ufb01  \u201cq\u201d\t\n\n  ",  # ligature, quotes, trailing blanks
    "plain ascii\nonly",
    "",
])
def test_line_table_normalises_documents_as_it_would_each_line(text):
    """line_table normalises whole documents (fast) and must give the very columns that
    normalising each line gives (with_match_columns, which the cut lines go through)."""
    from dqkit.rules.engine import line_table, with_match_columns

    docs = pl.DataFrame({"_doc": [0, 1], "text": [text, "x  y"], "_lang_hint": [None, None]},
                        schema={"_doc": pl.Int64, "text": pl.String, "_lang_hint": pl.String})
    table = line_table(docs)
    per_line = with_match_columns(table.select("_doc", "_lang_hint", "line", "line_no"))
    assert table.equals(per_line.select(table.columns))
    assert table.height == len(text.split("\n")) + 1
