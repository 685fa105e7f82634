"""Rule-file diagnostics: what loading found wrong, where, rendered for people and for CI.

>>> problems = Problems()
>>> problems.add(Position("r/de.yaml", 5, 7), "unknown key 'x'")
>>> problems.items
[Diagnostic(path='r/de.yaml', line=5, col=7, level='error', message="unknown key 'x'")]
>>> str(problems.items[0])
"r/de.yaml:5:7: unknown key 'x'"
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from dqkit.github import annotation
from dqkit.rules.yamlpos import Position


@dataclass(frozen=True)
class Diagnostic:
    path: str
    line: int | None
    col: int | None
    level: str  # error | warning
    message: str

    @classmethod
    def at(cls, where: Position, level: str, message: str) -> Diagnostic:
        return cls(where.path, where.line, where.col, level, message)

    @property
    def where(self) -> Position:
        return Position(self.path, self.line, self.col)

    def __str__(self) -> str:
        """``file:line:col: message``, as a run that stops on a broken rule file prints it."""
        return f"{self.where}: {self.message}"


class Problems:
    """The diagnostics of loading: errors (``items``) stop a run, warnings are for ``dqkit
    rules lint``. ``compile_patterns`` says whether regexes are compiled to check them (see
    :func:`dqkit.rules.schema.parse_rule_file`)."""

    def __init__(self, compile_patterns: bool = True) -> None:
        self.items: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.compile_patterns = compile_patterns

    def add(self, where: Position, message: str) -> None:
        self.items.append(Diagnostic.at(where, "error", message))

    def warn(self, where: Position, message: str) -> None:
        self.warnings.append(Diagnostic.at(where, "warning", message))

    def extend(self, other: Problems) -> None:
        self.items.extend(other.items)
        self.warnings.extend(other.warnings)


def render(diagnostics: list[Diagnostic], fmt: str) -> str:
    """``text`` (one per line, then counts), ``json`` (a list), or ``github`` (workflow
    commands that annotate the rule file in a pull request)."""
    if fmt == "json":
        return json.dumps([asdict(d) for d in diagnostics], indent=2, ensure_ascii=False)
    if fmt == "github":
        return "\n".join(annotation(d.level, d.message, file=d.path, line=d.line, col=d.col) for d in diagnostics)
    errors = sum(d.level == "error" for d in diagnostics)
    lines = [f"{d.where}: {d.level}: {d.message}" for d in diagnostics]
    lines.append(f"{errors} error(s), {len(diagnostics) - errors} warning(s)")
    return "\n".join(lines)
