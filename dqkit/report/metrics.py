"""Reading a report.json back, and the flat metric names that ``dqkit diff`` and
``dqkit check`` share.

A metric is a dotted name with a number, e.g. ``documents.rejected_pct`` (share of the
documents read that were rejected, in percent, so "rises by 2 points" is a delta of 2),
``documents.rejected_by_reason.near_duplicate`` or ``rules.de.social.follow-us.hits``.

>>> m = metrics({"documents": {"in": 4, "kept": 3, "rejected": 1, "rejected_by_reason": {"near_duplicate": 1}},
...              "rule_hits": {"x.y": {"hits": 2, "documents": 1, "lines_removed": 2}}})
>>> m["documents.rejected_pct"], m["documents.rejected_by_reason.near_duplicate"], m["rules.x.y.hits"]
(25.0, 1, 2)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NamedTuple

from dqkit.errors import DqkitError
from dqkit.io.atomic import json_kind, read_json

REPORT_SCHEMA_FAMILY = "dqkit/report@1"
RULE_FIELDS = ("hits", "documents", "lines_removed", "spans_removed")


class ReportError(DqkitError):
    """A report that cannot be read or is not a dqkit report (exit 2: nothing was evaluated)."""

    exit_code = 2


_LARGEST = sys.float_info.max  # an integer beyond it cannot become a percentage


class _Required(NamedTuple):
    shape: Any


_COUNTS = {"*": float}
# What dqkit check, dqkit diff and the gates read of a report, and the type each must have
# (float: any number; {"*": shape}: an object whose every value has that shape; [shape]: a
# list). Keys that are not read are not checked; a key not marked required may be absent.
REPORT_SHAPE = {
    "schema": str,
    "dqkit_version": str,
    "options_hash": str,
    "inputs": {"fingerprint": str},
    "documents": _Required(
        {
            "in": _Required(float),
            "kept": _Required(float),
            "rejected": _Required(float),
            "balanced": bool,
            "rejected_by_reason": _COUNTS,
        }
    ),
    "lines": _COUNTS,
    "edits_by_kind": _COUNTS,
    "characters": {"in": float, "out": float},
    "unicode": {"documents_fixed": float, "fixes": _COUNTS},
    "languages": _COUNTS,
    "mt": {"score_histogram": _COUNTS, "signals": {"*": _COUNTS}},
    "dedup": {"exact_duplicates": float, "near_duplicates": float, "clusters": float},
    "lengths": {"buckets": [str], "before": [float], "after": [float]},
    "rules": _Required({"count": float, "definitions": {"*": str}, "fingerprint": str}),
    "rule_hits": _Required(
        {
            "*": {
                "hits": float,
                "documents": float,
                "lines_removed": float,
                "spans_removed": float,
                "samples": [{"doc_id": _Required(str), "line_no": _Required(float), "text": _Required(str)}],
            }
        }
    ),
}


def shape_problem(value, shape, where: str = "") -> str | None:
    """What is wrong with ``value`` for ``shape`` (see :data:`REPORT_SHAPE`), or None.

    >>> shape_problem({"documents": {"in": "5", "kept": 5, "rejected": 0}}, REPORT_SHAPE)
    'documents.in is a string, not a number'
    >>> shape_problem({"documents": {"in": 5, "kept": 5, "rejected": 0}, "rules": {}}, REPORT_SHAPE)
    'rule_hits is missing'
    """
    name = where or "the report"
    if isinstance(shape, _Required):
        shape = shape.shape
    if shape is float:
        if not _number(value):
            return f"{name} is {json_kind(value)}, not a number"
        return None if abs(value) <= _LARGEST else f"{name} is a number too large to compute with"
    if shape in (str, bool):
        expected = "a string" if shape is str else "true or false"
        return None if isinstance(value, shape) else f"{name} is {json_kind(value)}, not {expected}"
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{name} is {json_kind(value)}, not a list"
        problems = (shape_problem(item, shape[0], f"{where}[{i}]") for i, item in enumerate(value))
    else:
        if not isinstance(value, dict):
            return f"{name} is {json_kind(value)}, not an object"
        if "*" in shape:
            problems = (shape_problem(item, shape["*"], f"{where}.{key}".lstrip(".")) for key, item in value.items())
        else:
            problems = (
                (f"{where}.{key}".lstrip(".") + " is missing" if isinstance(sub, _Required) else None)
                if key not in value
                else shape_problem(value[key], sub, f"{where}.{key}".lstrip("."))
                for key, sub in shape.items()
            )
    return next((problem for problem in problems if problem), None)


def load_report(path: str | Path) -> dict:
    """Read a report.json written by ``dqkit clean`` (or the folder holding one): strict
    JSON, with every key that check, diff and the gates read of the type they need."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    if not path.exists():
        raise ReportError(f"{path}: no such report")
    report = read_json(path, ReportError)
    if isinstance(report, dict) and report.get("schema", REPORT_SCHEMA_FAMILY) != REPORT_SCHEMA_FAMILY:
        raise ReportError(
            f"{path}: report schema {report['schema']!r} is not supported (this dqkit reads {REPORT_SCHEMA_FAMILY})"
        )
    problem = shape_problem(report, REPORT_SHAPE)
    if problem:
        raise ReportError(f"{path}: not a dqkit report: {problem}")
    return report


def _percent(part, whole) -> float:
    return round(100.0 * part / whole, 4) if whole else 0.0


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def metrics(report: dict) -> dict[str, float]:
    """Every number of ``report`` worth comparing, by dotted name (sorted)."""
    out: dict[str, float] = {}
    docs = report.get("documents", {})
    for key in ("in", "kept", "rejected"):
        if _number(docs.get(key)):
            out[f"documents.{key}"] = docs[key]
    if "in" in docs:
        out["documents.kept_pct"] = _percent(docs.get("kept", 0), docs["in"])
        out["documents.rejected_pct"] = _percent(docs.get("rejected", 0), docs["in"])
        # Recomputed: a report whose flag says balanced while its counts do not add up is not.
        counted = docs["in"] == docs.get("kept", 0) + docs.get("rejected", 0)
        out["documents.balanced"] = int(bool(counted and docs.get("balanced", True)))
    for reason, n in docs.get("rejected_by_reason", {}).items():
        out[f"documents.rejected_by_reason.{reason}"] = n
        out[f"documents.rejected_by_reason_pct.{reason}"] = _percent(n, docs.get("in", 0))
    for key, n in report.get("lines", {}).items():
        out[f"lines.{key}"] = n
    for kind, n in report.get("edits_by_kind", {}).items():
        out[f"edits.{kind}"] = n
    chars = report.get("characters", {})
    for key in ("in", "out"):
        if _number(chars.get(key)):
            out[f"characters.{key}"] = chars[key]
    if chars.get("in"):
        out["characters.removed_pct"] = _percent(chars["in"] - chars.get("out", 0), chars["in"])
    unicode = report.get("unicode", {})
    if "documents_fixed" in unicode:
        out["unicode.documents_fixed"] = unicode["documents_fixed"]
    for fix, n in unicode.get("fixes", {}).items():
        out[f"unicode.fixes.{fix}"] = n
    for lang, n in report.get("languages", {}).items():
        out[f"languages.{lang}"] = n
    mt = report.get("mt", {})
    for score_bin, n in mt.get("score_histogram", {}).items():
        out[f"mt.score.{score_bin}"] = n
    for signal, counts in mt.get("signals", {}).items():
        for key, n in counts.items():
            out[f"mt.signals.{signal}.{key}"] = n
    dedup = report.get("dedup", {})
    for key in ("exact_duplicates", "near_duplicates", "clusters"):
        if _number(dedup.get(key)):
            out[f"dedup.{key}"] = dedup[key]
    lengths = report.get("lengths", {})
    for side in ("before", "after"):
        for label, n in zip(lengths.get("buckets", []), lengths.get(side, []), strict=False):
            out[f"lengths.{side}.{label}"] = n
    if "count" in report.get("rules", {}):
        out["rules.count"] = report["rules"]["count"]
    hits = report.get("rule_hits", {})
    for rule_id in report.get("rules", {}).get("definitions", {}):  # rules that never fired count 0
        for key in RULE_FIELDS:
            out[f"rules.{rule_id}.{key}"] = 0
    for rule_id, stats in hits.items():
        for key in RULE_FIELDS:
            if _number(stats.get(key)):
                out[f"rules.{rule_id}.{key}"] = stats[key]
    return dict(sorted(out.items()))
