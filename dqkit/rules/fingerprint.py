"""Hashes of rules for report.json: what a rule does, and the rules of a run as loaded.

The values are part of every committed report, so each hashes exactly the list it always
has, in the same order and with the same strings, whatever shape the rule model takes.

>>> short_hash(["de.nav.prev-next", 1])
'3b617af809248c7c'
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from dqkit.rules.model import PhraseMatch, RegexMatch, RepeatMatch, Rule

if TYPE_CHECKING:
    from dqkit.rules.loading import RuleSet


def short_hash(value) -> str:
    """The first 16 hex digits of sha256 over ``value`` as sorted JSON (``str`` for the rest)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _match_fields(rule: Rule) -> list:
    """kind, patterns, case, anchor and repeat as the flat rule model held them: a repeat
    rule had no patterns, the default case and anchor, and ``repr`` of its ``Repeat``."""
    match rule.match:
        case (
            RegexMatch(patterns=patterns, case=case, anchor=anchor)
            | PhraseMatch(phrases=patterns, case=case, anchor=anchor)
        ):
            return [rule.match.kind, patterns, case, anchor, "None"]
        case RepeatMatch(min_count=count, within_first_lines=window, min_chars=chars):
            repeat = f"Repeat(min_count={count}, within_first_lines={window}, min_chars={chars})"
            return [rule.match.kind, (), "sensitive", "anywhere", repeat]


def rule_definition_hash(rule: Rule) -> str:
    """Hash of what decides a rule's behaviour (not its examples, prose or file position), so
    that ``dqkit diff`` can tell a rule whose definition changed from one whose hits moved
    because the corpus did.
    """
    return short_hash(
        [
            rule.id,
            rule.langs,
            *_match_fields(rule),
            rule.exception_regex,
            rule.exception_phrases,
            rule.max_line_chars,
            rule.min_line_chars,
            rule.head_lines,
            rule.tail_lines,
            rule.max_per_document,
            rule.action,
            rule.scope,
            rule.status,
        ]
    )


def rules_fingerprint(rules: RuleSet) -> str:
    """Hash of the rules as loaded, in load order: each rule's definition, prose and
    examples. Not the files' bytes: rewriting a pack without changing a rule (comments,
    layout, a long regex written with fragments) leaves it as it was.
    """
    return short_hash(
        [
            [
                rule.id,
                rule_definition_hash(rule),
                rule.title,
                rule.category,
                rule.severity,
                rule.version,
                rule.message,
                rule.description,
                {
                    kind: [[e.text, e.is_doc, e.lines, e.span] for e in examples]
                    for kind, examples in sorted(rule.examples.items())
                },
            ]
            for rule in rules.rules
        ]
    )
