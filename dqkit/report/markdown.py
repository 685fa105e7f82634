"""report.md: the run at a glance, rendered from report.json alone.

Corpus text is escaped (HTML special characters, table pipes, backticks, line breaks),
so a document cannot inject markup into a pull-request comment or a CI summary.

>>> escape_cell("<script>|`x`")
'&lt;script&gt;\\\\|\\\\`x\\\\`'
"""

from __future__ import annotations

import html

SAMPLE_CHARS = 120
MAX_ROWS = 50  # per table; the rest is counted with a pointer to report.json
MAX_BYTES = 900 * 1024  # GitHub refuses a step summary over 1 MiB


def escape_cell(text: str) -> str:
    text = html.escape(str(text), quote=False)
    return text.replace("|", "\\|").replace("`", "\\`").replace("\r", " ").replace("\n", " ⏎ ")


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(escape_cell(c) for c in row) + " |" for row in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        lines += ["", f"{len(rows) - MAX_ROWS} more rows in report.json."]
    return [*lines, ""]


def cap_size(text: str, limit: int = MAX_BYTES) -> str:
    """Cut ``text`` at a line boundary so that it stays under ``limit`` bytes, saying so.

    >>> capped = cap_size("a line\\n" * 100, limit=300)
    >>> len(capped.encode()) <= 300, capped.count("a line"), "full report is report.json" in capped
    (True, 29, True)
    """
    if len(text.encode("utf-8")) <= limit:
        return text
    note = "\n\n**Report cut to stay under the size limit of a CI summary; the full report is report.json.**\n"
    budget = limit - len(note.encode("utf-8"))
    cut = text.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    return cut[: max(cut.rfind("\n"), 0)] + note


def render_markdown(report: dict) -> str:
    """report.md: the report at a glance, each section only when it has something to say."""
    lines = _summary(report) + _rules(report) + _dedup(report) + _mt(report) + _stages(report) + _inputs(report)
    return cap_size("\n".join(lines))


def _counts_table(title: str, header: list[str], counts: dict) -> list[str]:
    return ([f"## {title}", "", *_table(header, [[k, v] for k, v in counts.items()])]) if counts else []


def _summary(report: dict) -> list[str]:
    docs = report["documents"]
    balance = "✅ balanced" if docs["balanced"] else "❌ NOT balanced"
    return [
        f"# dqkit clean report (dqkit {report['dqkit_version']})",
        "",
        f"**{docs['in']}** documents in · **{docs['kept']}** kept · **{docs['rejected']}** rejected "
        f"({balance}: in = kept + rejected)",
        "",
        f"Lines removed: **{report['lines']['removed']}** · flagged: {report['lines']['flagged']} · "
        f"characters {report['characters']['in']:,} → {report['characters']['out']:,}",
        "",
        *_counts_table("Rejected documents", ["reason", "documents"], docs["rejected_by_reason"]),
    ]


def _rules(report: dict) -> list[str]:
    lines = []
    if report["rule_hits"]:
        ordered = sorted(report["rule_hits"].items(), key=lambda item: (-item[1]["hits"], item[0]))
        rows = [
            [
                rule_id,
                s["action"],
                s["hits"],
                s["documents"],
                s["lines_removed"],
                s["samples"][0]["text"][:SAMPLE_CHARS] if s["samples"] else "",
            ]
            for rule_id, s in ordered
        ]
        lines += [
            "## Rules that fired",
            "",
            *_table(["rule", "action", "hits", "documents", "lines removed", "example"], rows),
        ]
    lines += _counts_table("Edits by kind", ["kind", "rows"], report["edits_by_kind"])
    return lines + _counts_table("Unicode repairs", ["fix", "lines"], report["unicode"]["fixes"])


def _dedup(report: dict) -> list[str]:
    dedup = report["dedup"]
    if not dedup["clusters"]:
        return []
    return [
        "## Duplicates",
        "",
        f"{dedup['exact_duplicates']} exact and {dedup['near_duplicates']} near "
        f"duplicates in {dedup['clusters']} clusters (mode {dedup['mode']}).",
        "",
        *_table(
            ["kept", "cluster size", "duplicates"],
            [[c["kept"], c["size"], ", ".join(c["duplicates"])] for c in dedup["largest_clusters"]],
        ),
    ]


def _mt(report: dict) -> list[str]:
    mt = report.get("mt", {})
    lines = []
    if mt.get("signals"):
        rows = [[k, v["documents"], v["occurrences"]] for k, v in mt["signals"].items()]
        histogram = ", ".join(f"{k}: {v}" for k, v in mt["score_histogram"].items())
        lines += [
            "## Machine-translation signals",
            "",
            *_table(["signal", "documents", "occurrences"], rows),
            "mt_score of kept documents: " + histogram,
            "",
        ]
    return lines + _counts_table("Languages of kept documents", ["language", "documents"], report["languages"])


def _stages(report: dict) -> list[str]:
    rows = [[stage, name, n] for stage, counters in report.get("stages", {}).items() for name, n in counters.items()]
    return ["## Stage counters", "", *_table(["stage", "counter", "value"], rows)] if rows else []


def _inputs(report: dict) -> list[str]:
    inputs = report["inputs"]
    rows = [
        [f["name"], f["format"] + (f"+{f['compression']}" if f["compression"] else ""), f["documents"], f["unreadable"]]
        for f in inputs["files"]
    ]
    lines = ["## Inputs", "", *_table(["file", "format", "documents", "unreadable records"], rows)]
    notes = []
    if inputs["skipped_files"]:
        notes.append(f"{len(inputs['skipped_files'])} file(s) with an unknown suffix were not read.")
    if inputs["bytes_replaced"]:
        notes.append(f"{inputs['bytes_replaced']} undecodable byte(s) were replaced by U+FFFD.")
    if inputs["ids_generated"]:
        notes.append("Some records had no id: ids were made from file and line.")
    columns = inputs.get("columns", {})
    notes += [f"Input column {old} is carried as {new}." for old, new in columns.get("renamed", {}).items()]
    if columns.get("recomputed"):
        notes.append(f"dqkit's own columns in the input were computed afresh: {', '.join(columns['recomputed'])}.")
    if columns.get("as_json_text"):
        notes.append(f"Carried as JSON text (no single type holds their values): {', '.join(columns['as_json_text'])}.")
    lines += [f"- {escape_cell(n)}" for n in notes] + ([""] if notes else [])
    return [
        *lines,
        f"Rules: {report['rules']['count']} from {len(report['rules']['files'])} file(s), "
        f"fingerprint `{report['rules']['fingerprint']}`. Full detail: report.json, report.html, edits.parquet.",
        "",
    ]
