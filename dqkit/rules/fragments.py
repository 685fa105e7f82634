"""Named regex fragments: long alternations written one alternative at a time.

A rule file (``fragments:`` at the top) or a rule (``fragments:`` in the rule) names
pieces of regex; ``{{name}}`` in a ``regex`` (of ``match`` or ``exceptions``) stands for
the piece. A fragment is a string, or a list of alternatives that is joined with ``|``
(and so must sit where alternatives may: in a group, between ``|``, or as a whole
pattern). A fragment may use the fragments defined above it. The loader joins the pieces
into the very string one would have written on one line, so a rule behaves the same
whichever way it is written.

>>> from dqkit.rules.diagnostics import Problems
>>> from dqkit.rules.yamlpos import load_yaml
>>> raw = load_yaml("sites: [twitter, x, 'google news']\\nfollow: 'folg(?:en sie|t) uns'\\n", "r.yaml")
>>> fragments, problems = Fragments(), Problems()
>>> fragments.define(raw, Position("r.yaml", 1, 1), problems)
>>> fragments.expand("(?i)^{{follow}} auf (?:{{sites}})$", Position("r.yaml", 9, 5), problems)
'(?i)^folg(?:en sie|t) uns auf (?:twitter|x|google news)$'
>>> fragments.expand("^{{sites}}$", Position("r.yaml", 9, 5), problems)
'^twitter|x|google news$'
>>> print(problems.items[0])
r.yaml:9:5: fragment {{sites}} is a list of alternatives: put it in a group, e.g. (?:{{sites}})
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from dqkit.rules.diagnostics import Problems
from dqkit.rules.yamlpos import LocatedDict, LocatedList, Position

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PLACEHOLDER_RE = re.compile(r"\{\{([^{}]*)\}\}")
# What may stand right before and right after a list of alternatives for ``|`` to split
# only the list: a group's opening (``(``, ``(?:``, ``(?i:``, ``(?P<name>``) or ``|``
# before, ``)`` or ``|`` after. The start and the end of an alternative count too.
_OPENS_ALTERNATIVES = re.compile(r"(?:(?<!\\)\((?:\?[a-zA-Z-]*:|\?P?<\w+>)?|(?<!\\)\|)$")
_CLOSES_ALTERNATIVES = re.compile(r"^[|)]")
LONG_REGEX_CHARS = 200  # what a reviewer reads on one line


@dataclass(frozen=True)
class Fragment:
    text: str  # the alternatives joined with "|", their placeholders expanded
    alternatives: int
    where: Position


def placeholder(name: str) -> str:
    """How a regex uses the fragment ``name``.

    >>> placeholder("sites")
    '{{sites}}'
    """
    return "{{" + name + "}}"


def warn_if_long(text: str, where: Position, problems: Problems) -> None:
    """Lint warning for a regex string, alternative or fragment too long to review on one line."""
    if len(text) > LONG_REGEX_CHARS:
        problems.warn(
            where,
            f"regex of {len(text)} characters on one line (limit {LONG_REGEX_CHARS}): "
            "write its alternations as fragments (rules/README.md, 'Long patterns')",
        )


class Fragments:
    """The fragments a regex can use: its rule's own, then its file's (``parent``)."""

    def __init__(self, parent: Fragments | None = None) -> None:
        self.parent = parent
        self.table: dict[str, Fragment] = {}
        self.used: set[str] = set()

    def _lookup(self, name: str) -> Fragment | None:
        if name in self.table:
            self.used.add(name)
            return self.table[name]
        return self.parent._lookup(name) if self.parent is not None else None

    def _names(self) -> list[str]:
        return [*self.table, *(self.parent._names() if self.parent is not None else [])]

    def define(self, raw, where: Position, problems: Problems) -> None:
        """Read a ``fragments`` mapping written at ``where`` (in order: a fragment uses those above it)."""
        if not isinstance(raw, LocatedDict) or not raw:
            problems.add(where, "fragments must be a mapping of names to a regex or a list of them")
            return
        for name, value in raw.items():
            place = raw.where(name)
            if not isinstance(name, str) or not NAME_RE.match(name):
                problems.add(place, f"fragment name {name!r} must be lowercase letters, digits and _ (e.g. sites)")
                continue
            if self.parent is not None and name in self.parent._names():
                problems.add(place, f"fragment {name!r} is already defined for the whole file")
                continue
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not items or not all(isinstance(v, str) and v for v in items):
                problems.add(place, f"fragment {name!r} must be a non-empty string or list of non-empty strings")
                continue
            positions = [item_where(value, index, place) for index in range(len(items))]
            # Each item of a list is an alternative; a single string goes in as it is.
            is_list = not isinstance(value, str)
            parts = [self.expand(item, at, problems, is_list) for item, at in zip(items, positions, strict=True)]
            for item, at in zip(items, positions, strict=True):
                warn_if_long(item, at, problems)
            self.table[name] = Fragment("|".join(parts), len(items), place)

    def expand(self, text: str, where: Position, problems: Problems, is_alternative: bool = True) -> str:
        """``text`` with each ``{{name}}`` replaced by its fragment. ``is_alternative``: the
        start and end of ``text`` are edges of an alternative (a pattern, an item of a list)."""
        if "{{" not in text:
            return text
        pieces: list[str] = []
        last = 0
        for found in PLACEHOLDER_RE.finditer(text):
            name = found.group(1)
            fragment = self._lookup(name)
            pieces.append(text[last : found.start()])
            last = found.end()
            if fragment is None:
                problems.add(where, self._unknown(name))
                continue
            before, after = text[: found.start()], text[found.end() :]
            opens = _OPENS_ALTERNATIVES.search(before) or (is_alternative and not before)
            closes = _CLOSES_ALTERNATIVES.match(after) or (is_alternative and not after)
            if fragment.alternatives > 1 and not (opens and closes):
                used = placeholder(name)
                problems.add(where, f"fragment {used} is a list of alternatives: put it in a group, e.g. (?:{used})")
            pieces.append(fragment.text)
        pieces.append(text[last:])
        if "{{" in PLACEHOLDER_RE.sub("", text):
            problems.add(where, "'{{' without a matching '}}': a fragment is used as {{name}}")
        return "".join(pieces)

    def _unknown(self, name: str) -> str:
        known = self._names()
        if not NAME_RE.match(name):
            return f"{placeholder(name)} is not a fragment name (lowercase letters, digits and _)"
        hint = difflib.get_close_matches(name, known, n=1)
        if hint:
            return f"unknown fragment {placeholder(name)} (did you mean {placeholder(hint[0])}?)"
        return f"unknown fragment {placeholder(name)} (known here: {', '.join(known) or 'none'})"

    def warn_unused(self, problems: Problems) -> None:
        for name, fragment in self.table.items():
            if name not in self.used:
                problems.warn(fragment.where, f"fragment {name!r} is not used")


def item_where(value, index: int, fallback: Position) -> Position:
    """The position of item ``index`` of a YAML value: its own when it is a list."""
    return value.where(index) if isinstance(value, LocatedList) else fallback
