"""Quality gates for ``dqkit check``: thresholds on report metrics, absolute or against a
baseline report, read from ``dqkit.toml`` or ``[tool.dqkit]`` in ``pyproject.toml``::

    [[gates]]
    id = "rejected-share"
    metric = "documents.rejected_pct"      # a name from ``dqkit.report.metrics``
    warn_if = "> 10"                       # value > 10 % of documents rejected
    error_if = "> 25"

    [[gates]]
    id = "rejected-share-rise"
    metric = "documents.rejected_pct"
    error_if = "delta > 2"                 # rises by more than 2 points over --baseline

    [[gates]]
    id = "rule-drift"
    metric = "rules.*.hits"                # a glob: one check per matching metric
    warn_if = "delta_pct > 25 and abs_delta >= 20"
    informational = true                   # shown, never fails the build

A condition is one or more comparisons joined by ``and``: ``[VARIABLE] OP NUMBER`` with
OP one of ``> >= < <= == !=`` and VARIABLE one of ``value`` (the default), ``delta``
(head - baseline), ``abs_delta`` and ``delta_pct`` (relative change, in percent). As in
dbt, ``error_if`` is checked first, then ``warn_if``.

Two gates always run: ``corpus-not-empty`` (documents.in >= 1) and ``nothing-lost``
(every document read is either kept or rejected).

A gate that cannot be evaluated is an *error* (exit 2), never a silent pass: a metric
name that is not in the report, a delta without ``--baseline``, or a metric missing from
the baseline. A glob that matches nothing passes with a note; a metric matched by a glob
that the baseline lacks counts as 0 there (a rule that is new, a new rejection reason).
"""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from dqkit.errors import DqkitError
from dqkit.report.metrics import metrics
from dqkit.rules.config import read_settings

VARIABLES = ("value", "delta", "abs_delta", "delta_pct")
_COMPARISON = re.compile(r"^\s*(value|delta|abs_delta|delta_pct)?\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
_OPERATORS = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
GATE_KEYS = {"id", "metric", "warn_if", "error_if", "informational", "description"}


class GateError(DqkitError):
    """Gates that cannot be read or evaluated (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Condition:
    """``delta > 2 and value >= 1`` as (variable, operator, number) triples.

    >>> c = Condition.parse("delta > 2 and value >= 1")
    >>> c.holds({"value": 5, "delta": 3}), c.holds({"value": 5, "delta": 2}), c.uses_baseline
    (True, False, True)
    """

    text: str
    parts: tuple[tuple[str, str, float], ...]

    @classmethod
    def parse(cls, text: str) -> Condition:
        parts = []
        for piece in str(text).split(" and "):
            match = _COMPARISON.match(piece)
            if not match:
                raise ValueError(
                    f"cannot read condition {text!r}: write e.g. '> 10', 'delta > 2' or "
                    f"'delta_pct > 25 and abs_delta >= 20' (variables: {', '.join(VARIABLES)})"
                )
            number = float(match[3])
            if not math.isfinite(number):
                raise ValueError(f"cannot read condition {text!r}: {match[3][:20]}... is too large a number")
            parts.append((match[1] or "value", match[2], number))
        return cls(str(text), tuple(parts))

    @property
    def uses_baseline(self) -> bool:
        return any(variable != "value" for variable, _, _ in self.parts)

    def holds(self, values: dict) -> bool:
        return all(values.get(v) is not None and _OPERATORS[op](values[v], n) for v, op, n in self.parts)


@dataclass(frozen=True)
class Gate:
    id: str
    metric: str
    error_if: Condition | None = None
    warn_if: Condition | None = None
    informational: bool = False
    description: str = ""
    source: str = "built-in"

    @property
    def uses_baseline(self) -> bool:
        return any(c is not None and c.uses_baseline for c in (self.error_if, self.warn_if))


BUILTIN_GATES = (
    Gate(
        "corpus-not-empty",
        "documents.in",
        error_if=Condition.parse("< 1"),
        description="a run that read no documents never passes",
    ),
    Gate(
        "nothing-lost",
        "documents.balanced",
        error_if=Condition.parse("!= 1"),
        description="every document read is kept or rejected (in = kept + rejected)",
    ),
)


@dataclass
class Outcome:
    """One evaluated check: status is pass, warn, fail or error."""

    gate: Gate
    metric: str
    status: str
    message: str
    value: float | None = None
    base: float | None = None
    condition: str = ""
    values: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.gate.id if self.metric == self.gate.metric else f"{self.gate.id}[{self.metric}]"


_GATES_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*(?:tool[ \t]*\.[ \t]*dqkit[ \t]*\.[ \t]*)?gates[ \t]*\]\]", re.M)


def _entry_places(path: Path, count: int) -> list[str]:
    """``file:line`` of each ``[[gates]]`` entry, where its header can be found (else the file)."""
    text = path.read_text(encoding="utf-8")
    lines = [text.count("\n", 0, match.start()) + 1 for match in _GATES_HEADER.finditer(text)]
    return [f"{path}:{line}" for line in lines] if len(lines) == count else [str(path)] * count


def _entry_problem(entry: dict, known: set[str]) -> str | None:
    """What is wrong with one ``[[gates]]`` entry before its conditions are read, or None."""
    unknown = sorted(set(entry) - GATE_KEYS)
    if unknown:
        return f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(GATE_KEYS))})"
    if not all(isinstance(entry.get(key), str) and entry[key].strip() for key in ("id", "metric")):
        return "'id' and 'metric' are required, non-empty strings"
    if entry["id"] in known:
        return f"a gate with id {entry['id']!r} is already defined"
    if "error_if" not in entry and "warn_if" not in entry:
        return "give error_if, warn_if or both"
    for key, kind, example in (
        ("error_if", str, "'> 10'"),
        ("warn_if", str, "'> 10'"),
        ("informational", bool, "true"),
        ("description", str, "'why'"),
    ):
        if key in entry and not isinstance(entry[key], kind):
            return f"{key} must be a {'string' if kind is str else 'boolean'} such as {example}, not {entry[key]!r}"
    return None


def load_gates(path: Path | None) -> tuple[Gate, ...]:
    """The built-in gates and those of the settings file ``path`` (None: built-ins only)."""
    if path is None:
        return BUILTIN_GATES
    try:
        settings = read_settings(path) or {}
    except DqkitError as exc:
        raise GateError(str(exc)) from None
    entries = settings.get("gates", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise GateError(f"{path}: gates must be an array of tables ([[gates]] entries)")
    gates = list(BUILTIN_GATES)
    for number, (entry, place) in enumerate(zip(entries, _entry_places(path, len(entries)), strict=True), 1):
        where = f"{place}: gate {number}" + (f" ({entry['id']})" if "id" in entry else "")
        problem = _entry_problem(entry, {g.id for g in gates})
        if problem:
            raise GateError(f"{where}: {problem}")
        try:
            conditions = {key: Condition.parse(entry[key]) if key in entry else None for key in ("error_if", "warn_if")}
        except ValueError as exc:
            raise GateError(f"{where}: {exc}") from None
        gates.append(
            Gate(
                entry["id"],
                entry["metric"],
                informational=entry.get("informational", False),
                description=entry.get("description", ""),
                source=str(path),
                **conditions,
            )
        )
    return tuple(gates)


def _values(value, base) -> dict:
    values = {"value": value}
    if base is not None:
        values["delta"] = round(value - base, 9)
        values["abs_delta"] = abs(values["delta"])
        values["delta_pct"] = (100.0 * (value - base) / abs(base)) if base else (0.0 if value == base else float("inf"))
    return values


def _show(number) -> str:
    if number is None:
        return "–"
    return f"{number:g}" if isinstance(number, float) else str(number)


def _evaluate_one(gate: Gate, metric: str, head: dict, base: dict | None, glob: bool) -> Outcome:
    if metric not in head:
        return Outcome(gate, metric, "error", f"metric {metric} is not in the report")
    value = head[metric]
    base_value = None
    if base is not None:
        base_value = base.get(metric, 0 if glob else None)
    if gate.uses_baseline and base_value is None:
        return Outcome(gate, metric, "error", f"metric {metric} is not in the baseline report", value)
    values = _values(value, base_value)
    shown = f"{metric} = {_show(value)}" + (
        f" (baseline {_show(base_value)}, Δ {values['delta']:+g})" if base_value is not None else ""
    )
    for status, condition in (("fail", gate.error_if), ("warn", gate.warn_if)):
        if condition is not None and condition.holds(values):
            key = "error_if" if status == "fail" else "warn_if"
            return Outcome(
                gate,
                metric,
                status,
                f"{shown}: {key} {condition.text}",
                value,
                base_value,
                f"{key} {condition.text}",
                values,
            )
    conditions = " · ".join(f"{k} {c.text}" for k, c in (("error_if", gate.error_if), ("warn_if", gate.warn_if)) if c)
    return Outcome(gate, metric, "pass", shown, value, base_value, conditions, values)


def evaluate(gates, report: dict, baseline: dict | None = None) -> list[Outcome]:
    """Every check of every gate, in gate order (glob matches sorted by name)."""
    head = metrics(report)
    base = metrics(baseline) if baseline is not None else None
    outcomes = []
    for gate in gates:
        if gate.uses_baseline and base is None:  # one error per gate, not one per metric of a glob
            outcomes.append(
                Outcome(
                    gate,
                    gate.metric,
                    "error",
                    f"{gate.metric}: the condition compares with a baseline; pass --baseline",
                )
            )
        elif any(ch in gate.metric for ch in "*?["):
            names = sorted(n for n in head if fnmatch.fnmatchcase(n, gate.metric))
            if not names:
                outcomes.append(Outcome(gate, gate.metric, "pass", f"no metric matches {gate.metric}"))
            outcomes += [_evaluate_one(gate, name, head, base, glob=True) for name in names]
        else:
            outcomes.append(_evaluate_one(gate, gate.metric, head, base, glob=False))
    return outcomes


def exit_code(outcomes: list[Outcome], fail_on: str = "error") -> int:
    """2 if any check could not be evaluated, else 1 if any (non-informational) check
    failed (or warned, with ``fail_on="warning"``), else 0."""
    if any(o.status == "error" for o in outcomes):
        return 2
    blocking = {"fail", "warn"} if fail_on == "warning" else {"fail"}
    return 1 if any(o.status in blocking and not o.gate.informational for o in outcomes) else 0
