"""``dqkit rules suggest``: repeated lines printed as rule files an author can edit.

Every suggestion is a complete rule: an id, a message, a pattern that matches the whole
line (a phrase, or a regex when the copies differ only in their numbers), a length
guard, the real lines as ``match`` examples and real body lines of the same documents as
``no_match`` examples, and a comment with the boilerplate classifier's evidence (the
median content probability of the line's occurrences, see
:func:`dqkit.rules.corpus.line_evidence`). Suggestions are ``status: experimental``, so they only flag until
someone has reviewed them; the printed file passes ``dqkit rules lint`` and ``dqkit rules
test`` as it is.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Evidence:
    """What the boilerplate classifier makes of a repeated line's occurrences
    (:func:`dqkit.rules.corpus.line_evidence`)."""

    lines: int  # occurrences
    scored: int  # occurrences the classifier scored (a language with a word list)
    chrome: int  # occurrences ``dqkit clean`` removes as repeated lines
    content: int  # occurrences that score as content
    form_kept: int  # occurrences that are table rows or lines of a wrapped paragraph
    median_score: float | None  # median content probability of the scored ones
    threshold: float  # the model's repeated_threshold: a repeated line below it is chrome

    def comment(self) -> str:
        """One comment line for the rule file.

        >>> Evidence(10, 9, 8, 1, 0, 0.1234, 0.5).comment()
        'classifier: 8 of 10 lines chrome, 1 content, 0 table rows or wrapped; median content probability 0.12 (<0.50)'
        >>> Evidence(4, 0, 0, 0, 0, None, 0.5).comment()
        'classifier: none of 4 lines scored (no word list for their language)'
        """
        if self.median_score is None:
            return f"classifier: none of {self.lines} lines scored (no word list for their language)"
        return (
            f"classifier: {self.chrome} of {self.lines} lines chrome, {self.content} content, "
            f"{self.form_kept} table rows or wrapped; median content probability {self.median_score:.2f} "
            f"(<{self.threshold:.2f})"
        )


@dataclass(frozen=True)
class Suggestion:
    text: str  # the most common form of the line, normalised as rules see it
    variants: tuple[str, ...]  # real lines (up to 5)
    body_lines: tuple[str, ...]  # real body lines of the same documents
    lang: str  # language code or "any"
    articles: int
    documents: int
    sources: tuple[str, ...]
    evidence: Evidence


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)[:5]
    slug = "-".join(words)[:40].strip("-")
    return slug or "line-" + hashlib.sha1(text.encode()).hexdigest()[:8]


def _pattern(suggestion: Suggestion) -> tuple[str, str]:
    """("phrases", phrase) for a fixed line, ("regex", pattern) when the numbers vary."""
    forms = {re.sub(r"\s+", " ", v.strip()).lower() for v in suggestion.variants}
    if len(forms) <= 1:
        return "phrases", suggestion.text
    escaped = pl.escape_regex(suggestion.text)
    return "regex", "(?i)" + re.sub(r"\d+", lambda m: rf"\d{{1,{max(4, len(m.group()))}}}", escaped)


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(text, ensure_ascii=False)


def render_rule_file(suggestions: list[Suggestion]) -> str:
    lines = [
        f"# dqkit rules suggest: {len(suggestions)} lines that many different documents share and no rule covers.",
        "# Review each rule: generalise the pattern, set the language and position, then change",
        "# status: experimental (only flags) to stable. Check with: dqkit rules lint FILE && dqkit rules test FILE",
        "schema: dqkit/rules@1",
        "rules:",
    ]
    used: set[str] = set()
    for s in suggestions:
        base = f"{s.lang}.suggested.{_slug(s.text)}"
        rule_id, n = base, 2
        while rule_id in used:
            rule_id, n = f"{base}-{n}", n + 1
        used.add(rule_id)
        kind, pattern = _pattern(s)
        sources = f"; sources: {', '.join(s.sources)}" if s.sources else ""
        lines += [
            f"  # in {s.documents} documents of {s.articles} different articles{sources}",
            f"  # {s.evidence.comment()}",
            f"  - id: {rule_id}",
            f"    lang: [{s.lang}]",
            "    status: experimental",
            "    category: suggested",
            f"    message: {_q('Repeated line: ' + s.text[:80])}",
            "    match:",
            f"      {kind}: {'[' + _q(pattern) + ']' if kind == 'phrases' else _q(pattern)}",
            "      anchor: full_line",
            "    where:",
            f"      max_line_chars: {max(len(v) for v in s.variants) + 40}",
            "    examples:",
            "      match:",
            *(f"        - {_q(v)}" for v in s.variants[:3]),
            "      no_match:",
            *(f"        - {_q(b)}" for b in s.body_lines[:2]),
        ]
    return "\n".join(lines) + "\n"
