"""Rule-file diagnostics (``file:line:col: message``) rendered for people and for CI."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

_WHERE = re.compile(r"^(?P<path>.*?)(?::(?P<line>\d+))?(?::(?P<col>\d+))?: (?P<message>.*)$", re.DOTALL)


@dataclass(frozen=True)
class Diagnostic:
    path: str
    line: int | None
    col: int | None
    level: str  # error | warning
    message: str

    @classmethod
    def parse(cls, text: str, level: str) -> Diagnostic:
        """From ``path:line:col: message`` (line and column optional).

        >>> Diagnostic.parse("r/de.yaml:5:7: unknown key 'x'", "error")
        Diagnostic(path='r/de.yaml', line=5, col=7, level='error', message="unknown key 'x'")
        """
        found = _WHERE.match(text)
        if not found:
            return cls(text, None, None, level, text)
        line, col = found.group("line"), found.group("col")
        return cls(
            found.group("path"), int(line) if line else None, int(col) if col else None, level, found.group("message")
        )

    @property
    def where(self) -> str:
        return ":".join(str(part) for part in (self.path, self.line, self.col) if part is not None)


def render(diagnostics: list[Diagnostic], fmt: str) -> str:
    """``text`` (one per line, then counts), ``json`` (a list), or ``github`` (workflow
    commands that annotate the rule file in a pull request)."""
    if fmt == "json":
        return json.dumps([asdict(d) for d in diagnostics], indent=2, ensure_ascii=False)
    if fmt == "github":
        lines = []
        for d in diagnostics:
            place = ",".join(f"{k}={v}" for k, v in (("file", d.path), ("line", d.line), ("col", d.col)) if v)
            message = d.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            lines.append(f"::{d.level} {place}::{message}")
        return "\n".join(lines)
    errors = sum(d.level == "error" for d in diagnostics)
    lines = [f"{d.where}: {d.level}: {d.message}" for d in diagnostics]
    lines.append(f"{errors} error(s), {len(diagnostics) - errors} warning(s)")
    return "\n".join(lines)
