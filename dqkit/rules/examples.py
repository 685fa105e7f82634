"""Check a rule against its own examples, through the same matcher ``dqkit clean`` uses.

Outcomes per example:

* ``validated``: it behaves as the example says;
* ``missing``: a ``match`` example is not hit;
* ``noisy``: a ``no_match`` example is hit;
* ``wrong_span`` / ``wrong_lines``: hit, but not on the expected span or set of lines;
* ``known``: a ``todo_*`` example that still fails as recorded (not a failure);
* ``fixed``: a ``todo_*`` example that now passes: promote it (a failure, so it is seen).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dqkit.frames import DOC, LANG_HINT, MATCH
from dqkit.rules.engine import line_table, match_lines, normalise_phrases
from dqkit.rules.model import Example, PhraseMatch, RegexMatch, RepeatMatch, Rule, regex_pattern

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
    hits whole lines)."""
    match rule.match:
        case RegexMatch(patterns=patterns, case=case):
            return regex_pattern(patterns, "anywhere", case)
        case PhraseMatch(phrases=phrases, case=case):
            folded = normalise_phrases(phrases, case == "insensitive")
            flag = "(?i)" if case == "insensitive" else ""
            return flag + "|".join(pl.escape_regex(p) for p in folded)
        case RepeatMatch():
            return None


def _run(rule: Rule, example: Example) -> tuple[list[int], pl.DataFrame]:
    docs = pl.DataFrame(
        {DOC: [0], "text": [example.text], LANG_HINT: [None]},
        schema={DOC: pl.Int64, "text": pl.String, LANG_HINT: pl.String},
    )
    lines = line_table(docs)
    hits = match_lines(lines, (rule,))
    return sorted(set(hits["line_no"].to_list())), lines


def check_example(rule: Rule, group: str, example: Example) -> ExampleResult:
    hit_lines, lines = _run(rule, example)
    want_hit = group in ("match", "todo_match")
    ok = bool(hit_lines) == want_hit
    detail = ""
    if ok and want_hit and example.lines is not None and hit_lines != sorted(example.lines):
        ok, detail = False, f"expected lines {sorted(example.lines)}, hit {hit_lines}"
    if ok and want_hit and example.span is not None:
        pattern = _span_pattern(rule)
        first = lines.filter(pl.col("line_no") == hit_lines[0])
        found = first.select(pl.col(MATCH).str.extract(pattern, 0)).item() if pattern else None
        if found != example.span:
            ok, detail = False, f"expected span {example.span!r}, matched {found!r}"
    if group.startswith("todo_"):
        return ExampleResult(
            rule.id, group, example, "fixed" if ok else "known", "" if not ok else "passes now: move it out of " + group
        )
    if ok:
        return ExampleResult(rule.id, group, example, "validated")
    if detail:
        status = "wrong_lines" if "lines" in detail else "wrong_span"
    else:
        status = "missing" if want_hit else "noisy"
        detail = f"hit lines {hit_lines}" if hit_lines else "no hit"
    return ExampleResult(rule.id, group, example, status, detail)


def check_rule(rule: Rule) -> list[ExampleResult]:
    return [check_example(rule, group, example) for group, examples in rule.examples.items() for example in examples]
