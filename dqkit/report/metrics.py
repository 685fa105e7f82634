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

import json
from pathlib import Path

from dqkit.errors import DqkitError

REPORT_SCHEMA_FAMILY = "dqkit/report@1"
RULE_FIELDS = ("hits", "documents", "lines_removed")


class ReportError(DqkitError):
    """A report that cannot be read or is not a dqkit report (exit 2: nothing was evaluated)."""

    exit_code = 2


def load_report(path: str | Path) -> dict:
    """Read a report.json written by ``dqkit clean`` (or the folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such report") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read the report ({exc})") from None
    try:
        report = json.loads(text, parse_constant=_not_a_number)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except ValueError as exc:
        raise ReportError(f"{path}: {exc}") from None
    if not isinstance(report, dict) or not isinstance(report.get("documents"), dict):
        raise ReportError(f"{path}: not a dqkit report (no 'documents' section)")
    schema = report.get("schema", REPORT_SCHEMA_FAMILY)
    if schema != REPORT_SCHEMA_FAMILY:
        raise ReportError(
            f"{path}: report schema {schema!r} is not supported (this dqkit reads {REPORT_SCHEMA_FAMILY})"
        )
    return report


def _not_a_number(name: str) -> float:
    raise ValueError(f"not strict JSON: {name} is not a number a report can hold")


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
