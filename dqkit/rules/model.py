"""The rule model: a :class:`Rule` holds the fields every rule has and one match, whose
type says how the rule matches a line (:class:`RegexMatch`, :class:`PhraseMatch` or
:class:`RepeatMatch`), so that no field is there only for some kinds of rule.

>>> RegexMatch(("^PREV",)).kind, PhraseMatch(("Jetzt im Shop",)).case, RepeatMatch().min_count
('regex', 'insensitive', 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from dqkit.rules.yamlpos import Position


@dataclass(frozen=True)
class RegexMatch:
    """Rust ``regex`` patterns (any of them hits)."""

    kind: ClassVar[str] = "regex"
    patterns: tuple[str, ...]
    case: str = "sensitive"  # sensitive | insensitive
    anchor: str = "anywhere"  # anywhere | line_start | line_end | full_line


@dataclass(frozen=True)
class PhraseMatch:
    """Literal phrases (any of them hits)."""

    kind: ClassVar[str] = "phrases"
    phrases: tuple[str, ...]
    case: str = "insensitive"
    anchor: str = "anywhere"


@dataclass(frozen=True)
class RepeatMatch:
    """A line of at least ``min_chars`` characters that appears ``min_count`` times within
    the first ``within_first_lines`` non-blank lines; every copy after the first is hit."""

    kind: ClassVar[str] = "repeat"
    min_count: int = 2
    within_first_lines: int = 6
    min_chars: int = 20


Match = RegexMatch | PhraseMatch | RepeatMatch


@dataclass(frozen=True)
class Example:
    """One example: a single line (``text``, optional expected ``span``) or a whole
    document (``doc``) with the exact set of lines the rule must flag (``lines``)."""

    text: str
    is_doc: bool
    lines: tuple[int, ...] | None
    span: str | None
    where: Position


@dataclass(frozen=True)
class Rule:
    id: str
    langs: tuple[str, ...]
    match: Match
    exception_regex: tuple[str, ...]
    exception_phrases: tuple[str, ...]
    max_line_chars: int | None
    min_line_chars: int | None
    head_lines: int | None
    tail_lines: int | None
    max_per_document: int | None
    action: str
    severity: str
    status: str
    version: int
    scope: str
    title: str
    category: str
    message: str
    description: str
    examples: dict[str, tuple[Example, ...]] = field(hash=False, compare=False)
    where: Position  # where the rule is written
    override: bool = False  # replaces a built-in rule with the same id

    @property
    def applies_to_all_languages(self) -> bool:
        return "any" in self.langs

    @property
    def positional(self) -> bool:
        """True when the rule's verdict on a line depends on the lines around it."""
        return isinstance(self.match, RepeatMatch) or self.head_lines is not None or self.tail_lines is not None


def regex_pattern(patterns: tuple[str, ...], anchor: str, case: str) -> str:
    """The one regex the matcher runs for a rule's patterns, anchor and case.

    >>> regex_pattern(("PREV", "NEXT"), "line_start", "insensitive")
    '(?i)^(?:(?:PREV)|(?:NEXT))'
    >>> regex_pattern((" (AFP)", " (dpa)"), "line_end", "sensitive")
    '(?:(?: (AFP))|(?: (dpa)))$'
    """
    body = "|".join(f"(?:{p})" for p in patterns)
    if anchor == "line_start":
        body = f"^(?:{body})"
    elif anchor == "line_end":
        body = f"(?:{body})$"
    elif anchor == "full_line":
        body = rf"^[\p{{P}}\p{{S}}\s]*(?:{body})[\p{{P}}\p{{S}}\s]*$"
    return ("(?i)" if case == "insensitive" else "") + body
