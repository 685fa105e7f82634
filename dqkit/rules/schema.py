"""The rule model (schema ``dqkit/rules@1``) and its validation.

A rule file holds file-level defaults and a list of rules::

    schema: dqkit/rules@1
    lang: [de]
    defaults: {action: drop_line}
    rules:
      - id: de.cta.read-also
        match: {regex: '^Lesen Sie (auch|mehr)\\b', case: insensitive}
        where: {max_line_chars: 200}
        message: Read-also teaser
        examples:
          match: ["Lesen Sie auch: Die Lage in Kiew"]
          no_match: ["Lesen Sie die Packungsbeilage genau."]

``rules/README.md`` documents every field. :func:`parse_rule_file` turns a parsed file
into :class:`~dqkit.rules.model.Rule` objects and collects every problem with its
``file:line:col`` (:class:`~dqkit.rules.diagnostics.Diagnostic`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import polars as pl

from dqkit.rules.diagnostics import Problems
from dqkit.rules.fragments import Fragments, item_where, warn_if_long
from dqkit.rules.model import Example, Match, PhraseMatch, RegexMatch, RepeatMatch, Rule, regex_pattern
from dqkit.rules.prefilter import has_unbounded_repeat
from dqkit.rules.yamlpos import LocatedDict, LocatedList, Position

SCHEMA_TAG = "dqkit/rules@1"
ACTIONS = ("drop_line", "drop_span", "drop_doc", "flag")
SEVERITIES = ("error", "warning", "info")
STATUSES = ("experimental", "stable", "deprecated")
CASES = ("sensitive", "insensitive")
ANCHORS = ("anywhere", "line_start", "line_end", "full_line")
SPAN_ANCHORS = ("line_start", "line_end")
ID_RE = re.compile(r"^(any|[a-z]{2,3})\.[a-z0-9]+(?:[-_][a-z0-9]+)*\.[a-z0-9]+(?:-[a-z0-9]+)*$")
LANG_RE = re.compile(r"^(any|[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)$")

FILE_KEYS = ("schema", "lang", "defaults", "fragments", "rules")
RULE_KEYS = (
    "id",
    "version",
    "status",
    "title",
    "category",
    "lang",
    "scope",
    "fragments",
    "match",
    "exceptions",
    "where",
    "action",
    "severity",
    "message",
    "description",
    "references",
    "examples",
    "override",
)
DEFAULTABLE_KEYS = ("status", "scope", "action", "severity", "where", "version")
MATCH_KINDS = ("regex", "phrases", "repeat")
MATCH_KEYS = (*MATCH_KINDS, "case", "anchor")
REPEAT_KEYS = ("min_count", "within_first_lines", "min_chars")
WHERE_KEYS = ("max_line_chars", "min_line_chars", "position", "max_per_document")
POSITION_KEYS = ("head_lines", "tail_lines")
EXCEPTION_KEYS = ("regex", "phrases")
EXAMPLE_KEYS = ("match", "no_match", "todo_match", "todo_no_match")
EXAMPLE_ITEM_KEYS = ("text", "span", "doc", "lines")


@dataclass(frozen=True)
class LineGuards:
    """The ``where`` of a rule: length guards, position windows, a per-document limit."""

    max_line_chars: int | None = None
    min_line_chars: int | None = None
    head_lines: int | None = None
    tail_lines: int | None = None
    max_per_document: int | None = None


def _unknown_keys(mapping: LocatedDict, allowed: tuple[str, ...], what: str, problems: Problems) -> None:
    for key in mapping:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else f" (allowed: {', '.join(allowed)})"
            problems.add(mapping.where(key), f"unknown key {key!r} in {what}{suggestion}")


def _as_str_list(value, where: Position, what: str, problems: Problems) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) and v for v in items):
        problems.add(where, f"{what} must be a non-empty string or list of non-empty strings")
        return ()
    return tuple(items)


def _positive_int(mapping: LocatedDict, key: str, problems: Problems, default=None):
    value = mapping.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.add(mapping.where(key), f"{key} must be a whole number >= 1")
        return None
    return value


def _choice(mapping: LocatedDict, key: str, allowed: tuple[str, ...], default: str, problems: Problems) -> str:
    value = mapping.get(key, default)
    if value not in allowed:
        problems.add(mapping.where(key), f"{key} must be one of {', '.join(allowed)}, not {value!r}")
        return default
    return value


def check_regex(pattern: str) -> str | None:
    """Compile ``pattern`` with the engine the matcher uses (polars, Rust ``regex``);
    return what is wrong with it, or None. Matching the empty string is wrong too: such a
    rule would hit every line.

    >>> check_regex("(?<=a)b").splitlines()[-1]
    'error: look-around, including look-ahead and look-behind, is not supported'
    >>> check_regex("a*")
    'it matches the empty string'
    >>> check_regex("^(PREV|NEXT) ") is None
    True
    """
    try:
        # One call both compiles the pattern and tries it on the empty string.
        empty_matches = pl.Series([""], dtype=pl.String).str.contains(pattern, strict=True).item()
    except pl.exceptions.PolarsError as exc:
        message = str(exc).split("This error occurred")[0].strip()
        return message.replace("regex error: ", "")
    return "it matches the empty string" if empty_matches else None


def _parse_examples(raw, where: Position, problems: Problems) -> dict[str, tuple[Example, ...]]:
    result: dict[str, tuple[Example, ...]] = {key: () for key in EXAMPLE_KEYS}
    if not isinstance(raw, LocatedDict):
        problems.add(where, "examples must be a mapping with 'match' and 'no_match' lists")
        return result
    _unknown_keys(raw, EXAMPLE_KEYS, "examples", problems)
    for key in EXAMPLE_KEYS:
        if key not in raw:
            continue
        items = raw[key]
        if not isinstance(items, LocatedList):
            problems.add(raw.where(key), f"examples.{key} must be a list")
            continue
        parsed = []
        for index, item in enumerate(items):
            item_where = items.where(index)
            if isinstance(item, str):
                parsed.append(Example(item, False, None, None, item_where))
            elif isinstance(item, LocatedDict):
                _unknown_keys(item, EXAMPLE_ITEM_KEYS, "an example", problems)
                if ("text" in item) == ("doc" in item):
                    problems.add(item_where, "an example needs exactly one of 'text' or 'doc'")
                    continue
                body = item.get("text", item.get("doc"))
                if not isinstance(body, str):
                    problems.add(item_where, "example text must be a string")
                    continue
                lines = item.get("lines")
                if lines is not None and not (
                    isinstance(lines, list) and all(isinstance(n, int) and n >= 1 for n in lines)
                ):
                    problems.add(item.where("lines"), "lines must be a list of line numbers (1-based)")
                    lines = None
                span = item.get("span")
                if span is not None and not isinstance(span, str):
                    problems.add(item.where("span"), "span must be a string")
                    span = None
                is_doc = "doc" in item
                parsed.append(
                    Example(
                        body.rstrip("\n") if is_doc else body,
                        is_doc,
                        tuple(lines) if lines is not None else None,
                        span,
                        item_where,
                    )
                )
            else:
                problems.add(item_where, "an example must be a string or a mapping")
        result[key] = tuple(parsed)
    if not result["match"]:
        problems.add(where, "a rule needs at least one 'match' example")
    if not result["no_match"]:
        problems.add(where, "a rule needs at least one 'no_match' example")
    return result


def _regexes(mapping: LocatedDict, key: str, what: str, fragments: Fragments, problems: Problems) -> tuple[str, ...]:
    """The patterns of ``mapping[key]`` (a string or a list) with their fragments joined in;
    a lint warning for each written string too long to review on one line."""
    value = mapping[key]
    patterns = []
    for index, written in enumerate(_as_str_list(value, mapping.where(key), what, problems)):
        at = item_where(value, index, mapping.where(key))
        warn_if_long(written, at, problems)
        patterns.append(fragments.expand(written, at, problems))
    return tuple(patterns)


def _check_compiles(patterns: tuple[str, ...], where: Position, problems: Problems) -> None:
    for pattern in patterns:
        error = check_regex(pattern)
        if error:
            problems.add(where, f"regex {pattern!r} is not usable: {error}")


def _parse_repeat(spec, where: Position, problems: Problems) -> RepeatMatch:
    if not isinstance(spec, LocatedDict):
        problems.add(where, "repeat must be a mapping")
        return RepeatMatch()
    _unknown_keys(spec, REPEAT_KEYS, "repeat", problems)
    defaults = RepeatMatch()
    values = {key: _positive_int(spec, key, problems, getattr(defaults, key)) for key in REPEAT_KEYS}
    repeat = RepeatMatch(**{key: value or getattr(defaults, key) for key, value in values.items()})
    if repeat.min_count < 2:
        problems.add(spec.where("min_count"), "min_count must be at least 2")
    return repeat


def _parse_match(raw, where: Position, fragments: Fragments, problems: Problems) -> Match | None:
    if not isinstance(raw, LocatedDict):
        problems.add(where, "match must be a mapping with one of regex, phrases or repeat")
        return None
    _unknown_keys(raw, MATCH_KEYS, "match", problems)
    kinds = [k for k in MATCH_KINDS if k in raw]
    if len(kinds) != 1:
        problems.add(raw.where(), "match needs exactly one of regex, phrases or repeat")
        return None
    kind = kinds[0]
    if kind == "repeat":
        for key in ("case", "anchor"):
            if key in raw:
                problems.add(raw.where(key), f"{key} does not apply to a repeat match (it compares whole lines)")
        return _parse_repeat(raw["repeat"], raw.where("repeat"), problems)
    case = _choice(raw, "case", CASES, "insensitive" if kind == "phrases" else "sensitive", problems)
    anchor = _choice(raw, "anchor", ANCHORS, "anywhere", problems)
    if kind == "phrases":
        return PhraseMatch(_as_str_list(raw["phrases"], raw.where("phrases"), "phrases", problems), case, anchor)
    patterns = _regexes(raw, "regex", "regex", fragments, problems)
    # The combined pattern is what matching compiles (and polars caches); only when it
    # fails are the author's patterns checked one by one, for a message about them.
    if patterns and problems.compile_patterns and check_regex(regex_pattern(patterns, anchor, case)):
        _check_compiles(patterns, raw.where("regex"), problems)
    return RegexMatch(patterns, case, anchor)


def span_problem(match: Match) -> str | None:
    """Why a rule with ``match`` cannot be a ``drop_span`` rule, or None: the span is cut
    from one end of the line, so it must be a regex anchored at that end.

    >>> span_problem(RegexMatch(("[A-Z]+: ",), anchor="line_start")) is None
    True
    >>> span_problem(RegexMatch(("[A-Z]+: ",)))
    "a drop_span rule needs anchor: line_start or line_end (the span is cut from one end of the line), not 'anywhere'"
    """
    if not isinstance(match, RegexMatch):
        return f"a drop_span rule needs a regex anchored at line_start or line_end, not {match.kind}"
    if match.anchor not in SPAN_ANCHORS:
        return (
            "a drop_span rule needs anchor: line_start or line_end (the span is cut from one end of the line), "
            f"not {match.anchor!r}"
        )
    return None


def _parse_where(raw, where: Position, problems: Problems) -> LineGuards:
    if raw is None:
        return LineGuards()
    if not isinstance(raw, LocatedDict):
        problems.add(where, "where must be a mapping")
        return LineGuards()
    _unknown_keys(raw, WHERE_KEYS, "where", problems)
    head = tail = None
    position = raw.get("position")
    if position is not None:
        if not isinstance(position, LocatedDict) or not position:
            problems.add(raw.where("position"), "position must be a mapping with head_lines and/or tail_lines")
        else:
            _unknown_keys(position, POSITION_KEYS, "position", problems)
            head = _positive_int(position, "head_lines", problems)
            tail = _positive_int(position, "tail_lines", problems)
    return LineGuards(
        max_line_chars=_positive_int(raw, "max_line_chars", problems),
        min_line_chars=_positive_int(raw, "min_line_chars", problems),
        head_lines=head,
        tail_lines=tail,
        max_per_document=_positive_int(raw, "max_per_document", problems),
    )


def _parse_langs(value, where: Position, problems: Problems) -> tuple[str, ...]:
    langs = _as_str_list(value, where, "lang", problems)
    for lang in langs:
        if not LANG_RE.match(lang):
            problems.add(where, f"{lang!r} is not a language tag (use 'any' or a code such as 'de', 'pt-BR')")
    return tuple(lang.split("-")[0].lower() if lang != "any" else lang for lang in langs)


def _warn_broad(raw: LocatedDict, match: Match, action: str, guards: LineGuards, problems: Problems) -> None:
    """Warnings for rules that may hit more than their author meant."""
    where = raw["match"].where("regex")
    for pattern in match.patterns if isinstance(match, RegexMatch) else ():
        if has_unbounded_repeat(pattern):
            problems.warn(
                where, f"unbounded repeat in {pattern!r}: bound it, e.g. .{{0,120}} (boilerplate lines are short)"
            )
        if not re.search(r"[\\^$.|?*+()\[\]{}]", pattern):
            problems.warn(where, f"{pattern!r} has no regex syntax: use phrases (faster, exact)")
    guarded = (
        isinstance(match, RepeatMatch)
        or match.anchor == "full_line"
        or guards.max_line_chars is not None
        or guards.head_lines is not None
        or guards.tail_lines is not None
    )
    # A drop_span rule keeps the line: a long body paragraph is what it cuts a dateline from.
    if action in ("drop_line", "drop_doc") and not guarded:
        problems.warn(
            raw.where("match"),
            "a removing rule without max_line_chars, position or a full_line anchor can hit long body paragraphs",
        )


def _parse_exceptions(raw, where: Position, fragments: Fragments, problems: Problems):
    """(regexes, phrases) of a rule's ``exceptions``."""
    if not isinstance(raw, LocatedDict):
        problems.add(where, "exceptions must be a mapping with regex and/or phrases")
        return (), ()
    _unknown_keys(raw, EXCEPTION_KEYS, "exceptions", problems)
    regexes: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    if "regex" in raw:
        regexes = _regexes(raw, "regex", "exceptions.regex", fragments, problems)
        if problems.compile_patterns:
            _check_compiles(regexes, raw.where("regex"), problems)
    if "phrases" in raw:
        phrases = _as_str_list(raw["phrases"], raw.where("phrases"), "exceptions.phrases", problems)
    return regexes, phrases


def parse_rule(
    raw: LocatedDict, file_langs, defaults: LocatedDict, file_fragments: Fragments, problems: Problems
) -> Rule | None:
    where = raw.where()
    _unknown_keys(raw, RULE_KEYS, "a rule", problems)
    merged = LocatedDict({**defaults, **raw})
    merged.path, merged.line, merged.col = raw.path, raw.line, raw.col
    merged.positions = {**defaults.positions, **raw.positions}
    before = len(problems.items)
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not ID_RE.match(rule_id):
        problems.add(
            raw.where("id") if "id" in raw else where,
            f"rule id {rule_id!r} must look like <lang|any>.<category>.<name>, e.g. de.nav.prev-next",
        )
        rule_id = str(rule_id)
    langs = _parse_langs(raw["lang"], raw.where("lang"), problems) if "lang" in raw else file_langs
    if not langs:
        problems.add(where, "the rule has no language: set 'lang' on the rule or the file")
    elif ID_RE.match(rule_id) and rule_id.split(".")[0] not in (*langs, "any") and "any" not in langs:
        problems.add(raw.where("id"), f"id prefix {rule_id.split('.')[0]!r} does not fit lang {list(langs)}")
    fragments = Fragments(parent=file_fragments)
    if "fragments" in raw:
        fragments.define(raw["fragments"], raw.where("fragments"), problems)
    if "match" not in raw:
        problems.add(where, "a rule needs 'match'")
    match = _parse_match(raw.get("match"), raw.where("match"), fragments, problems)
    exc_regex: tuple[str, ...] = ()
    exc_phrases: tuple[str, ...] = ()
    if "exceptions" in raw:
        exc_regex, exc_phrases = _parse_exceptions(raw["exceptions"], raw.where("exceptions"), fragments, problems)
    fragments.warn_unused(problems)
    guards = _parse_where(merged.get("where"), merged.where("where"), problems)
    action = _choice(merged, "action", ACTIONS, "drop_line", problems)
    if action == "drop_span" and match is not None and (problem := span_problem(match)):
        at = raw["match"].where("anchor") if isinstance(match, RegexMatch) and "anchor" in raw["match"] else None
        problems.add(at or raw.where("match"), problem)
    status = _choice(merged, "status", STATUSES, "stable", problems)
    severity = _choice(merged, "severity", SEVERITIES, "warning", problems)
    is_repeat = isinstance(match, RepeatMatch)
    scope = _choice(merged, "scope", ("line", "document"), "document" if is_repeat else "line", problems)
    if is_repeat and scope != "document":
        problems.add(raw.where("scope"), "a repeat rule has scope: document")
    version = _positive_int(merged, "version", problems, 1) or 1
    texts = {}
    for key in ("title", "category", "message", "description"):
        value = raw.get(key, "")
        if not isinstance(value, str):
            problems.add(raw.where(key), f"{key} must be a string")
            value = ""
        texts[key] = value
    if not texts["message"]:
        problems.add(where, "a rule needs a 'message' saying what it found")
    examples = _parse_examples(raw.get("examples"), raw.where("examples") if "examples" in raw else where, problems)
    override = raw.get("override", False)
    if not isinstance(override, bool):
        problems.add(raw.where("override"), "override must be true or false")
    if len(problems.items) > before or match is None:
        return None
    _warn_broad(raw, match, action, guards, problems)
    return Rule(
        id=rule_id,
        langs=langs,
        match=match,
        exception_regex=exc_regex,
        exception_phrases=exc_phrases,
        max_line_chars=guards.max_line_chars,
        min_line_chars=guards.min_line_chars,
        head_lines=guards.head_lines,
        tail_lines=guards.tail_lines,
        max_per_document=guards.max_per_document,
        # An experimental rule only flags: it reports, it never removes.
        action="flag" if status == "experimental" else action,
        severity=severity,
        status=status,
        version=version,
        scope=scope,
        title=texts["title"],
        category=texts["category"] or rule_id.split(".")[1],
        message=texts["message"],
        description=texts["description"],
        examples=examples,
        where=where,
        override=override,
    )


def parse_rule_file(document, path: str, compile_patterns: bool = True) -> tuple[list[Rule], Problems]:
    """Validate one parsed rule file; return its rules and its problems (``file:line:col: ...``).

    Compiling every regex costs about 5 ms a pattern; ``compile_patterns=False`` skips it
    for the built-in packs, whose patterns the test suite compiles and runs.
    """
    problems = Problems(compile_patterns)
    if not isinstance(document, LocatedDict):
        problems.add(Position(path, 1, 1), "a rule file is a mapping with 'schema' and 'rules'")
        return [], problems
    _unknown_keys(document, FILE_KEYS, "a rule file", problems)
    if document.get("schema") != SCHEMA_TAG:
        problems.add(
            document.where("schema") if "schema" in document else Position(path, 1, 1),
            f"schema must be {SCHEMA_TAG!r}",
        )
    file_langs = _parse_langs(document["lang"], document.where("lang"), problems) if "lang" in document else ()
    defaults = document.get("defaults", LocatedDict())
    if not isinstance(defaults, LocatedDict):
        problems.add(document.where("defaults"), "defaults must be a mapping")
        defaults = LocatedDict()
    if not hasattr(defaults, "positions"):
        defaults.positions, defaults.path, defaults.line, defaults.col = {}, path, 1, 1
    _unknown_keys(defaults, DEFAULTABLE_KEYS, "defaults", problems)
    fragments = Fragments()
    if "fragments" in document:
        fragments.define(document["fragments"], document.where("fragments"), problems)
    raw_rules = document.get("rules")
    if not isinstance(raw_rules, LocatedList):
        problems.add(
            document.where("rules") if "rules" in document else Position(path, 1, 1),
            "'rules' must be a list of rules",
        )
        return [], problems
    rules = []
    first_seen: dict[str, Position] = {}
    for index, raw in enumerate(raw_rules):
        if not isinstance(raw, LocatedDict):
            problems.add(raw_rules.where(index), "a rule must be a mapping")
            continue
        rule = parse_rule(raw, file_langs, defaults, fragments, problems)
        rule_id = raw.get("id")
        if isinstance(rule_id, str) and rule_id in first_seen:  # reported even when the rule is broken too
            problems.add(raw.where(), f"duplicate rule id {rule_id!r} (first defined at {first_seen[rule_id]})")
            continue
        if isinstance(rule_id, str):
            first_seen[rule_id] = raw.where()
        if rule is not None:
            rules.append(rule)
    fragments.warn_unused(problems)
    return rules, problems
