"""``dqkit diff``: what changed between two report.json files.

Every metric and every rule with its value before and after and the delta; rules that
appeared or vanished; rules whose definition changed (their hash in ``rules.definitions``);
sample lines that are new in HEAD; and which inputs changed (dqkit version, rule packs,
options, corpus), so a reviewer can tell a rule edit from a corpus edit.

The Markdown is meant for a pull-request comment: every name, id and sample line in it
goes through :func:`dqkit.report.markdown.escape_cell`, so two reports' contents show as
text and make no link, image or markup there; the numbers are formatted by dqkit.
"""

from __future__ import annotations

from typing import Any

from dqkit.report.markdown import escape_cell
from dqkit.report.metrics import RULE_FIELDS, metrics

PROVENANCE = {
    "dqkit version": lambda r: r.get("dqkit_version"),
    "rule packs": lambda r: r.get("rules", {}).get("fingerprint"),
    "options": lambda r: r.get("options_hash"),
    "corpus": lambda r: r.get("inputs", {}).get("fingerprint"),
}


def _delta(base, head) -> dict:
    entry = {"base": base, "head": head}
    if base is not None and head is not None:
        entry["delta"] = round(head - base, 6)
        entry["delta_pct"] = round(100.0 * (head - base) / base, 4) if base else None
    return entry


def _rule_entry(rule_id: str, base: dict, head: dict) -> dict:
    in_base = rule_id in base.get("rules", {}).get("definitions", base.get("rule_hits", {}))
    in_head = rule_id in head.get("rules", {}).get("definitions", head.get("rule_hits", {}))
    before = base.get("rule_hits", {}).get(rule_id, {})
    after = head.get("rule_hits", {}).get(rule_id, {})
    entry: dict[str, Any] = {
        key: _delta(before.get(key, 0) if in_base else None, after.get(key, 0) if in_head else None)
        for key in RULE_FIELDS
    }
    definition = (
        base.get("rules", {}).get("definitions", {}).get(rule_id),
        head.get("rules", {}).get("definitions", {}).get(rule_id),
    )
    entry["status"] = (
        "appeared"
        if not in_base
        else "vanished"
        if not in_head
        else "changed"
        if any(entry[k]["delta"] for k in RULE_FIELDS)
        else "unchanged"
    )
    entry["definition_changed"] = bool(
        in_base and in_head and None not in definition and definition[0] != definition[1]
    )
    seen = {(s["doc_id"], s["text"]) for s in before.get("samples", [])}
    entry["new_samples"] = [s for s in after.get("samples", []) if (s["doc_id"], s["text"]) not in seen]
    return entry


def diff_reports(base: dict, head: dict) -> dict:
    """The comparison as a dict (what ``--format json`` prints).

    >>> b = {"documents": {"in": 2, "kept": 2, "rejected": 0}, "rule_hits": {}}
    >>> h = {"documents": {"in": 2, "kept": 1, "rejected": 1}, "rule_hits": {"r": {"hits": 1, "samples": []}}}
    >>> d = diff_reports(b, h)
    >>> d["metrics"]["documents.rejected_pct"], d["rules"]["r"]["status"]
    ({'base': 0.0, 'head': 50.0, 'delta': 50.0, 'delta_pct': None}, 'appeared')
    """
    before, after = metrics(base), metrics(head)
    metric_names = sorted(
        (set(before) | set(after))
        - {n for n in set(before) | set(after) if n.startswith("rules.") and n != "rules.count"}
    )
    rule_ids = sorted(
        set(base.get("rule_hits", {}))
        | set(head.get("rule_hits", {}))
        | set(base.get("rules", {}).get("definitions", {}))
        | set(head.get("rules", {}).get("definitions", {}))
    )
    rules = {rule_id: _rule_entry(rule_id, base, head) for rule_id in rule_ids}
    return {
        "provenance": {
            name: {"base": get(base), "head": get(head), "changed": get(base) != get(head)}
            for name, get in PROVENANCE.items()
        },
        "metrics": {name: _delta(before.get(name), after.get(name)) for name in metric_names},
        "rules": rules,
        "summary": {
            "metrics_changed": sum(1 for name in metric_names if before.get(name) != after.get(name)),
            "rules_changed": sorted(r for r, e in rules.items() if e["status"] == "changed"),
            "rules_appeared": sorted(r for r, e in rules.items() if e["status"] == "appeared"),
            "rules_vanished": sorted(r for r, e in rules.items() if e["status"] == "vanished"),
            "definitions_changed": sorted(r for r, e in rules.items() if e["definition_changed"]),
        },
    }


def has_changes(diff: dict) -> bool:
    summary = diff["summary"]
    return bool(
        summary["metrics_changed"]
        or summary["rules_changed"]
        or summary["rules_appeared"]
        or summary["rules_vanished"]
        or summary["definitions_changed"]
    )


def _signed(value) -> str:
    if value is None:
        return "–"
    return f"{value:+,}" if isinstance(value, int) else f"{value:+,.4g}"


def _plain(value) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"


def render_diff_markdown(diff: dict, base_name: str, head_name: str, max_samples: int = 20) -> str:
    """The comparison for a pull-request comment: only what changed, with a count of the rest."""
    lines = [f"# dqkit diff: {escape_cell(base_name)} → {escape_cell(head_name)}", ""]
    changed_inputs = [name for name, p in diff["provenance"].items() if p["changed"]]
    lines += ["Changed inputs: " + (escape_cell(", ".join(changed_inputs)) if changed_inputs else "none") + ".", ""]
    if not has_changes(diff):
        return "\n".join([*lines, "No metric and no rule changed.", ""])
    changed = {n: m for n, m in diff["metrics"].items() if m["base"] != m["head"]}
    if changed:
        lines += ["## Metrics", "", "| metric | base | head | Δ |", "|---|---:|---:|---:|"]
        lines += [
            f"| {escape_cell(n)} | {_plain(m['base'])} | {_plain(m['head'])} | {_signed(m.get('delta'))} |"
            for n, m in changed.items()
        ]
        lines += ["", f"{len(diff['metrics']) - len(changed)} other metrics unchanged.", ""]
    rules = {r: e for r, e in diff["rules"].items() if e["status"] != "unchanged" or e["definition_changed"]}
    if rules:
        lines += [
            "## Rules",
            "",
            "| rule | status | definition | hits | documents | lines removed | spans cut |",
            "|---|---|---|---:|---:|---:|---:|",
        ]
        ordered = sorted(rules.items(), key=lambda item: (-abs(item[1]["hits"].get("delta") or 0), item[0]))
        for rule_id, e in ordered:
            cells = [
                f"{_plain(e[k]['base'])} → {_plain(e[k]['head'])} ({_signed(e[k].get('delta'))})" for k in RULE_FIELDS
            ]
            lines.append(
                f"| {escape_cell(rule_id)} | {escape_cell(e['status'])} | "
                f"{'changed' if e['definition_changed'] else ''} | " + " | ".join(cells) + " |"
            )
        lines.append("")
    samples = [(r, s) for r, e in sorted(diff["rules"].items()) for s in e["new_samples"]]
    if samples:
        lines += ["## New sample lines", "", "| rule | document | line | text |", "|---|---|---:|---|"]
        lines += [
            f"| {escape_cell(r)} | {escape_cell(s['doc_id'])} | {escape_cell(s['line_no'])} | "
            f"{escape_cell(s['text'][:200])} |"
            for r, s in samples[:max_samples]
        ]
        if len(samples) > max_samples:
            lines += ["", f"{len(samples) - max_samples} more new sample lines in `dqkit diff --format json`."]
        lines.append("")
    return "\n".join(lines)
