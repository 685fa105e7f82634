"""Find and load rule packs: the built-in packs plus the user's folders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dqkit.errors import RuleFileError
from dqkit.rules.schema import Rule, parse_rule_file
from dqkit.rules.yamlpos import load_yaml

RULE_SUFFIXES = (".yaml", ".yml")


def builtin_rules_dir() -> Path:
    """The packs shipped with dqkit: ``dqkit/_rules`` in a wheel, ``rules/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_rules", package.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise RuleFileError("the built-in rule packs are missing from this installation of dqkit")


def rule_files(folder: Path) -> list[Path]:
    if folder.is_file():
        return [folder]
    return sorted(p for p in folder.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file()
                  and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts))


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    files: tuple[Path, ...]
    names: tuple[str, ...]  # for reports: builtin:<path in pack> or the path as given


def load_rules(folders: list[Path], include_builtin: bool = True) -> RuleSet:
    """Load every rule file; raise one :class:`RuleFileError` listing all problems.

    Rules keep the order of the folders, then of the files (sorted), then of the file:
    that order decides which rule is named when several drop the same line.
    """
    builtin = [builtin_rules_dir()] if include_builtin else []
    sources = builtin + [Path(f) for f in folders]
    problems: list[str] = []
    rules: list[Rule] = []
    files: list[Path] = []
    names: list[str] = []
    seen: dict[str, str] = {}
    for folder in sources:
        if not folder.exists():
            raise RuleFileError(f"rule folder does not exist: {folder}")
        for path in rule_files(folder):
            files.append(path)
            names.append(f"builtin:{path.relative_to(folder).as_posix()}" if folder in builtin else str(path))
            try:
                document = load_yaml(path.read_text(encoding="utf-8"), str(path))
            except UnicodeDecodeError as exc:
                problems.append(f"{path}: not UTF-8 text ({exc.reason})")
                continue
            except RuleFileError as exc:
                problems.append(str(exc))
                continue
            file_rules, file_problems = parse_rule_file(document, str(path), compile_patterns=folder not in builtin)
            problems.extend(file_problems)
            for rule in file_rules:
                if rule.id in seen:
                    problems.append(f"{rule.where}: duplicate rule id {rule.id!r} (first defined at {seen[rule.id]})")
                    continue
                seen[rule.id] = rule.where
                rules.append(rule)
    if problems:
        listing = "\n".join(f"  {p}" for p in problems)
        raise RuleFileError(f"{len(problems)} problem(s) in rule files:\n{listing}")
    return RuleSet(rules=tuple(rules), files=tuple(files), names=tuple(names))
