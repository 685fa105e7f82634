"""Corpus text as markup for report.html: every piece escaped, then wrapped in the
element that marks it (``<del>``, ``<ins>``, ``<mark>``), long stretches shortened (…).

>>> str(diff_markup("ServiceNach", "Service Nach"))
'Service<ins> </ins>Nach'
>>> str(diff_markup("<b>", "<i>"))
'&lt;<del>b</del><ins>i</ins>&gt;'
"""

from __future__ import annotations

import difflib

from markupsafe import Markup, escape

EXAMPLE_CHARS = 500  # characters of an example shown (after diffing)
CONTEXT_CHARS = 60  # unchanged characters kept around a change in a long line
DIFF_CHARS = 4000  # longer changed middles are shown as one deletion and one insertion
ELLIPSIS = "…"


def clip(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to ``limit`` characters, and whether it was cut."""
    return (text, False) if len(text) <= limit else (text[:limit], True)


def whole_line_markup(text: str, tag: str, limit: int = EXAMPLE_CHARS) -> Markup:
    """``text`` wrapped in ``<del>`` or ``<mark>``, cut to ``limit`` characters with an ellipsis."""
    shown, cut = clip(text or "", limit)
    return Markup('<{0} class="line">{1}</{0}>{2}').format(Markup(tag), shown, ELLIPSIS if cut else "")


def _segments(before: str, after: str) -> list[tuple[str, str]]:
    """(op, text) pieces with op ``eq``, ``del`` or ``ins``; common ends are split off first,
    so only the changed middle goes through SequenceMatcher (and a huge one does not)."""
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end = 0
    while end < min(len(before), len(after)) - start and before[len(before) - 1 - end] == after[len(after) - 1 - end]:
        end += 1
    old, new = before[start : len(before) - end], after[start : len(after) - end]
    pieces = [("eq", before[:start])]
    if len(old) + len(new) > DIFF_CHARS:
        pieces += [("del", old), ("ins", new)]
    else:
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                pieces.append(("eq", old[i1:i2]))
            if op in ("delete", "replace"):
                pieces.append(("del", old[i1:i2]))
            if op in ("insert", "replace"):
                pieces.append(("ins", new[j1:j2]))
    pieces.append(("eq", before[len(before) - end :]))
    merged: list[tuple[str, str]] = []
    for mark, text in pieces:
        if not text:
            continue
        if merged and merged[-1][0] == mark:
            merged[-1] = (mark, merged[-1][1] + text)
        else:
            merged.append((mark, text))
    return merged


def _elide(pieces: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    """Shorten long unchanged stretches around the changes, then cut at ``limit`` characters."""
    if sum(len(t) for _, t in pieces) > limit:
        shortened = []
        for index, (op, text) in enumerate(pieces):
            if op != "eq" and len(text) > limit // 2:  # leave room for the other side of a change
                text = text[: limit // 2 - 1] + ELLIPSIS
            if op == "eq" and len(text) > 2 * CONTEXT_CHARS:
                first, last = index == 0, index == len(pieces) - 1
                if first and not last:
                    text = ELLIPSIS + text[-CONTEXT_CHARS:]
                elif last and not first:
                    text = text[:CONTEXT_CHARS] + ELLIPSIS
                elif not first and not last:
                    text = text[:CONTEXT_CHARS] + ELLIPSIS + text[-CONTEXT_CHARS:]
            shortened.append((op, text))
        pieces = shortened
    out, budget = [], limit
    for op, text in pieces:
        if budget <= 0:
            out.append(("eq", ELLIPSIS))
            break
        shown, cut = clip(text, budget)
        out.append((op, shown))
        budget -= len(shown)
        if cut:
            out.append(("eq", ELLIPSIS))
            break
    return out


def _pieces_markup(pieces: list[tuple[str, str]]) -> Markup:
    """(op, text) pieces as markup: ``eq`` as escaped text, any other op as its element."""
    return Markup("").join(
        escape(text) if op == "eq" else Markup("<{0}>{1}</{0}>").format(Markup(op), text) for op, text in pieces
    )


def diff_markup(before: str, after: str, limit: int = EXAMPLE_CHARS) -> Markup:
    """A character-level difference: ``<del>`` for removed, ``<ins>`` for inserted characters."""
    return _pieces_markup(_elide(_segments(before or "", after or ""), limit))


def span_markup(line: str, start: int, end: int, limit: int = EXAMPLE_CHARS) -> Markup:
    """``line`` with the characters ``start:end`` in ``<mark>``; long stretches around them
    shortened (…), the whole cut at ``limit`` characters.

    >>> str(span_markup("Er sagte, dass A & <B> gut sei", 15, 22))
    'Er sagte, dass <mark>A &amp; &lt;B&gt;</mark> gut sei'
    """
    pieces = [("eq", line[:start]), ("mark", line[start:end]), ("eq", line[end:])]
    return _pieces_markup(_elide([(op, text) for op, text in pieces if text], limit))
