"""report.html's duplicates, made for review: per cluster the kept copy and each removed
copy with its similarity to the kept copy, the copy it joined the cluster through (where it
did not match the kept copy itself), and a word-level diff of its cleaned text against the
kept copy's.

report.json ``dedup.all_clusters`` lists the largest clusters (up to
:data:`dqkit.report.summary.MAX_LISTED_CLUSTERS`); the page shows the
:data:`DUPLICATE_CLUSTERS` largest (the order report.json gives) and in each
:data:`COPIES_SHOWN` copies: those that joined through another copy, then the most similar.
Words are compared, not the white space between them, so a re-wrapped paragraph is no
difference; long unchanged stretches are cut down to :data:`CONTEXT_WORDS` words on each
side of a difference.

>>> str(word_diff("Der Rat tagt am Montag im Rathaus.", "Der Rat tagt am\\nDienstag im Rathaus."))
'Der Rat tagt am <del>Montag</del><ins>Dienstag</ins> im Rathaus.'
>>> str(word_diff("a <b> c", "a <i> c"))
'a <del>&lt;b&gt;</del><ins>&lt;i&gt;</ins> c'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from dqkit.report.markup import ELLIPSIS, clip

DUPLICATE_CLUSTERS = 20  # clusters shown in report.html, largest first; report.json lists every one
COPIES_SHOWN = 10  # removed copies shown per cluster
CONTEXT_WORDS = 12  # unchanged words kept on each side of a difference
DIFF_CHARS = 3000  # characters of one diff shown; the differences after them are counted
CHANGE_CHARS = 600  # characters of one changed stretch shown
DIFF_TOKENS = 20_000  # words and spaces of each text compared (SequenceMatcher is quadratic at worst)
KEPT_CHARS = 300  # characters of the kept copy shown above its copies

_TOKENS = re.compile(r"\s+|\S+")


def _word_pieces(kept: str, copy: str) -> list[tuple[str, list[str]]]:
    """(op, tokens) pieces from ``kept`` to ``copy``: op ``eq`` (``kept``'s tokens),
    ``del`` or ``ins``. White-space runs are compared as one space."""
    old, new = _TOKENS.findall(kept)[:DIFF_TOKENS], _TOKENS.findall(copy)[:DIFF_TOKENS]
    a, b = ([" " if token.isspace() else token for token in tokens] for tokens in (old, new))
    pieces: list[tuple[str, list[str]]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("eq", old[i1:i2]))
            continue
        if i2 > i1:
            pieces.append(("del", old[i1:i2]))
        if j2 > j1:
            pieces.append(("ins", new[j1:j2]))
    return pieces


def _words(tokens: list[str]) -> int:
    return sum(not token.isspace() for token in tokens)


def _shortened(tokens: list[str], keep_start: bool, keep_end: bool) -> list[tuple[str, str]]:
    """An unchanged stretch as pieces: whole when short, else :data:`CONTEXT_WORDS` words
    at the ends that touch a difference and a ``gap`` piece saying how many words are left out."""
    if _words(tokens) <= 2 * CONTEXT_WORDS + 2:
        return [("eq", "".join(tokens))]
    side = 2 * CONTEXT_WORDS  # words and the spaces between them
    head = tokens[:side] if keep_start else []
    tail = tokens[-side:] if keep_end else []
    left_out = _words(tokens) - _words(head) - _words(tail)
    return [
        *([("eq", "".join(head))] if head else []),
        ("gap", f"{ELLIPSIS} {left_out:,} {'word' if left_out == 1 else 'words'} the same {ELLIPSIS}"),
        *([("eq", "".join(tail))] if tail else []),
    ]


def word_diff(kept: str, copy: str) -> Markup:
    """The differences from ``kept`` to ``copy`` as markup: ``<del>`` words only the kept
    copy has, ``<ins>`` words only this copy has, unchanged stretches cut down around them,
    the whole cut after :data:`DIFF_CHARS` characters (the differences left are counted)."""
    pieces = _word_pieces(kept or "", copy or "")
    if not any(op != "eq" for op, _ in pieces):
        return Markup('<span class="gap">the same words as the kept copy</span>')
    shown: list[tuple[str, str]] = []
    for index, (op, tokens) in enumerate(pieces):
        if op == "eq":
            shown += _shortened(tokens, keep_start=index > 0, keep_end=index < len(pieces) - 1)
        else:
            text, cut = clip("".join(tokens), CHANGE_CHARS)
            shown.append((op, text + (ELLIPSIS if cut else "")))
    changes = [  # where each change starts: a deletion, an insertion or both side by side
        k
        for k, (op, _) in enumerate(shown)
        if op in ("del", "ins") and (k == 0 or shown[k - 1][0] not in ("del", "ins"))
    ]
    parts, budget = [], DIFF_CHARS
    for position, (op, text) in enumerate(shown):
        if budget <= 0:
            left = sum(start >= position for start in changes)
            if left:
                parts.append(
                    Markup('<span class="gap">{0} diff cut: {1} more {2}</span>').format(
                        ELLIPSIS, left, "change" if left == 1 else "changes"
                    )
                )
            break
        budget -= len(text)
        if op == "eq":
            parts.append(escape(text))
        elif op == "gap":
            parts.append(Markup('<span class="gap">{0}</span>').format(text))
        else:
            parts.append(Markup("<{0}>{1}</{0}>").format(Markup(op), text))
    return Markup("").join(parts)


def _similarity(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else "–"


def _shown_clusters(report: Mapping) -> list[Mapping]:
    clusters = (report.get("dedup") or {}).get("all_clusters") or []
    return [c for c in clusters if isinstance(c, Mapping)][:DUPLICATE_CLUSTERS]


def _shown_copies(cluster: Mapping) -> list[Mapping]:
    """The copies of ``cluster`` the page shows: those that joined through another copy
    first (their similarity to the kept copy is below the threshold: they are what needs a
    look), then the most similar; at most :data:`COPIES_SHOWN`."""
    copies = [c for c in cluster.get("copies") or [] if isinstance(c, Mapping)]
    return sorted(copies, key=lambda c: c.get("linked_via") is None)[:COPIES_SHOWN]  # stable: similarity order


def review_ids(report: Mapping) -> list[str]:
    """The ids whose cleaned texts the page's duplicates need: the kept copy and the shown
    copies of each shown cluster."""
    ids: list[str] = []
    for cluster in _shown_clusters(report):
        ids.append(str(cluster.get("kept")))
        ids += [str(c.get("id")) for c in _shown_copies(cluster)]
    return list(dict.fromkeys(ids))


def duplicate_clusters(report: Mapping, texts: Mapping[str, str] | None) -> list[dict]:
    """The shown clusters for the page (``texts``: cleaned texts by id, those of
    :func:`review_ids`; a kept copy of an earlier batch has none here): the kept copy's
    opening, and per copy its similarity, the copy it joined through with the similarity
    of both to the next one on the way, and its diff against the kept copy."""
    texts = texts or {}
    shown = []
    for index, cluster in enumerate(_shown_clusters(report)):
        kept = str(cluster.get("kept"))
        copies = [c for c in cluster.get("copies") or [] if isinstance(c, Mapping)]
        to_kept = {str(c.get("id")): c.get("similarity") for c in copies}
        rows = []
        for copy in _shown_copies(cluster):
            doc_id, via = str(copy.get("id")), copy.get("linked_via")
            have = doc_id in texts and kept in texts
            rows.append(
                {
                    "id": doc_id,
                    "reason": str(copy.get("reason") or ""),
                    "similarity": _similarity(copy.get("similarity")),
                    "linked_via": None if via is None else str(via),
                    "via_similarity": _similarity(copy.get("linked_via_similarity")),
                    "via_to_kept": _similarity(to_kept.get(str(via))),
                    "diff": word_diff(texts[kept], texts[doc_id]) if have else None,
                }
            )
        opening, cut = clip(texts.get(kept, ""), KEPT_CHARS)
        shown.append(
            {
                "anchor": f"cluster-{index}",
                "kept": kept,
                "kept_batch": cluster.get("kept_batch"),
                "kept_text": opening + (ELLIPSIS if cut else "") if kept in texts else None,
                "size": cluster.get("size") or len(copies) + 1,
                "copies": rows,
                "more": max(len(copies) - COPIES_SHOWN, 0),
            }
        )
    return shown
