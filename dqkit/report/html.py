"""report.html: the run on one self-contained page a CI reviewer opens offline.

Rendered from the report.json dict and the edits.parquet frame. Everything is inline (CSS,
one small script, SVG charts drawn here); a Content-Security-Policy allows nothing else,
so the page makes no request at all. Corpus text (lines, doc ids, rule messages, file
names, language codes, MT spans) is always escaped: the template autoescapes, and the
markup built here (charts, diffs, highlighted spans) escapes every text piece before
wrapping it in ``Markup`` (:mod:`dqkit.report.markup`). The same input gives
byte-identical HTML.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import math
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
import polars as pl
from markupsafe import Markup

from dqkit.cache import cache_folder
from dqkit.detect.mt_signals import nearest_occurrence
from dqkit.kinds import EditKind, LanguageBy
from dqkit.report.detectors import ACTION as DETECTOR_ACTION
from dqkit.report.markup import ELLIPSIS, EXAMPLE_CHARS, clip, diff_markup, span_markup, whole_line_markup
from dqkit.report.review import COPIES_SHOWN, DUPLICATE_CLUSTERS, duplicate_clusters
from dqkit.report.summary import MAX_LISTED_CLUSTERS
from dqkit.report.wording import counted, noun, passed_over_note

CONTEXT_LINE_CHARS = 200  # characters of a context line shown above or below an example
OPEN_SECTIONS = 3  # the example sections of the rules with the most hits, open as the page loads
LOG_RATIO = 50  # a chart whose largest value is more than this many times its smallest is drawn on a log scale
CHART_ROWS = 40  # bars in a horizontal bar chart; the rest are summed up in a note
INPUT_ROWS = 1000  # input files listed
MT_BINS = [f"{b / 10:.1f}-{(b + 1) / 10:.1f}" for b in range(10)]
MT_SPANS = 20  # spans shown per document of report.json mt.top_documents

# The page's only script: a rule filter. The page works without it (the filter box stays
# hidden); the CSP admits exactly this text by its hash.
SCRIPT = """\
(function () {
  var box = document.getElementById("rule-filter");
  var wrap = document.getElementById("filter-box");
  var status = document.getElementById("filter-status");
  if (!box || !wrap) return;
  wrap.hidden = false;
  var items = document.querySelectorAll("[data-rule]");
  function apply() {
    var query = box.value.trim().toLowerCase(), shown = 0, total = 0;
    for (var i = 0; i < items.length; i++) {
      var hide = query !== "" && items[i].getAttribute("data-rule").toLowerCase().indexOf(query) < 0;
      items[i].hidden = hide;
      if (items[i].tagName === "DETAILS") { total++; if (!hide) shown++; }
    }
    if (status) status.textContent = query === "" ? "" : shown + " of " + total + " shown";
  }
  box.addEventListener("input", apply);
  apply();
})();
"""


def script_hash(script: str = SCRIPT) -> str:
    """The CSP source for an inline script: ``'sha256-<base64 of the digest>'``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(script: str = SCRIPT) -> str:
    return (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src {script_hash(script)}; base-uri 'none'; form-action 'none'"
    )


# ---------------------------------------------------------------------------- charts

CHAR_PX = 7.0  # a generous average glyph width at 12px, to size label columns
BAR_COLOURS = ("#2563eb", "#059669")  # blue, green: both > 4.5:1 against white


def _n(value) -> str:
    return f"{int(value):,}"


def _svg_open(chart: str, title: str, width: float, height: float) -> Markup:
    return Markup(
        '<svg class="chart" data-chart="{0}" id="chart-{0}" role="img" aria-labelledby="chart-{0}-title" '
        'viewBox="0 0 {1:g} {2:g}" width="{1:g}" height="{2:g}">'
        '<title id="chart-{0}-title">{3}</title>'
    ).format(chart, round(width, 1), round(height, 1), title)


def no_data_svg(chart: str, title: str) -> Markup:
    return _svg_open(chart, f"{title}: no data", 240, 40) + Markup(
        '<text class="nodata" x="8" y="24">no data</text></svg>'
    )


def scale(values: list[int]) -> tuple[Callable[[int], float], str]:
    """The share of the full length each value's bar gets, and a note: linear, or on a log
    scale (``log10(1 + v)``) with the note saying so when the largest value is more than
    :data:`LOG_RATIO` times the smallest non-zero one, so that no bar of a few documents
    next to one of thousands shrinks to nothing (the counts are printed beside the bars).

    >>> share, note = scale([20_780, 1, 1])
    >>> round(share(1), 3), note
    (0.07, 'log scale: the largest bar is 20,780 times the smallest')
    >>> scale([3, 2])[1]
    ''
    """
    shown = [v for v in values if v > 0]
    top = max(shown, default=0)
    if not shown or top <= LOG_RATIO * min(shown):
        return (lambda v: v / top if top else 0.0), ""
    note = f"log scale: the largest bar is {top / min(shown):,.0f} times the smallest"
    return (lambda v: math.log10(1 + v) / math.log10(1 + top)), note


def bar_chart(chart: str, title: str, items: list[tuple[str, int]], *, rows: int = CHART_ROWS) -> Markup:
    """Horizontal bars, one per (label, count), in the given order; beyond ``rows`` a note."""
    items = [(str(label), int(n)) for label, n in items]
    if not items or not any(n for _, n in items):
        return no_data_svg(chart, title)
    shown, rest = items[:rows], items[rows:]
    label_chars = min(max(len(label) for label, _ in shown), 44)
    label_w = label_chars * CHAR_PX + 10
    bar_w, count_w, row_h = 360, 8 + len(_n(max(n for _, n in shown))) * CHAR_PX, 22
    width = label_w + bar_w + count_w + 4
    share, note = scale([n for _, n in shown])
    height = row_h * len(shown) + (row_h if rest else 0) + (row_h if note else 0) + 6
    parts = [_svg_open(chart, title, width, height)]
    for index, (label, n) in enumerate(shown):
        y = 3 + index * row_h
        length = bar_w * share(n)
        short = label if len(label) <= 44 else label[:43] + ELLIPSIS
        parts.append(
            Markup(
                '<g class="bar"><title>{0}: {1}</title>'
                '<text class="label" x="{2:g}" y="{3:g}" text-anchor="end">{4}</text>'
                '<rect x="{5:g}" y="{6:g}" width="{7:g}" height="{8}" fill="{9}"></rect>'
                '<text class="count" x="{10:g}" y="{3:g}">{1}</text></g>'
            ).format(
                label,
                _n(n),
                round(label_w - 8, 1),
                y + 15,
                short,
                round(label_w, 1),
                y + 2,
                round(max(length, 1), 1),
                row_h - 6,
                BAR_COLOURS[0],
                round(label_w + max(length, 1) + 5, 1),
            )
        )
    notes = [f"and {len(rest)} more ({_n(sum(n for _, n in rest))} in all)"] if rest else []
    for index, text in enumerate([*notes, *([note] if note else [])]):
        parts.append(
            Markup('<text class="note" x="{0:g}" y="{1:g}">{2}</text>').format(
                round(label_w, 1), 3 + (len(shown) + index) * row_h + 15, text
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def column_chart(
    chart: str, title: str, labels: list[str], series: list[tuple[str, list[int]]], *, axis: str = ""
) -> Markup:
    """Vertical columns per label, one column per series (side by side), with a legend when
    there are several series; ``axis`` is the caption under the labels."""
    labels = [str(label) for label in labels]
    series = [(name, [int(v) for v in values]) for name, values in series]
    if not labels or not any(v for _, values in series for v in values):
        return no_data_svg(chart, title)
    slot = max(56, max(len(label) for label in labels) * CHAR_PX + 8)
    column = (slot - 12) / len(series)
    share, note = scale([v for _, values in series for v in values])
    axis = f"{axis} · {note}" if axis and note else axis or note
    plot_h, left, top_pad = 150, 8, 34 if len(series) > 1 else 20
    legend_w = sum(32 + len(name) * CHAR_PX for name, _ in series) if len(series) > 1 else 0
    width = left * 2 + max(slot * len(labels), len(axis) * CHAR_PX * 0.9, legend_w)
    height = top_pad + plot_h + 22 + (18 if axis else 0)
    parts = [_svg_open(chart, title, width, height)]
    if len(series) > 1:
        x = float(left)
        for index, (name, _) in enumerate(series):
            parts.append(
                Markup(
                    '<rect x="{0:g}" y="6" width="12" height="12" fill="{1}"></rect>'
                    '<text class="legend" x="{2:g}" y="16">{3}</text>'
                ).format(round(x, 1), BAR_COLOURS[index % 2], round(x + 16, 1), name)
            )
            x += 16 + len(name) * CHAR_PX + 16
    base = top_pad + plot_h
    parts.append(
        Markup('<line class="axis" x1="{0}" y1="{1}" x2="{2:g}" y2="{1}"></line>').format(
            left, base, round(width - left, 1)
        )
    )
    for i, label in enumerate(labels):
        x0 = left + i * slot + 6
        for s, (name, values) in enumerate(series):
            value = values[i] if i < len(values) else 0
            h = plot_h * share(value)
            x = x0 + s * column
            parts.append(
                Markup(
                    '<g class="col"><title>{0}{1}: {2}</title>'
                    '<rect x="{3:g}" y="{4:g}" width="{5:g}" height="{6:g}" fill="{7}"></rect>'
                    '<text class="count" x="{8:g}" y="{9:g}" text-anchor="middle">{2}</text></g>'
                ).format(
                    label,
                    f" ({name})" if len(series) > 1 else "",
                    _n(value),
                    round(x, 1),
                    round(base - h, 1),
                    round(column - 2, 1),
                    round(h, 1),
                    BAR_COLOURS[s % 2],
                    round(x + (column - 2) / 2, 1),
                    round(base - h - 4, 1),
                )
            )
        parts.append(
            Markup('<text class="label" x="{0:g}" y="{1}" text-anchor="middle">{2}</text>').format(
                round(left + i * slot + slot / 2, 1), base + 16, label
            )
        )
    if axis:
        parts.append(
            Markup('<text class="note" x="{0:g}" y="{1}" text-anchor="middle">{2}</text>').format(
                round(width / 2, 1), base + 34, axis
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _length_series(lengths) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """Labels and before/after counts from ``report["lengths"]``
    (``{"buckets": [labels], "before": [n...], "after": [n...]}``)."""
    if not isinstance(lengths, Mapping):
        return [], []
    labels = [str(label) for label in lengths.get("buckets") or []]
    before, after = lengths.get("before") or [], lengths.get("after") or []
    return labels, [("before", list(before)[: len(labels)]), ("after (kept)", list(after)[: len(labels)])]


def _size_key(label: str):
    return (0, int(label)) if str(label).isdigit() else (1, str(label))


def charts(report: dict) -> dict[str, Markup]:
    rule_hits = report.get("rule_hits") or {}
    hits = sorted(
        ((rule_id, (s or {}).get("hits", 0) or 0) for rule_id, s in rule_hits.items()),
        key=lambda item: (-item[1], item[0]),
    )
    languages = sorted((report.get("languages") or {}).items(), key=lambda item: (-item[1], str(item[0])))
    mt = (report.get("mt") or {}).get("score_histogram") or {}
    bins = MT_BINS + sorted(k for k in mt if k not in MT_BINS)
    sizes = (report.get("dedup") or {}).get("cluster_sizes") or {}
    size_labels = sorted(sizes, key=_size_key)
    length_labels, length_series = _length_series(report.get("lengths"))
    return {
        "rules": bar_chart("rules", "Hits per rule", hits),
        "languages": bar_chart("languages", "Kept documents per language", languages),
        "mt": column_chart(
            "mt",
            "mt_score of kept documents",
            bins,
            [("documents", [mt.get(b, 0) for b in bins])],
            axis="mt_score (documents per bin)",
        ),
        "lengths": column_chart(
            "lengths",
            "Document length before and after cleaning",
            length_labels,
            length_series,
            axis="characters per document",
        ),
        "clusters": column_chart(
            "clusters",
            "Duplicate clusters by size",
            size_labels,
            [("clusters", [sizes[k] for k in size_labels])],
            axis="cluster size (documents, kept copy included)",
        ),
    }


# ---------------------------------------------------------------------------- examples


_TOKEN_KINDS = (EditKind.JOIN_REPAIRED, EditKind.JOIN_FLAGGED)  # ``before`` and ``after`` are a token, not a line


def _example_markup(kind: str, before, after, line, start, end) -> Markup:
    """An edit as the page shows it: a removed or flagged line wholly marked, a join as
    ``before → after``, an MT span marked in its line as read, other changes diffed."""
    if kind == EditKind.LINE_REMOVED:
        return whole_line_markup(before or "", "del")
    if kind == EditKind.LINE_FLAGGED:
        return whole_line_markup(before or "", "mark")
    if kind == EditKind.JOIN_REPAIRED:
        joined = Markup('<del class="token">{0}</del> → <ins class="token">{1}</ins>')
        return joined.format(before or "", after if after is not None else before or "")
    if kind == EditKind.JOIN_FLAGGED:  # a split not made: the token stays as it was
        flagged = Markup('<mark class="token">{0}</mark> <span class="dim">left as it is (split: {1})</span>')
        return flagged.format(before or "", after if after is not None else "–")
    if kind == EditKind.MT_FLAGGED and line and start is not None and end is not None and line[start:end] == before:
        return span_markup(line, start, end)
    if after is not None and after != before:
        return diff_markup(before or "", after)
    shown, cut = clip(before or "", EXAMPLE_CHARS)
    return Markup("{0}{1}").format(shown, ELLIPSIS if cut else "")


def _token_line(kind: str, before, line) -> Markup | None:
    """For a join, its line as read with the glued token marked (None for other kinds, or
    when the line does not hold it)."""
    if kind not in _TOKEN_KINDS or not line or not before or before not in line:
        return None
    at = line.index(before)
    return span_markup(line, at, at + len(before), CONTEXT_LINE_CHARS)


def _context_line(text) -> str | None:
    if not text:
        return None
    shown, cut = clip(text, CONTEXT_LINE_CHARS)
    return shown + (ELLIPSIS if cut else "")


def _edit_groups(edits: pl.DataFrame | None, per_rule: int) -> tuple[dict, dict]:
    """Per group key (rule_id, or the kind when there is none): the first ``per_rule``
    examples in frame order, each with the lines around it where ``edits`` has them
    (``above``, ``line``, ``below``: :func:`dqkit.outputs.html_examples`), and row/document
    counts with the kinds seen."""
    if edits is None or edits.is_empty() or not {"doc_id", "line_no", "kind", "before"} <= set(edits.columns):
        return {}, {}
    frame = edits
    optional = {"rule_id": pl.String, "after": pl.String, "score": pl.Float64, "start": pl.Int32, "end": pl.Int32}
    for column, dtype in {**optional, "line": pl.String, "above": pl.String, "below": pl.String}.items():
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(column))
    frame = frame.filter(pl.col("kind") != EditKind.BLANK_LINE_FOLDED).with_columns(
        pl.coalesce(pl.col("rule_id"), pl.col("kind")).alias("_group")
    )
    if frame.is_empty():
        return {}, {}
    examples: dict[str, list] = {}
    head = frame.group_by("_group", maintain_order=True).head(max(per_rule, 0))
    columns = ("_group", "doc_id", "line_no", "kind", "before", "after", "score", "line", "start", "end")
    for group, doc_id, line_no, kind, before, after, score, line, start, end, above, below in head.select(
        *columns, "above", "below"
    ).iter_rows():
        examples.setdefault(group, []).append(
            {
                "doc_id": "" if doc_id is None else str(doc_id),
                "line_no": line_no,
                "kind": kind,
                "text": _example_markup(kind, before, after, line, start, end),
                "in_line": _token_line(kind, before, line),
                "above": None if kind in _TOKEN_KINDS else _context_line(above),  # a join's own line is its context
                "below": None if kind in _TOKEN_KINDS else _context_line(below),
                "score": score,
            }
        )
    counts: dict[str, dict[str, Any]] = {}
    stats = frame.group_by("_group").agg(pl.len().alias("rows"), pl.col("doc_id").n_unique().alias("documents"))
    kinds = frame.group_by("_group", "kind").len().sort("_group", "kind")
    for group, rows, documents in stats.iter_rows():
        counts[group] = {"rows": int(rows), "documents": int(documents), "kinds": {}}
    for group, kind, n in kinds.iter_rows():
        counts[group]["kinds"][kind] = int(n)
    return examples, counts


def rule_sections(report: dict, edits: pl.DataFrame | None, per_rule: int) -> list[dict]:
    """One section per rule or detector that fired (most hits first), then one per other edit group
    (join repairs, unicode fixes; most rows first); the first :data:`OPEN_SECTIONS` open."""
    examples, counts = _edit_groups(edits, per_rule)
    rule_hits = report.get("rule_hits") or {}
    sections = []
    for rule_id, stats in sorted(rule_hits.items(), key=lambda item: (-((item[1] or {}).get("hits") or 0), item[0])):
        stats = stats or {}
        shown = examples.get(rule_id, [])
        source = "edits"
        if not shown:  # drop_doc rules and undone hits leave no edit rows: the report's samples
            source = "samples"
            tag = "del" if stats.get("action") in ("drop_line", DETECTOR_ACTION) else "mark"
            shown = [
                {
                    "doc_id": str(s.get("doc_id", "")),
                    "line_no": s.get("line_no"),
                    "kind": "sample",
                    "text": whole_line_markup(s.get("text") or "", tag),
                    "in_line": None,
                    "above": None,
                    "below": None,
                    "score": s.get("score"),
                }
                for s in (stats.get("samples") or [])[: max(per_rule, 0)]
            ]
        sections.append(
            {
                "key": rule_id,
                "is_rule": True,
                "action": stats.get("action") or "",
                "category": stats.get("category") or "",
                "message": stats.get("message") or "",
                "hits": stats.get("hits") or 0,
                "documents": stats.get("documents") or 0,
                "lines_removed": stats.get("lines_removed") or 0,
                "spans_removed": stats.get("spans_removed") or 0,
                "rows": counts.get(rule_id, {}).get("rows", 0),
                "kinds": counts.get(rule_id, {}).get("kinds", {}),
                "examples": shown,
                "source": source,
            }
        )
    others = sorted((key for key in counts if key not in rule_hits), key=lambda key: (-counts[key]["rows"], key))
    for key in others:
        sections.append(
            {
                "key": key,
                "is_rule": False,
                "action": ", ".join(counts[key]["kinds"]),
                "category": "",
                "message": "",
                "hits": counts[key]["rows"],
                "documents": counts[key]["documents"],
                "lines_removed": 0,
                "spans_removed": 0,
                "rows": counts[key]["rows"],
                "kinds": counts[key]["kinds"],
                "examples": examples.get(key, []),
                "source": "edits",
            }
        )
    for index, section in enumerate(sections):
        section["anchor"] = f"rule-{index}"
        section["open"] = index < OPEN_SECTIONS
        section["scored"] = any(example["score"] is not None for example in section["examples"])  # detectors'
    return sections


# ---------------------------------------------------------------------------- machine translation


def _on_a_line(row: tuple) -> bool:
    """Whether a span row (``line_no, rule_id, before, start, end``) names characters of a
    line (its offsets may be null: normalising changed the flagged text)."""
    return row[0] is not None and bool(row[2])


def _clean_lines(text: str | None, rows: list[tuple]) -> list[Markup]:
    """The text of each span row (``line_no, rule_id, before, start, end``, in edits.parquet
    order: by line as read, a document's own signals first): the flagged characters marked
    in their clean line of ``text``: the first line from the previous span's on that holds
    ``before``, at its occurrence nearest ``start`` (the offsets are within the line as
    read, which normalising and repairs may have shifted). Lines only go away after the MT
    stage, so the search runs forward (the same line again for the same line number); a
    span no clean line holds (an MT notice, a line removed) is shown alone."""
    lines = (text or "").split("\n")
    shown: list[Markup] = []
    cursor, previous = -1, None  # the clean line of the previous span, and its line number
    for line_no, _, before, start, _ in rows:
        first = cursor if line_no == previous else cursor + 1
        order = [*range(max(first, 0), len(lines)), *range(max(first, 0))]
        found = next((i for i in order if before in lines[i]), None)
        if found is None:
            shown.append(span_markup(before, 0, len(before)))
            continue
        cursor, previous = found, line_no
        at, to = nearest_occurrence(lines[found], before, start or 0) or (0, len(before))
        shown.append(span_markup(lines[found], at, to))
    return shown


MODEL_NGRAM_LINES = 5  # lines shown per document where the model's strongest n-grams stand


def model_ngrams(example: str) -> list[str]:
    """The n-grams of a ``model`` reason's example (``0.84: „a“, „b c“``), strongest first.

    >>> model_ngrams('0.84: „Ihren“, „. "“, „sagte ,“')
    ['Ihren', '. "', 'sagte ,']
    """
    listed = example.split(": ", 1)[1] if ": " in example else ""
    if not (listed.startswith("„") and listed.endswith("“")):
        return []
    return listed[1:-1].split("“, „")  # tokens are joined by single spaces: "“, „" is no gram's


def ngram_lines(text: str | None, grams: list[str], limit: int = MODEL_NGRAM_LINES) -> list[dict]:
    """Where each of ``grams`` (the model's tokens joined by spaces) first stands in the clean
    ``text``: the gram, the clean line's number and the line with the gram marked; at most
    ``limit``, grams that the text does not show as such (tokens the model split) left out.

    >>> [(row["gram"], row["line_no"]) for row in ngram_lines("Titel\\nEr sagte, dass", ["sagte ,", "nie"])]
    [('sagte ,', 2)]
    """
    lines = (text or "").split("\n")
    found = []
    for gram in grams:
        pattern = re.compile(r"\s*".join(re.escape(token) for token in gram.split(" ")))
        hit = next(((n, m) for n, line in enumerate(lines, 1) if (m := pattern.search(line))), None)
        if hit is not None:
            n, match = hit
            found.append({"gram": gram, "line_no": n, "text": span_markup(lines[n - 1], match.start(), match.end())})
        if len(found) == limit:
            break
    return found


def mt_documents(
    report: dict, spans: pl.DataFrame | None, texts: Mapping[str, str] | None, per_document: int = MT_SPANS
) -> list[dict]:
    """report.json ``mt.top_documents`` for the page: each document's numbers, the n-grams
    of its ``model`` reason, and its first ``per_document`` spans (``spans``: the
    ``mt_flagged`` edits of these documents; ``texts``: their clean texts by id)."""
    top = [d for d in (report.get("mt") or {}).get("top_documents") or [] if isinstance(d, Mapping)]
    rows: dict[str, list[tuple]] = {}
    if spans is not None and not spans.is_empty():
        for doc_id, *fields in spans.select("doc_id", "line_no", "rule_id", "before", "start", "end").iter_rows():
            rows.setdefault(str(doc_id), []).append(tuple(fields))
    documents = []
    for index, document in enumerate(top):
        doc_id = str(document.get("id", ""))
        reasons = [r for r in document.get("mt_reasons") or [] if isinstance(r, Mapping)]
        examples = {str(r.get("signal")): str(r.get("example") or "") for r in reasons}
        model = examples.get("model", "")
        doc_rows = rows.get(doc_id, [])
        shown = doc_rows[: max(per_document, 0)]
        marked = iter(_clean_lines((texts or {}).get(doc_id), [row for row in shown if _on_a_line(row)]))
        listed = []
        for row in shown:
            signal = str(row[1] or "").removeprefix("mt.")
            if _on_a_line(row):
                text = next(marked)
            else:  # a signal of the whole document: its example in mt_reasons
                text = Markup('<span class="muted">{0}</span>').format(examples.get(signal, "the whole document"))
            listed.append({"signal": signal, "line_no": row[0], "text": text})
        probability = document.get("mt_probability")
        score = document.get("mt_score")
        documents.append(
            {
                "id": doc_id,
                "anchor": f"mt-doc-{index}",
                "score": f"{score:.4f}" if isinstance(score, (int, float)) else "–",
                "probability": f"{probability:.4f}" if isinstance(probability, (int, float)) else "–",
                "ngrams": model.split(": ", 1)[1] if ": " in model else "",
                "ngram_lines": ngram_lines((texts or {}).get(doc_id), model_ngrams(model)) if texts else [],
                "signals": [(str(r.get("signal")), r.get("count") or 0) for r in reasons],
                "reasons": [(signal, example) for signal, example in examples.items() if signal != "model" and example],
                "spans": listed,
                "total": len(doc_rows),
                "more": len(doc_rows) - len(shown),
                "read": spans is not None,
            }
        )
    return documents


# ---------------------------------------------------------------------------- page


def _language_rows(language_id) -> dict:
    """report.json ``language_id`` for the page: rows of (language, total, counts by how decided)."""
    if not isinstance(language_id, Mapping):
        return {"rows": [], "priors": [], "warning": None, "detector": None}
    rows = []
    for lang, counts in (language_id.get("by_language") or {}).items():
        counts = counts if isinstance(counts, Mapping) else {}
        by = {kind.value: counts.get(kind.value, 0) for kind in LanguageBy}
        rows.append({"lang": str(lang), "total": sum(v for v in by.values() if isinstance(v, int)), **by})
    rows.sort(key=lambda row: (-row["total"], row["lang"]))
    return {
        "rows": rows,
        "priors": [p for p in language_id.get("priors") or [] if isinstance(p, Mapping)],
        "warning": language_id.get("warning"),
        "detector": language_id.get("detector"),
    }


def _sorted_counts(mapping) -> list[tuple[str, int]]:
    return sorted(((str(k), v) for k, v in (mapping or {}).items()), key=lambda item: (-(item[1] or 0), item[0]))


def _change(before, after) -> str:
    if not before:
        return ""
    return f"{(after - before) / before * 100:+.1f} %".replace("-", "−")


def _context(
    report: dict,
    edits: pl.DataFrame | None,
    per_rule: int,
    mt_spans: pl.DataFrame | None = None,
    mt_texts: Mapping[str, str] | None = None,
    duplicate_texts: Mapping[str, str] | None = None,
) -> dict:
    docs = report.get("documents") or {}
    lines = report.get("lines") or {}
    chars = report.get("characters") or {}
    dedup = report.get("dedup") or {}
    inputs = report.get("inputs") or {}
    rules = report.get("rules") or {}
    mt = report.get("mt") or {}
    unicode = report.get("unicode") or {}
    files = inputs.get("files") or []
    sections = rule_sections(report, edits, per_rule)
    notes = []
    if inputs.get("skipped_files"):
        skipped = len(inputs["skipped_files"])
        notes.append(f"{counted(skipped, 'file')} with an unknown suffix {noun(skipped, 'was', 'were')} not read.")
    if inputs.get("passed_over"):
        notes.append(passed_over_note(inputs["passed_over"]))
    if inputs.get("bytes_replaced"):
        replaced = inputs["bytes_replaced"]
        notes.append(f"{counted(replaced, 'undecodable byte')} {noun(replaced, 'was', 'were')} replaced by U+FFFD.")
    if inputs.get("ids_generated"):
        notes.append("Some records had no id: ids were made from file and line.")
    return {
        "csp": content_security_policy(),
        "script": Markup(SCRIPT),  # our own constant, never corpus text
        "version": report.get("dqkit_version") or "?",
        "schema": report.get("schema") or "",
        "docs": {
            "in": docs.get("in", 0) or 0,
            "kept": docs.get("kept", 0) or 0,
            "rejected": docs.get("rejected", 0) or 0,
            "balanced": docs.get("balanced"),
        },
        "rejected_by_reason": _sorted_counts(docs.get("rejected_by_reason")),
        "lines": {
            "removed": lines.get("removed", 0) or 0,
            "flagged": lines.get("flagged", 0) or 0,
            "blank_folded": lines.get("blank_folded", 0) or 0,
        },
        "chars": {
            "in": chars.get("in", 0) or 0,
            "out": chars.get("out", 0) or 0,
            "change": _change(chars.get("in", 0) or 0, chars.get("out", 0) or 0),
        },
        "unicode": {
            "documents_fixed": unicode.get("documents_fixed", 0) or 0,
            "fixes": _sorted_counts(unicode.get("fixes")),
        },
        "edits_by_kind": sorted((report.get("edits_by_kind") or {}).items()),
        "charts": charts(report),
        "rule_rows": [s for s in sections if s["is_rule"]],
        "sections": sections,
        "per_rule": per_rule,
        "open_sections": OPEN_SECTIONS,
        "mt_signals": sorted((mt.get("signals") or {}).items()),
        "mt_documents": mt_documents(report, mt_spans, mt_texts),
        "mt_spans_per_document": MT_SPANS,
        "language_id": _language_rows(report.get("language_id")),
        "dedup": {
            "mode": dedup.get("mode") or "",
            "exact": dedup.get("exact_duplicates", 0) or 0,
            "near": dedup.get("near_duplicates", 0) or 0,
            "clusters": dedup.get("clusters", 0) or 0,
            "parameters": sorted((dedup.get("parameters") or {}).items()),
            "clusters_shown": duplicate_clusters(report, duplicate_texts),
            "clusters_limit": DUPLICATE_CLUSTERS,
            "copies_limit": COPIES_SHOWN,
            "listed_limit": MAX_LISTED_CLUSTERS,
        },
        "files": files[:INPUT_ROWS],
        "files_more": max(len(files) - INPUT_ROWS, 0),
        "files_total": len(files),
        "input_fingerprint": inputs.get("fingerprint") or "",
        "notes": notes,
        "skipped": inputs.get("skipped_files") or [],
        "rules": {
            "count": rules.get("count", 0) or 0,
            "files": rules.get("files") or [],
            "fingerprint": rules.get("fingerprint") or "",
        },
        "options_hash": report.get("options_hash") or "",
    }


def _fmt(value) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


_ENV: jinja2.Environment | None = None


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """The template compiled once, kept in dqkit's cache folder (compiling it took 0.08 s of
    every run). jinja2 keys it by the template's source and the Python version, and writes
    it atomically; a cache that cannot be read or written, or a damaged entry, is passed over."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError):  # unreadable, or not marshal data
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)


def _environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        folder = cache_folder("templates")
        _ENV = jinja2.Environment(
            loader=jinja2.PackageLoader("dqkit.report", "templates"),
            bytecode_cache=_TemplateCache(str(folder)) if folder is not None else None,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        _ENV.filters["n"] = _fmt
        _ENV.filters["counted"] = counted
    return _ENV


def render_html(
    report: dict,
    edits: pl.DataFrame | None,
    *,
    examples_per_rule: int = 20,
    mt_spans: pl.DataFrame | None = None,
    mt_texts: Mapping[str, str] | None = None,
    duplicate_texts: Mapping[str, str] | None = None,
) -> str:
    """report.html for one run: ``report`` is report.json's dict, ``edits`` the
    edits.parquet frame (examples: the first ``examples_per_rule`` rows of each rule, in
    frame order; blank-line folds left out); ``mt_spans`` and ``mt_texts`` the ``mt_flagged``
    edits and the clean texts of the documents in ``mt.top_documents``
    (:func:`dqkit.outputs.mt_examples`), for their highlighted spans; ``duplicate_texts``
    the cleaned texts of the duplicates the page shows (:func:`dqkit.report.review.review_ids`),
    for their diffs."""
    context = _context(report or {}, edits, examples_per_rule, mt_spans, mt_texts, duplicate_texts)
    return _environment().get_template("report.html.j2").render(**context)
