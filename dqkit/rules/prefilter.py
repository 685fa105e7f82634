"""Literal prefilters: which lines can a rule possibly hit?

Most lines of a corpus are body text that no rule hits, and a long case-insensitive
Unicode regex costs far more per line than an Aho-Corasick scan for a few words. So for
each rule we derive a set of literal strings such that *every* line the rule matches
contains at least one of them (lowercased). One ``str.contains_any`` pass over the
lowercased lines then picks the candidates, and the rules run on those alone. A rule
whose pattern yields no such set (a separator rule, a repeat rule) runs on every line.

>>> required_literals(r"(?i)^\\W*(?:lesen sie auch|mehr zum thema)\\b.{0,150}$")
['lesen sie auch', 'mehr zum thema']
>>> required_literals(r"^(?:PREV|NEXT)\\s+\\S") is not None
True
>>> required_literals(r"^[-–—_]{1,3}$") is None
True
"""

from __future__ import annotations

import functools
import json
import re
import re._parser as sre_parse  # type: ignore[import-not-found]  # typeshed has no stubs for re's parser
import warnings
from collections.abc import Callable
from importlib import resources
from re._constants import (  # type: ignore[import-not-found]
    ANY,
    BRANCH,
    LITERAL,
    MAX_REPEAT,
    MAXREPEAT,
    MIN_REPEAT,
    SUBPATTERN,
)

# Rust-regex syntax Python's parser does not know, replaced by something with the same
# "no literal here" meaning.
_RUST_ONLY: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"\\[pP](?:\{[^}]*\}|[A-Za-z])"), r"\\w"),  # Unicode classes
    (re.compile(r"\\x\{([0-9a-fA-F]{1,6})\}"), lambda m: re.escape(chr(int(m.group(1), 16)))),
    (re.compile(r"\(\?-?u\)|\(\?[a-zA-Z]*u[a-zA-Z-]*:"), "(?:"),  # the Unicode flag
]

Literals = frozenset
MAX_EXPANSION = 64  # alternatives kept when literal runs and groups multiply out


def _union(parts) -> Literals | None:
    parts = list(parts)
    return None if any(p is None for p in parts) else frozenset().union(*parts)


def _exact(op, arg) -> Literals | None:
    """The strings a node matches if it matches only a few fixed strings, else None."""
    if op is LITERAL:
        return frozenset([chr(arg)])
    if op is SUBPATTERN:
        return _exact_sequence(arg[-1])
    if op is BRANCH:
        union = _union(_exact_sequence(branch) for branch in arg[1])
        return union if union is not None and len(union) <= MAX_EXPANSION else None
    return None


def _exact_sequence(items) -> Literals | None:
    strings = frozenset([""])
    for op, arg in items:
        part = _exact(op, arg)
        if part is None or len(strings) * len(part) > MAX_EXPANSION:
            return None
        strings = frozenset(a + b for a in strings for b in part)
    return strings


def _sequence(items) -> Literals | None:
    """Required literals of a sequence: the best of its elements' sets, where runs of
    fixed strings (characters, and groups of alternative words) multiply out into one."""
    options: list[Literals] = []
    run = frozenset([""])
    for op, arg in items:
        exact = _exact(op, arg)
        if exact is not None and len(run) * len(exact) <= MAX_EXPANSION:
            run = frozenset(a + b for a in run for b in exact)
            continue
        if run != {""}:
            options.append(run)
        run = frozenset([""]) if exact is None else exact
        if exact is None:
            required = _node(op, arg)
            if required is not None:
                options.append(required)
    if run != {""}:
        options.append(run)
    options = [o for o in options if "" not in o]
    if not options:
        return None
    # The most selective choice: the set whose shortest literal is longest.
    return max(options, key=lambda s: (min(len(x) for x in s), -len(s)))


def _node(op, arg) -> Literals | None:
    """Required literals of a node that is not a fixed string."""
    if op is SUBPATTERN:
        return _sequence(arg[-1])
    if op is BRANCH:
        return _union(_sequence(branch) for branch in arg[1])
    if op in (MAX_REPEAT, MIN_REPEAT) and arg[0] >= 1:
        return _sequence(arg[2])
    return None  # classes, anchors, look-arounds, optional parts: no literal is required


def _parse(pattern: str):
    """Python's parse tree of a Rust-regex pattern, or None where Python cannot read it."""
    for rust_only, replacement in _RUST_ONLY:
        pattern = rust_only.sub(replacement, pattern)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sre_parse.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None


def _unbounded(items) -> bool:
    """Whether a parsed pattern has a repeat of any character without an upper bound."""
    for op, arg in items:
        if op in (MAX_REPEAT, MIN_REPEAT) and arg[1] == MAXREPEAT and list(arg[2]) == [(ANY, None)]:
            return True
        if op in (MAX_REPEAT, MIN_REPEAT) and _unbounded(arg[2]):
            return True
        if op is SUBPATTERN and _unbounded(arg[-1]):
            return True
        if op is BRANCH and any(_unbounded(branch) for branch in arg[1]):
            return True
    return False


Analysis = tuple[bool, tuple[str, ...] | None]
SHIPPED = "prefilter.json"  # in dqkit/data: the analysis of every built-in pattern


@functools.cache
def _shipped() -> dict[str, Analysis]:
    """The answers for the built-in rules' patterns, written by ``python -m
    dqkit.rules.prefilter_table`` (tests/test_rules.py checks each against :func:`analyse`):
    parsing the ~65 built-in patterns costs about 0.3 s in every process that loads or runs
    them, reading their answers a millisecond."""
    try:
        table = json.loads(resources.files("dqkit").joinpath("data", SHIPPED).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {p: (bool(u), tuple(lits) if lits is not None else None) for p, (u, lits) in table.items()}


# The linter asks about every pattern when the rules load, the engine when they first run:
# one parse (~2 ms a pattern) answers both, and only the answers are kept.
@functools.cache
def _analysed(pattern: str) -> Analysis:
    """(:func:`has_unbounded_repeat`, :func:`required_literals`) of ``pattern``: the
    shipped answer of a built-in pattern, else :func:`analyse`."""
    shipped = _shipped().get(pattern)
    return shipped if shipped is not None else analyse(pattern)


def analyse(pattern: str) -> Analysis:
    """(:func:`has_unbounded_repeat`, :func:`required_literals`) of ``pattern``, from its parse."""
    parsed = _parse(pattern)
    if parsed is None:
        return False, None
    items = list(parsed)
    required = _sequence(items)
    if required is not None and not all(lit.strip() for lit in required):
        required = None  # a literal of white space alone picks nearly every line
    return _unbounded(items), tuple(sorted({lit.lower() for lit in required})) if required is not None else None


def has_unbounded_repeat(pattern: str) -> bool:
    r"""True when the pattern has ``.*``, ``.+`` or ``.{n,}`` (a linter warning, not an
    error: the engine is linear-time, but an unbounded run of any character lets a rule
    reach across a whole paragraph).

    >>> has_unbounded_repeat(r"^Lesen Sie auch.*"), has_unbounded_repeat(r"^\W*Lesen Sie auch.{0,150}$")
    (True, False)
    """
    return _analysed(pattern)[0]


def required_literals(pattern: str) -> list[str] | None:
    """Lowercased literals one of which every match of ``pattern`` contains, or None."""
    literals = _analysed(pattern)[1]
    return list(literals) if literals is not None else None
