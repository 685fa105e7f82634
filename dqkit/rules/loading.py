"""Find and load rule packs: the built-in packs plus the user's folders."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace
from pathlib import Path

from dqkit.errors import RuleFileError
from dqkit.rules.config import RuleConfig
from dqkit.rules.diagnostics import Problems
from dqkit.rules.model import Rule
from dqkit.rules.schema import parse_rule_file, span_problem
from dqkit.rules.yamlpos import Position, RuleSyntaxError, load_yaml

RULE_SUFFIXES = (".yaml", ".yml")
LEXICON_SCHEMA = "dqkit/lexicon@1"


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
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix in RULE_SUFFIXES
        and p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
    )


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    files: tuple[Path, ...]
    names: tuple[str, ...]  # for reports: builtin:<path in pack> or the path as given


@dataclass
class Loaded:
    """Everything loading found: the rules that are valid, and every problem."""

    ruleset: RuleSet
    problems: Problems = field(default_factory=Problems)


def _unread_files(folder: Path) -> list[Path]:
    """Files in a rule folder that are not read: a rule file with a typo in its suffix
    would otherwise be silently ignored."""
    if folder.is_file():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix not in (*RULE_SUFFIXES, ".md")
        and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
    )


def collect_rules(
    folders: list[Path], include_builtin: bool = True, config: RuleConfig | None = None, compile_builtin: bool = False
) -> Loaded:
    """Load every rule file, keeping going past problems (for ``dqkit rules lint``).

    Rules keep the order of the folders, then of the files (sorted), then of the file:
    that order decides which rule is named when several drop the same line. A rule with
    a built-in rule's id is an error unless it says ``override: true``, when it takes
    the built-in rule's place. ``config`` adds folders, disables rules and changes actions.
    Built-in patterns are compiled only when ``compile_builtin`` (the suite checks them).
    """
    config = config or RuleConfig()
    builtin = [builtin_rules_dir()] if include_builtin else []
    sources = builtin + [Path(f) for f in (*config.paths, *folders)]
    loaded = Loaded(RuleSet((), (), ()))
    rules: list[Rule] = []
    files: list[Path] = []
    names: list[str] = []
    seen: dict[str, tuple[int, Rule, bool]] = {}  # id -> (index in rules, rule, built in)
    for folder in sources:
        if not folder.exists():
            raise RuleFileError(f"rule folder does not exist: {folder}")
        is_builtin = folder in builtin
        for unread in _unread_files(folder):
            loaded.problems.warn(Position(str(unread)), "not read: rule files end in .yaml or .yml")
        for path in rule_files(folder):
            files.append(path)
            names.append(f"builtin:{path.relative_to(folder).as_posix()}" if is_builtin else str(path))
            try:
                document = load_yaml(path.read_text(encoding="utf-8"), str(path))
            except UnicodeDecodeError as exc:
                loaded.problems.add(Position(str(path)), f"not UTF-8 text ({exc.reason})")
                continue
            except RuleSyntaxError as exc:
                loaded.problems.add(exc.where, exc.message)
                continue
            if isinstance(document, dict) and document.get("schema") == LEXICON_SCHEMA:
                continue  # a word list (dqkit.normalize.lexicon), not rules
            file_rules, problems = parse_rule_file(
                document, str(path), compile_patterns=compile_builtin or not is_builtin
            )
            loaded.problems.extend(problems)
            for rule in file_rules:
                if rule.id not in seen:
                    seen[rule.id] = (len(rules), rule, is_builtin)
                    rules.append(rule)
                elif rule.override and seen[rule.id][2]:
                    index = seen[rule.id][0]
                    rules[index] = rule
                    seen[rule.id] = (index, rule, False)
                else:
                    hint = " (add override: true to replace the built-in rule)" if seen[rule.id][2] else ""
                    loaded.problems.add(
                        rule.where, f"duplicate rule id {rule.id!r} (first defined at {seen[rule.id][1].where}){hint}"
                    )
    rules = _apply_config(rules, config, loaded)
    loaded.ruleset = RuleSet(rules=tuple(rules), files=tuple(files), names=tuple(names))
    return loaded


def _apply_config(rules: list[Rule], config: RuleConfig, loaded: Loaded) -> list[Rule]:
    for pattern in (*config.disable, *config.actions):
        if not any(fnmatch.fnmatchcase(rule.id, pattern) for rule in rules):
            loaded.problems.warn(Position(config.source), f"{pattern!r} matches no rule")
    kept = [rule for rule in rules if not any(fnmatch.fnmatchcase(rule.id, p) for p in config.disable)]
    for pattern, action in config.actions.items():
        kept = [replace(rule, action=action) if fnmatch.fnmatchcase(rule.id, pattern) else rule for rule in kept]
    for rule in kept:
        if rule.action == "drop_span" and (problem := span_problem(rule.match)):
            loaded.problems.add(
                Position(config.source), f"rules.actions makes {rule.id} ({rule.where}) drop_span: {problem}"
            )
    return kept


def load_rules(folders: list[Path], include_builtin: bool = True, config: RuleConfig | None = None) -> RuleSet:
    """Load the rules a run uses; raise one :class:`RuleFileError` listing all errors."""
    loaded = collect_rules(folders, include_builtin, config)
    errors = loaded.problems.items
    if errors:
        listing = "\n".join(f"  {error}" for error in errors)
        raise RuleFileError(f"{len(errors)} problem(s) in rule files:\n{listing}")
    return loaded.ruleset
