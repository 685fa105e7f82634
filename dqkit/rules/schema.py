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
into :class:`Rule` objects and collects every problem with its ``file:line:col``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import polars as pl

from dqkit.rules.prefilter import has_unbounded_repeat
from dqkit.rules.yamlpos import LocatedDict, LocatedList

SCHEMA_TAG = "dqkit/rules@1"
ACTIONS = ("drop_line", "drop_doc", "flag")
SEVERITIES = ("error", "warning", "info")
STATUSES = ("experimental", "stable", "deprecated")
CASES = ("sensitive", "insensitive")
ANCHORS = ("anywhere", "line_start", "full_line")
ID_RE = re.compile(r"^(any|[a-z]{2,3})\.[a-z0-9]+(?:[-_][a-z0-9]+)*\.[a-z0-9]+(?:-[a-z0-9]+)*$")
LANG_RE = re.compile(r"^(any|[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)$")

FILE_KEYS = ("schema", "lang", "defaults", "rules")
RULE_KEYS = (
    "id",
    "version",
    "status",
    "title",
    "category",
    "lang",
    "scope",
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
MATCH_KEYS = ("regex", "phrases", "repeat", "case", "anchor")
REPEAT_KEYS = ("min_count", "within_first_lines", "min_chars")
WHERE_KEYS = ("max_line_chars", "min_line_chars", "position", "max_per_document")
POSITION_KEYS = ("head_lines", "tail_lines")
EXCEPTION_KEYS = ("regex", "phrases")
EXAMPLE_KEYS = ("match", "no_match", "todo_match", "todo_no_match")
EXAMPLE_ITEM_KEYS = ("text", "span", "doc", "lines")


@dataclass(frozen=True)
class Example:
    """One example: a single line (``text``, optional expected ``span``) or a whole
    document (``doc``) with the exact set of lines the rule must flag (``lines``)."""

    text: str
    is_doc: bool
    lines: tuple[int, ...] | None
    span: str | None
    where: str


@dataclass(frozen=True)
class Repeat:
    min_count: int = 2
    within_first_lines: int = 6
    min_chars: int = 20


@dataclass(frozen=True)
class Rule:
    id: str
    langs: tuple[str, ...]
    kind: str  # regex | phrases | repeat
    patterns: tuple[str, ...]
    case: str
    anchor: str
    repeat: Repeat | None
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
    where: str = ""  # file:line of the rule
    override: bool = False  # replaces a built-in rule with the same id

    @property
    def applies_to_all_languages(self) -> bool:
        return "any" in self.langs

    @property
    def positional(self) -> bool:
        """True when the rule's verdict on a line depends on the lines around it."""
        return self.kind == "repeat" or self.head_lines is not None or self.tail_lines is not None


class Problems:
    """Validation problems of one file, each ``file:line:col: message``: errors stop a
    run, warnings are for ``dqkit rules lint``. ``compile_patterns`` says whether regexes
    are compiled to check them (see :func:`parse_rule_file`)."""

    def __init__(self, compile_patterns: bool = True) -> None:
        self.items: list[str] = []
        self.warnings: list[str] = []
        self.compile_patterns = compile_patterns

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{where}: {message}")


def _unknown_keys(mapping: LocatedDict, allowed: tuple[str, ...], what: str, problems: Problems) -> None:
    for key in mapping:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else f" (allowed: {', '.join(allowed)})"
            problems.add(mapping.where(key), f"unknown key {key!r} in {what}{suggestion}")


def _as_str_list(value, where: str, what: str, problems: Problems) -> tuple[str, ...]:
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


def regex_pattern(patterns: tuple[str, ...], anchor: str, case: str) -> str:
    """The one regex the matcher runs for a rule's patterns, anchor and case.

    >>> regex_pattern(("PREV", "NEXT"), "line_start", "insensitive")
    '(?i)^(?:(?:PREV)|(?:NEXT))'
    """
    body = "|".join(f"(?:{p})" for p in patterns)
    if anchor == "line_start":
        body = f"^(?:{body})"
    elif anchor == "full_line":
        body = rf"^[\p{{P}}\p{{S}}\s]*(?:{body})[\p{{P}}\p{{S}}\s]*$"
    return ("(?i)" if case == "insensitive" else "") + body


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


def _parse_examples(raw, where: str, problems: Problems) -> dict[str, tuple[Example, ...]]:
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


def _parse_match(raw, where: str, problems: Problems):
    """Returns (kind, patterns, case, anchor, repeat)."""
    if not isinstance(raw, LocatedDict):
        problems.add(where, "match must be a mapping with one of regex, phrases or repeat")
        return "regex", (), "sensitive", "anywhere", None
    _unknown_keys(raw, MATCH_KEYS, "match", problems)
    kinds = [k for k in ("regex", "phrases", "repeat") if k in raw]
    if len(kinds) != 1:
        problems.add(raw.where(), "match needs exactly one of regex, phrases or repeat")
        return "regex", (), "sensitive", "anywhere", None
    kind = kinds[0]
    case = _choice(raw, "case", CASES, "insensitive" if kind == "phrases" else "sensitive", problems)
    anchor = _choice(raw, "anchor", ANCHORS, "anywhere", problems)
    if kind == "repeat":
        spec = raw["repeat"]
        if not isinstance(spec, LocatedDict):
            problems.add(raw.where("repeat"), "repeat must be a mapping")
            return kind, (), case, anchor, Repeat()
        _unknown_keys(spec, REPEAT_KEYS, "repeat", problems)
        repeat = Repeat(*(_positive_int(spec, key, problems, default) for key, default in zip(REPEAT_KEYS, (2, 6, 20))))
        if repeat.min_count < 2:
            problems.add(spec.where("min_count"), "min_count must be at least 2")
        return kind, (), case, anchor, repeat
    patterns = _as_str_list(raw[kind], raw.where(kind), kind, problems)
    # The combined pattern is what matching compiles (and polars caches); only when it
    # fails are the author's patterns checked one by one, for a message about them.
    if (
        kind == "regex"
        and patterns
        and problems.compile_patterns
        and check_regex(regex_pattern(patterns, anchor, case))
    ):
        for pattern in patterns:
            error = check_regex(pattern)
            if error:
                problems.add(raw.where(kind), f"regex {pattern!r} is not usable: {error}")
    return kind, patterns, case, anchor, None


def _parse_where(raw, where: str, problems: Problems):
    if raw is None:
        return None, None, None, None, None
    if not isinstance(raw, LocatedDict):
        problems.add(where, "where must be a mapping")
        return None, None, None, None, None
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
    return (
        _positive_int(raw, "max_line_chars", problems),
        _positive_int(raw, "min_line_chars", problems),
        head,
        tail,
        _positive_int(raw, "max_per_document", problems),
    )


def _parse_langs(value, where: str, problems: Problems) -> tuple[str, ...]:
    langs = _as_str_list(value, where, "lang", problems)
    for lang in langs:
        if not LANG_RE.match(lang):
            problems.add(where, f"{lang!r} is not a language tag (use 'any' or a code such as 'de', 'pt-BR')")
    return tuple(lang.split("-")[0].lower() if lang != "any" else lang for lang in langs)


def _warn_broad(raw, kind, patterns, anchor, action, max_chars, head, tail, problems: Problems) -> None:
    """Warnings for rules that may hit more than their author meant."""
    match = raw["match"]
    for pattern in patterns if kind == "regex" else ():
        if has_unbounded_repeat(pattern):
            problems.warn(
                match.where("regex"),
                f"unbounded repeat in {pattern!r}: bound it, e.g. .{{0,120}} (boilerplate lines are short)",
            )
        if not re.search(r"[\\^$.|?*+()\[\]{}]", pattern):
            problems.warn(match.where("regex"), f"{pattern!r} has no regex syntax: use phrases (faster, exact)")
    if (
        action != "flag"
        and kind != "repeat"
        and anchor != "full_line"
        and max_chars is None
        and head is None
        and tail is None
    ):
        problems.warn(
            raw.where("match"),
            "a removing rule without max_line_chars, position or a full_line anchor can hit long body paragraphs",
        )


def parse_rule(raw: LocatedDict, file_langs, defaults: LocatedDict, problems: Problems) -> Rule | None:
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
    if "match" not in raw:
        problems.add(where, "a rule needs 'match'")
    kind, patterns, case, anchor, repeat = _parse_match(raw.get("match"), raw.where("match"), problems)
    exc_regex: tuple[str, ...] = ()
    exc_phrases: tuple[str, ...] = ()
    if "exceptions" in raw:
        exceptions = raw["exceptions"]
        if not isinstance(exceptions, LocatedDict):
            problems.add(raw.where("exceptions"), "exceptions must be a mapping with regex and/or phrases")
        else:
            _unknown_keys(exceptions, EXCEPTION_KEYS, "exceptions", problems)
            if "regex" in exceptions:
                exc_regex = _as_str_list(exceptions["regex"], exceptions.where("regex"), "exceptions.regex", problems)
                for pattern in exc_regex if problems.compile_patterns else ():
                    error = check_regex(pattern)
                    if error:
                        problems.add(exceptions.where("regex"), f"regex {pattern!r} is not usable: {error}")
            if "phrases" in exceptions:
                exc_phrases = _as_str_list(
                    exceptions["phrases"], exceptions.where("phrases"), "exceptions.phrases", problems
                )
    max_chars, min_chars, head, tail, per_doc = _parse_where(merged.get("where"), merged.where("where"), problems)
    action = _choice(merged, "action", ACTIONS, "drop_line", problems)
    status = _choice(merged, "status", STATUSES, "stable", problems)
    severity = _choice(merged, "severity", SEVERITIES, "warning", problems)
    scope = _choice(merged, "scope", ("line", "document"), "document" if kind == "repeat" else "line", problems)
    if kind == "repeat" and scope != "document":
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
    if len(problems.items) > before:
        return None
    _warn_broad(raw, kind, patterns, anchor, action, max_chars, head, tail, problems)
    return Rule(
        id=rule_id,
        langs=langs,
        kind=kind,
        patterns=patterns,
        case=case,
        anchor=anchor,
        repeat=repeat,
        exception_regex=exc_regex,
        exception_phrases=exc_phrases,
        max_line_chars=max_chars,
        min_line_chars=min_chars,
        head_lines=head,
        tail_lines=tail,
        max_per_document=per_doc,
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
        problems.add(f"{path}:1:1", "a rule file is a mapping with 'schema' and 'rules'")
        return [], problems
    _unknown_keys(document, FILE_KEYS, "a rule file", problems)
    if document.get("schema") != SCHEMA_TAG:
        problems.add(
            document.where("schema") if "schema" in document else f"{path}:1:1", f"schema must be {SCHEMA_TAG!r}"
        )
    file_langs = _parse_langs(document["lang"], document.where("lang"), problems) if "lang" in document else ()
    defaults = document.get("defaults", LocatedDict())
    if not isinstance(defaults, LocatedDict):
        problems.add(document.where("defaults"), "defaults must be a mapping")
        defaults = LocatedDict()
    if not hasattr(defaults, "positions"):
        defaults.positions, defaults.path, defaults.line, defaults.col = {}, path, 1, 1
    _unknown_keys(defaults, DEFAULTABLE_KEYS, "defaults", problems)
    raw_rules = document.get("rules")
    if not isinstance(raw_rules, LocatedList):
        problems.add(
            document.where("rules") if "rules" in document else f"{path}:1:1", "'rules' must be a list of rules"
        )
        return [], problems
    rules = []
    first_seen: dict[str, str] = {}
    for index, raw in enumerate(raw_rules):
        if not isinstance(raw, LocatedDict):
            problems.add(raw_rules.where(index), "a rule must be a mapping")
            continue
        rule = parse_rule(raw, file_langs, defaults, problems)
        rule_id = raw.get("id")
        if isinstance(rule_id, str) and rule_id in first_seen:  # reported even when the rule is broken too
            problems.add(raw.where(), f"duplicate rule id {rule_id!r} (first defined at {first_seen[rule_id]})")
            continue
        if isinstance(rule_id, str):
            first_seen[rule_id] = raw.where()
        if rule is not None:
            rules.append(rule)
    return rules, problems
