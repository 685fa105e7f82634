"""Safe YAML loading that remembers where every key and value stood.

Rule files are data, never code: only the safe YAML constructors run. Mappings and
sequences come back as :class:`Located` containers, so an error can name ``file:line:col``.

Bounded: before anything is built, the parser's events are counted, and a document whose
aliases would add more than :data:`MAX_ALIAS_NODES` nodes (a "billion laughs": each level
of aliases multiplies the one below), that nests deeper than :data:`MAX_DEPTH`, or whose
alias points into the collection it stands in (a cycle) is refused, naming the alias.

>>> doc = load_yaml("a: 1\\nb:\\n  - x\\n", "r.yaml")
>>> doc["b"][0], str(doc.where("b")), str(doc["b"].where(0))
('x', 'r.yaml:2:1', 'r.yaml:3:5')
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from dqkit.errors import RuleFileError


@dataclass(frozen=True)
class Position:
    """A place in a file; line and column are 1-based and may be unknown.

    >>> str(Position("r.yaml", 3, 5)), str(Position("r.yaml", 3)), str(Position("notes.txt"))
    ('r.yaml:3:5', 'r.yaml:3', 'notes.txt')
    """

    path: str
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        return ":".join(str(part) for part in (self.path, self.line, self.col) if part is not None)


class RuleSyntaxError(RuleFileError):
    """A rule file that is not valid YAML, with the place the parser stopped."""

    def __init__(self, where: Position, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


class Located:
    """Mixin: the position of the container and of each of its keys or items."""

    path: str
    line: int
    col: int
    positions: dict

    def where(self, key=None) -> Position:
        line, col = self.positions.get(key, (self.line, self.col)) if key is not None else (self.line, self.col)
        return Position(self.path, line, col)


class LocatedDict(dict, Located):
    pass


class LocatedList(list, Located):
    pass


def _convert(node: yaml.Node, loader, path: str):
    result: LocatedDict | LocatedList
    if isinstance(node, yaml.MappingNode):
        result = LocatedDict()
        result.positions = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, loader, path)
            if isinstance(key, (dict, list)):
                raise RuleSyntaxError(Position(path, key_node.start_mark.line + 1), "a key must be a plain value")
            if key in result:
                raise RuleSyntaxError(
                    Position(path, key_node.start_mark.line + 1, key_node.start_mark.column + 1),
                    f"key {key!r} appears twice",
                )
            result[key] = _convert(value_node, loader, path)
            result.positions[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        result = LocatedList(_convert(item, loader, path) for item in node.value)
        result.positions = {
            i: (item.start_mark.line + 1, item.start_mark.column + 1) for i, item in enumerate(node.value)
        }
    else:
        return loader.construct_object(node, deep=True)
    result.path, result.line, result.col = path, node.start_mark.line + 1, node.start_mark.column + 1
    return result


# libyaml's parser when PyYAML was built with it (about 10x faster); same safe constructors.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_ALIAS_NODES = 100_000  # nodes that aliases may add to one document, once expanded
MAX_DEPTH = 100  # collections inside collections (a rule file needs about 6)


def _mark(path: str, mark) -> Position:
    return Position(path, mark.line + 1, mark.column + 1)


def _check_bounds(text: str, path: str) -> None:
    """Refuse a document whose aliases would expand past :data:`MAX_ALIAS_NODES` nodes,
    that nests deeper than :data:`MAX_DEPTH` or holds a cyclic alias: from the parser's
    events alone, so memory stays that of the text (an anchor's expanded size is one number).

    >>> _check_bounds("a: &a [x, x]\\nb: &b [*a, *a]\\nc: [*b, *b]\\n", "r.yaml")  # aliases add 2 + 2 * 5 nodes
    >>> try:
    ...     _check_bounds("a: &a [x]\\nb: &b [*a, *a]\\nc: [" + ", ".join(["*b"] * 20_000) + "]", "r.yaml")
    ... except RuleSyntaxError as exc:
    ...     print(exc.where, exc.message[:40])
    r.yaml:3:80001 alias *b expands to 5 nodes: aliases may
    """
    sizes: dict[str, int] = {}  # anchor -> nodes it stands for, expanded
    stack: list[list] = []  # per open collection: [anchor, nodes so far]
    added = 0
    parser = _Loader(text)
    try:
        while (event := parser.get_event()) is not None:
            if isinstance(event, yaml.CollectionStartEvent):
                stack.append([event.anchor, 1])
                if len(stack) > MAX_DEPTH:
                    raise RuleSyntaxError(_mark(path, event.start_mark), f"nested more than {MAX_DEPTH} levels deep")
                continue
            anchor = getattr(event, "anchor", None)
            if isinstance(event, yaml.AliasEvent):
                if any(event.anchor == open_anchor for open_anchor, _ in stack):
                    raise RuleSyntaxError(
                        _mark(path, event.start_mark), f"alias *{event.anchor} refers to a collection it is in"
                    )
                nodes = sizes.get(event.anchor, 1)  # an undefined alias: the composer says so
                added += nodes
                if added > MAX_ALIAS_NODES:
                    raise RuleSyntaxError(
                        _mark(path, event.start_mark),
                        f"alias *{event.anchor} expands to {nodes:,} nodes: aliases may add at most "
                        f"{MAX_ALIAS_NODES:,} nodes to a document (a YAML alias bomb?)",
                    )
                anchor = None  # an alias uses an anchor, it does not define one
            elif isinstance(event, yaml.ScalarEvent):
                nodes = 1
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, nodes = stack.pop()
            else:  # stream and document start and end
                continue
            if anchor:
                sizes[anchor] = nodes
            if stack:
                stack[-1][1] += nodes
    finally:
        parser.dispose()


def load_yaml(text: str, path: str):
    """Parse one YAML document (bounded, see :func:`_check_bounds`); syntax errors become
    :class:`RuleSyntaxError` with a position."""
    loader = _Loader(text)
    try:
        _check_bounds(text, path)
        node = loader.get_single_node()
        return None if node is None else _convert(node, loader, path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Position(path, mark.line + 1, mark.column + 1) if mark else Position(path)
        raise RuleSyntaxError(where, f"YAML syntax error: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise RuleSyntaxError(Position(path), f"YAML error: {exc}") from exc
    finally:
        loader.dispose()
