"""Check a rule against its own examples, through the same matcher ``dqkit clean`` uses.

Outcomes per example:

* ``validated``: it behaves as the example says;
* ``missing``: a ``match`` example is not hit;
* ``noisy``: a ``no_match`` example is hit;
* ``wrong_span`` / ``wrong_lines``: hit, but not on the expected span or set of lines, or
  (a ``drop_span`` rule) hit but not cut;
* ``known``: a ``todo_*`` example that still fails as recorded (not a failure);
* ``fixed``: a ``todo_*`` example that now passes: promote it (a failure, so it is seen).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dqkit.assemble import clean_lines
from dqkit.frames import DOC, LANG_HINT, MATCH
from dqkit.kinds import EditKind
from dqkit.rules.engine import line_table, match_lines, normalise_phrases
from dqkit.rules.model import Example, PhraseMatch, RegexMatch, RepeatMatch, Rule, regex_pattern
from dqkit.rules.schema import SPAN_ANCHORS

FAILURES = ("missing", "noisy", "wrong_span", "wrong_lines", "fixed")


@dataclass(frozen=True)
class ExampleResult:
    rule_id: str
    group: str  # match | no_match | todo_match | todo_no_match
    example: Example
    status: str
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status in FAILURES


def _span_pattern(rule: Rule) -> str | None:
    """The regex whose first match on a hit line is the rule's span (None: a repeat rule
    hits whole lines). A span anchored at one end of the line is found at that end."""
    match rule.match:
        case RegexMatch(patterns=patterns, case=case, anchor=anchor):
            return regex_pattern(patterns, anchor if anchor in SPAN_ANCHORS else "anywhere", case)
        case PhraseMatch(phrases=phrases, case=case, anchor=anchor):
            folded = normalise_phrases(phrases, case == "insensitive")
            flag = "(?i)" if case == "insensitive" else ""
            alternatives = "(?:" + "|".join(pl.escape_regex(p) for p in folded) + ")"
            return flag + {"line_start": "^" + alternatives, "line_end": alternatives + "$"}.get(anchor, alternatives)
        case RepeatMatch():
            return None


def _docs(example: Example) -> pl.DataFrame:
    return pl.DataFrame(
        {DOC: [0], "text": [example.text], LANG_HINT: [None]},
        schema={DOC: pl.Int64, "text": pl.String, LANG_HINT: pl.String},
    )


def _run(rule: Rule, example: Example) -> tuple[list[int], pl.DataFrame]:
    lines = line_table(_docs(example))
    hits = match_lines(lines, (rule,))
    return sorted(set(hits["line_no"].to_list())), lines


def _uncut(rule: Rule, example: Example, hit_lines: list[int]) -> list[int]:
    """The lines a ``drop_span`` rule hits in ``example`` but does not cut."""
    cut = set(clean_lines(_docs(example), (rule,)).edits.filter(pl.col("kind") == EditKind.SPAN_REMOVED)["line_no"])
    return [n for n in hit_lines if n not in cut]


def _mismatch(rule: Rule, example: Example, hit_lines: list[int], lines: pl.DataFrame) -> tuple[str, str] | None:
    """(status, detail) where a hit ``match`` example is not hit as it says, else None."""
    if example.lines is not None and hit_lines != sorted(example.lines):
        return "wrong_lines", f"expected lines {sorted(example.lines)}, hit {hit_lines}"
    if example.span is not None:
        pattern = _span_pattern(rule)
        first = lines.filter(pl.col("line_no") == hit_lines[0])
        found = first.select(pl.col(MATCH).str.extract(pattern, 0)).item() if pattern else None
        if found != example.span:
            return "wrong_span", f"expected span {example.span!r}, matched {found!r}"
    if rule.action == "drop_span" and (uncut := _uncut(rule, example, hit_lines)):
        return "wrong_span", f"line {uncut[0]} is hit but not cut (only white space and punctuation would be left)"
    return None


def check_example(rule: Rule, group: str, example: Example) -> ExampleResult:
    hit_lines, lines = _run(rule, example)
    want_hit = group in ("match", "todo_match")
    ok = bool(hit_lines) == want_hit
    mismatch = _mismatch(rule, example, hit_lines, lines) if ok and want_hit else None
    ok = ok and mismatch is None
    if group.startswith("todo_"):
        return ExampleResult(
            rule.id, group, example, "fixed" if ok else "known", "" if not ok else "passes now: move it out of " + group
        )
    if ok:
        return ExampleResult(rule.id, group, example, "validated")
    if mismatch:
        return ExampleResult(rule.id, group, example, *mismatch)
    status = "missing" if want_hit else "noisy"
    return ExampleResult(rule.id, group, example, status, f"hit lines {hit_lines}" if hit_lines else "no hit")


def check_rule(rule: Rule) -> list[ExampleResult]:
    return [check_example(rule, group, example) for group, examples in rule.examples.items() for example in examples]
