"""Project settings for rules: ``dqkit.toml``, or ``[tool.dqkit]`` in ``pyproject.toml``.

    [rules]
    paths = ["my-rules/"]             # rule folders loaded after the built-in packs
    disable = ["de.header.*"]         # rule ids or globs that never run
    [rules.actions]
    "en.cta.*" = "flag"               # change what matching rules do: drop_line, drop_span, drop_doc, flag

The same file holds the ``[[gates]]`` of ``dqkit check`` (see ``dqkit.report.gates``).
Paths are relative to the file that names them. The first of ``dqkit.toml`` and
``pyproject.toml`` found in the current folder is used, unless ``--config`` names one.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dqkit.errors import RuleFileError
from dqkit.rules.schema import ACTIONS


@dataclass(frozen=True)
class RuleConfig:
    paths: tuple[Path, ...] = ()
    disable: tuple[str, ...] = ()
    actions: dict[str, str] = field(default_factory=dict, hash=False)
    source: str = ""  # the file the settings came from ("" for none)


SECTIONS = ("rules", "gates")


def read_settings(path: Path) -> dict | None:
    """dqkit's settings in ``path`` (None: a pyproject.toml without ``[tool.dqkit]``); a file
    that is not UTF-8 TOML, or whose settings are not a table of known sections, is refused."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise RuleFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(f"{path}: not valid TOML ({exc})") from exc
    except RecursionError:
        raise RuleFileError(f"{path}: not valid TOML (nested too deeply)") from None
    settings: Any = data
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        settings = tool.get("dqkit") if isinstance(tool, dict) else tool
        if settings is None:
            return None
        if not isinstance(settings, dict):
            raise RuleFileError(f"{path}: tool.dqkit must be a table ([tool.dqkit])")
    unknown = sorted(set(settings) - set(SECTIONS))
    if unknown:
        raise RuleFileError(f"{path}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(SECTIONS)})")
    return settings


def find_config(folder: Path) -> Path | None:
    for name in ("dqkit.toml", "pyproject.toml"):
        candidate = folder / name
        if candidate.is_file() and read_settings(candidate) is not None:
            return candidate
    return None


def load_config(path: Path | None) -> RuleConfig:
    """Read the ``[rules]`` settings of ``path`` (None: no settings)."""
    if path is None:
        return RuleConfig()
    settings = read_settings(path) or {}
    rules = settings.get("rules", {})
    if not isinstance(rules, dict):
        raise RuleFileError(f"{path}: rules must be a table ([rules])")
    unknown = sorted(set(rules) - {"paths", "disable", "actions"})
    if unknown:
        raise RuleFileError(
            f"{path}: unknown setting(s) {', '.join(f'rules.{key}' for key in unknown)} "
            "(known: rules.paths, rules.disable, rules.actions)"
        )
    for key in ("paths", "disable"):
        if not isinstance(rules.get(key, []), list) or not all(isinstance(v, str) for v in rules.get(key, [])):
            raise RuleFileError(f"{path}: rules.{key} must be a list of strings")
    actions = rules.get("actions", {})
    if not isinstance(actions, dict):
        raise RuleFileError(f"{path}: rules.actions must be a table ([rules.actions])")
    bad = {k: v for k, v in actions.items() if v not in ACTIONS}
    if bad:
        raise RuleFileError(f"{path}: rules.actions: {bad} (an action is one of {', '.join(ACTIONS)})")
    return RuleConfig(
        paths=tuple(path.parent / p for p in rules.get("paths", [])),
        disable=tuple(rules.get("disable", [])),
        actions=dict(actions),
        source=str(path),
    )
