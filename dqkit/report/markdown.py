"""report.md: the run at a glance, rendered from report.json alone.

Everything in report.md, in ``dqkit diff``'s Markdown and in ``dqkit check --format md``
that dqkit did not write literally (corpus text, ids, rule ids, file names, languages,
reasons, gate names and messages, report values) goes through :func:`escape_cell`, which
makes it inert text in GitHub-flavoured Markdown wherever it stands: in a table cell, in
running text, at the start of a list item or in a heading. No image, link, HTML tag,
emphasis, code span, list, quote or heading can come from the data, and GFM's bare-URL
and e-mail autolinks do not form (tests/test_markdown_escaping.py renders with cmark-gfm).
An invisible word joiner after ``@`` and ``#`` is meant to keep github.com's own filters,
which no local renderer has, from making @mentions and #123 references. These outputs
link nowhere: the files dqkit writes (report.json, report.html) are named as plain text.

>>> escape_cell("![x](http://evil.example/x.png) <b>|`x`")
'!\\\\[x\\\\](http\\\\://evil.example/x.png) &lt;b&gt;\\\\|\\\\`x\\\\`'
"""

from __future__ import annotations

import re

from dqkit.report.wording import counted, noun, passed_over_note

SAMPLE_CHARS = 120
MAX_ROWS = 50  # per table; the rest is counted with a pointer to report.json
MAX_BYTES = 900 * 1024  # GitHub refuses a step summary over 1 MiB

LINE_BREAK = " ⏎ "  # what a line break in a value shows as (a value never spans lines)
WORD_JOINER = "\u2060"  # invisible; after @ and # it keeps GitHub from making a mention or an issue link
_ESCAPES = str.maketrans(
    {
        **{c: "\\" + c for c in "\\`*~[]|$"},  # code, emphasis, strikethrough, links, table cells, math
        "#": "\\#" + WORD_JOINER,  # heading (at the start or closing it), GitHub's #123 references
        "@": "@" + WORD_JOINER,  # GitHub's @mentions and GFM's e-mail autolinks (x@y.z, mailto:, xmpp:)
        "&": "&amp;",  # entities
        "<": "&lt;",  # HTML, <autolinks>
        ">": "&gt;",  # HTML, quotes
        "\x00": "\ufffd",  # what a Markdown renderer shows for NUL anyway
    }
)
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # emphasis; within a word (doc_id) it is none
_AUTOLINK = re.compile(r":(?=//)|(?<=www)\.", re.IGNORECASE)  # GFM links http://, ftp://, www. bare
_BLOCK_START = re.compile(r"^(?:[-+=](?=[-+=\s]|$)|[0-9]{1,9}(?=[.)](?:\s|$)))")  # a list item, a rule
_EDGE_SPACE = re.compile(r"^\s+|\s+$")  # indentation makes code; a cell or a heading trims it


def escape_cell(value: object) -> str:
    """``value`` as inert Markdown text that shows exactly its characters, on one line.

    Backslash escapes for the punctuation that can open inline markup anywhere (``_`` only
    where it could be emphasis: ``doc_id`` stays as it is) and for a list or rule marker at
    the start (``- ``, ``+ ``, ``1. ``, ``---``); entities for ``&``, ``<``, ``>`` and for
    leading and trailing white space (kept, and never indentation); ``\\:`` in ``://`` and
    ``\\.`` in ``www.`` so GFM makes no bare-URL link; a word joiner after ``@`` and ``#``;
    line breaks as ``⏎``. ``(``, ``)``, ``!``, ``{``, ``}`` and ``:`` elsewhere open nothing
    once ``[`` and ``]`` are escaped, and stay. Truncate before escaping, never after.
    tests/test_markdown_escaping.py renders the result with cmark-gfm in every place dqkit
    puts a value.

    >>> escape_cell("1. item")
    '1\\\\. item'
    >>> escape_cell("  www.evil.example\\n")
    '&#32;&#32;www\\\\.evil.example ⏎&#32;'
    """
    text = _LINE_BREAKS.sub(LINE_BREAK, str(value)).translate(_ESCAPES)
    text = _AUTOLINK.sub(lambda m: "\\" + m.group(), _UNDERSCORE.sub(r"\\_", text))
    text = _BLOCK_START.sub(lambda m: m.group() + "\\" if m.group()[0].isdigit() else "\\" + m.group(), text)
    return _EDGE_SPACE.sub(lambda m: "".join(f"&#{ord(c)};" for c in m.group()), text)


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
    docs, lines, chars = report["documents"], report["lines"], report["characters"]
    balance = "✅ balanced" if docs["balanced"] else "❌ NOT balanced"
    e = escape_cell
    return [
        f"# dqkit clean report (dqkit {e(report['dqkit_version'])})",
        "",
        f"**{e(docs['in'])}** {noun(docs['in'], 'document')} in · **{e(docs['kept'])}** kept · "
        f"**{e(docs['rejected'])}** rejected "
        f"({balance}: in = kept + rejected)",
        "",
        f"Lines removed: **{e(lines['removed'])}** · flagged: {e(lines['flagged'])} · "
        f"characters {e(format(chars['in'], ','))} → {e(format(chars['out'], ','))}",
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
                s.get("spans_removed", 0),
                s["samples"][0]["text"][:SAMPLE_CHARS] if s["samples"] else "",
            ]
            for rule_id, s in ordered
        ]
        lines += [
            "## Rules that fired",
            "",
            *_table(["rule", "action", "hits", "documents", "lines removed", "spans cut", "example"], rows),
        ]
    lines += _counts_table("Edits by kind", ["kind", "rows"], report["edits_by_kind"])
    return lines + _counts_table("Unicode repairs", ["fix", "lines"], report["unicode"]["fixes"])


def _dedup(report: dict) -> list[str]:
    dedup = report["dedup"]
    if not dedup["clusters"]:
        return []
    joined = dedup.get("joined_through") or {"copies": 0}
    through = []
    if joined["copies"]:
        linked, lowest = joined["copies"], joined["lowest_similarity"]
        through = [
            f"{escape_cell(counted(linked, 'near duplicate'))} joined {noun(linked, 'its', 'their')} "
            f"cluster through another copy (similarity to the kept copy as low as {escape_cell(lowest)}): "
            "rejects.* `linked_via` names it, report.html shows both similarities.",
            "",
        ]
    return [
        "## Duplicates",
        "",
        f"{escape_cell(counted(dedup['exact_duplicates'], 'exact duplicate'))} and "
        f"{escape_cell(counted(dedup['near_duplicates'], 'near duplicate'))} in "
        f"{escape_cell(counted(dedup['clusters'], 'cluster'))} (mode {escape_cell(dedup['mode'])}).",
        "",
        *through,
        *_table(
            ["kept", "cluster size", "duplicates"],
            [[c["kept"], c["size"], ", ".join(c["duplicates"])] for c in dedup["largest_clusters"]],
        ),
    ]


def _mt(report: dict) -> list[str]:
    mt = report.get("mt", {})
    lines = []
    if mt.get("signals") or mt.get("top_documents"):
        histogram = ", ".join(f"{k}: {v}" for k, v in mt["score_histogram"].items())
        lines += ["## Machine translation", ""]
        if mt.get("signals"):
            rows = [[k, v["documents"], v["occurrences"]] for k, v in mt["signals"].items()]
            lines += _table(["signal", "documents", "occurrences"], rows)
        lines += ["mt_score of kept documents: " + escape_cell(histogram), ""]
    if mt.get("top_documents"):
        rows = [
            [
                d["id"],
                f"{d['mt_score']:.4f}",
                "–" if d["mt_probability"] is None else f"{d['mt_probability']:.4f}",
                ", ".join(f"{r['signal']} ×{r['count']}" for r in d["mt_reasons"]),
            ]
            for d in mt["top_documents"]
        ]
        lines += [
            "Kept documents with the highest mt_score (probability: the learned model's, – without one; "
            "their spans are marked in report.html):",
            "",
            *_table(["document", "mt_score", "probability", "signals"], rows),
        ]
    return lines + _languages(report)


def _languages(report: dict) -> list[str]:
    language_id = report.get("language_id") or {}
    by_language = language_id.get("by_language") or {}
    if not by_language:
        return _counts_table("Languages of kept documents", ["language", "documents"], report["languages"])
    kinds = ["trusted", "untrusted", "prior", "given", "none"]
    rows = sorted(
        ([lang, sum(c.values()), *(c.get(k, 0) for k in kinds)] for lang, c in by_language.items()),
        key=lambda row: (-row[1], row[0]),
    )
    detector = language_id.get("detector")
    lines = [
        "## Languages of kept documents",
        "",
        f"Detector: {escape_cell(detector)}." if detector else "Languages were not detected (--no-langid).",
        "",
        *_table(["language", "documents", *kinds], rows),
    ]
    lines += [
        f"- The prior of {escape_cell(p['source'])} ({escape_cell(p['language'])}) settled "
        f"{escape_cell(counted(p['documents'], 'untrusted guess', 'untrusted guesses'))}."
        for p in language_id.get("priors", [])[:MAX_ROWS]
    ]
    if language_id.get("warning"):
        lines += ["", f"⚠️ {escape_cell(language_id['warning'])}"]
    return lines if lines[-1] == "" else [*lines, ""]


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
        skipped = len(inputs["skipped_files"])
        notes.append(
            f"{escape_cell(counted(skipped, 'file'))} with an unknown suffix {noun(skipped, 'was', 'were')} not read."
        )
    if inputs.get("passed_over"):
        notes.append(escape_cell(passed_over_note(inputs["passed_over"])))
    if inputs["bytes_replaced"]:
        replaced = inputs["bytes_replaced"]
        notes.append(
            f"{escape_cell(counted(replaced, 'undecodable byte'))} {noun(replaced, 'was', 'were')} replaced by U+FFFD."
        )
    if inputs["ids_generated"]:
        notes.append("Some records had no id: ids were made from file and line.")
    columns = inputs.get("columns", {})
    notes += [
        f"Input column {escape_cell(old)} is carried as {escape_cell(new)}."
        for old, new in columns.get("renamed", {}).items()
    ]
    if columns.get("recomputed"):
        notes.append(
            f"dqkit's own columns in the input were computed afresh: {escape_cell(', '.join(columns['recomputed']))}."
        )
    if columns.get("as_json_text"):
        names = escape_cell(", ".join(columns["as_json_text"]))
        notes.append(f"Carried as JSON text (no single type holds their values): {names}.")
    lines += [f"- {n}" for n in notes] + ([""] if notes else [])
    rules = report["rules"]
    return [
        *lines,
        f"Rules: {escape_cell(rules['count'])} from {escape_cell(counted(len(rules['files']), 'file'))}, "
        f"fingerprint {escape_cell(rules['fingerprint'])}. Full detail: report.json, report.html, edits.parquet.",
        "",
    ]
