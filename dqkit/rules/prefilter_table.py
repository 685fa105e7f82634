"""Write ``dqkit/data/prefilter.json``: the prefilter's answers for every built-in pattern.

    python -m dqkit.rules.prefilter_table

Run it after changing a pattern under ``rules/``; tests/test_rules.py fails until the table
matches the built-in rules again. A pattern missing from the table is still analysed when
it loads (as every pattern of a user's own rules is), only more slowly.
"""

from __future__ import annotations

import json
from pathlib import Path

from dqkit.rules.loading import collect_rules
from dqkit.rules.model import RegexMatch
from dqkit.rules.prefilter import SHIPPED, Analysis, analyse


def builtin_analysis() -> dict[str, Analysis]:
    """The analysis of every regex pattern of the built-in rules, by pattern."""
    rules = collect_rules([], include_builtin=True).ruleset.rules
    patterns = sorted({p for rule in rules if isinstance(rule.match, RegexMatch) for p in rule.match.patterns})
    return {pattern: analyse(pattern) for pattern in patterns}


def main() -> None:
    table = {
        p: [unbounded, list(lits) if lits is not None else None] for p, (unbounded, lits) in builtin_analysis().items()
    }
    path = Path(__file__).resolve().parents[1] / "data" / SHIPPED
    path.write_text(json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(table)} patterns to {path}")


if __name__ == "__main__":
    main()
