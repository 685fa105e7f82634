"""How ``dqkit check`` shows its outcomes: plain text, GitHub workflow annotations,
Markdown for a step summary, and JUnit XML.

GitHub shows at most 10 error and 10 warning annotations per step, so ``github`` prints
the first 10 of each level and one notice counting the rest (escaped by :mod:`dqkit.github`).
In ``md`` the report and baseline paths, gate ids, metric names, conditions and messages go
through :func:`dqkit.report.markdown.escape_cell` (plain text, no code spans: inside one a
backslash escape would show); the numbers are formatted by dqkit.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from dqkit.github import annotation
from dqkit.io.atomic import atomic_path
from dqkit.report.markdown import escape_cell

ANNOTATIONS_PER_LEVEL = 10
LABELS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "error": "ERROR"}
ICONS = {"pass": "✅", "warn": "⚠️", "fail": "❌", "error": "🛑"}


def _tally(outcomes) -> str:
    counts = {status: sum(1 for o in outcomes if o.status == status) for status in LABELS}
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "no checks"


def render_text(outcomes, verdict: int, verbose: bool = False) -> str:
    """One line per check that did not pass (every check with ``verbose``), then a tally."""
    lines = [
        f"{LABELS[o.status]:5} {o.name}: {o.message}"
        + (f" [{o.condition}]" if o.status == "pass" and o.condition else "")
        + (" (informational)" if o.gate.informational and o.status in ("warn", "fail") else "")
        for o in outcomes
        if verbose or o.status != "pass"
    ]
    word = {0: "passed", 1: "FAILED", 2: "could not be evaluated"}[verdict]
    return "\n".join([*lines, f"dqkit check {word}: {_tally(outcomes)}"])


def render_github(outcomes, report_path: str) -> str:
    """``::error``/``::warning`` lines (errors for fail and error outcomes), capped per level."""
    lines, rest = [], 0
    for level, statuses in (("error", ("error", "fail")), ("warning", ("warn",))):
        chosen = [o for o in outcomes if o.status in statuses]
        for outcome in chosen[:ANNOTATIONS_PER_LEVEL]:
            kind = "could not evaluate" if outcome.status == "error" else "gate"
            lines.append(annotation(level, outcome.message, file=report_path, title=f"dqkit {kind} {outcome.name}"))
        rest += max(0, len(chosen) - ANNOTATIONS_PER_LEVEL)
    if rest:
        lines.append(
            annotation(
                "notice",
                f"{rest} more gate annotations; run dqkit check without --format github to see all",
                title="dqkit",
            )
        )
    lines.append(f"dqkit check: {_tally(outcomes)}")
    return "\n".join(lines)


def render_check_markdown(outcomes, verdict: int, report_path: str, baseline_path: str | None) -> str:
    """A table for ``$GITHUB_STEP_SUMMARY``: failures first, then warnings, then the rest."""
    order = {"error": 0, "fail": 1, "warn": 2, "pass": 3}
    word = {0: "✅ passed", 1: "❌ failed", 2: "🛑 could not be evaluated"}[verdict]
    against = f" against {escape_cell(baseline_path)}" if baseline_path else ""
    lines = [
        f"## dqkit check {word}",
        "",
        f"{escape_cell(report_path)}{against}: {_tally(outcomes)}",
        "",
        "| | gate | metric | value | baseline | Δ | condition | |",
        "|---|---|---|---:|---:|---:|---|---|",
    ]
    collapsed: dict[str, int] = {}  # passing checks of a glob gate: one row with their count
    for o in sorted(outcomes, key=lambda o: order[o.status]):
        if o.status == "pass" and o.metric != o.gate.metric:
            collapsed[o.gate.id] = collapsed.get(o.gate.id, 0) + 1
            continue
        delta = o.values.get("delta")
        lines.append(
            "| "
            + " | ".join(
                [
                    ICONS[o.status],
                    escape_cell(o.gate.id),
                    escape_cell(o.metric),
                    "–" if o.value is None else f"{o.value:g}",
                    "–" if o.base is None else f"{o.base:g}",
                    "–" if delta is None else f"{delta:+g}",
                    escape_cell(o.condition or o.message),
                    "informational" if o.gate.informational else "",
                ]
            )
            + " |"
        )
    for gate_id, n in collapsed.items():
        gate = next(o.gate for o in outcomes if o.gate.id == gate_id)
        lines.append(
            f"| {ICONS['pass']} | {escape_cell(gate_id)} | {escape_cell(gate.metric)} | | | | "
            f"{n} metrics passed | {'informational' if gate.informational else ''} |"
        )
    return "\n".join([*lines, ""])


def write_junit(outcomes, path) -> None:
    """One ``testcase`` per check in suite ``dqkit.gates``: fail as ``failure``, error as
    ``error``; a warning passes and carries its message in ``system-out``."""
    suite = ElementTree.Element(
        "testsuite",
        name="dqkit.gates",
        tests=str(len(outcomes)),
        failures=str(sum(o.status == "fail" and not o.gate.informational for o in outcomes)),
        errors=str(sum(o.status == "error" for o in outcomes)),
        skipped="0",
    )
    for o in outcomes:
        case = ElementTree.SubElement(suite, "testcase", classname="dqkit.gates", name=o.name)
        if o.status == "fail" and not o.gate.informational:
            ElementTree.SubElement(case, "failure", message=o.message).text = o.message
        elif o.status == "error":
            ElementTree.SubElement(case, "error", message=o.message).text = o.message
        else:
            ElementTree.SubElement(case, "system-out").text = f"{LABELS[o.status]}: {o.message}"
    root = ElementTree.Element("testsuites")
    root.append(suite)
    ElementTree.indent(root)
    with atomic_path(Path(path)) as partial:  # a reader never sees half a file
        ElementTree.ElementTree(root).write(partial, encoding="utf-8", xml_declaration=True)
