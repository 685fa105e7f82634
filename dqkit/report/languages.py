"""report.json ``language_id``: how the language of each kept document was decided.

Per language, the kept documents whose language the input gave, was detected with trust,
is an untrusted guess, or was settled by the prior of its source
(:class:`dqkit.kinds.LanguageBy`); the sources whose prior decided, with how many
documents; and a warning when the mix of languages is implausible, which is one of:

- *rare languages hold many documents*: the languages that hold under :data:`RARE_SHARE`
  of the kept documents each, at least two of them, hold :data:`RARE_TOTAL` of them together;
- *many rare languages*: there are at least :data:`RARE_LANGUAGES` such languages, however
  few documents they hold (Reuters, an English newswire, comes out with 10 documents in 6 of
  them: a detector misfiring on tables and stubs, not a multilingual corpus);
- *many documents without a language*: at least :data:`UNDETERMINED_SHARE` of the kept
  documents are ``und`` (too short, or no letters), when languages were detected.

>>> import polars as pl
>>> clean = pl.DataFrame({"lang": ["en", "en", "sv", "id"], "_lang_by": ["trusted", "prior", "untrusted", "untrusted"],
...                       "_source": [None, "a.jsonl", None, None], "n": [197, 1, 1, 1]})
>>> summary = language_summary(clean, "langdetect")
>>> summary["by_language"]["en"], summary["rare"]
({'trusted': 197, 'prior': 1}, {'languages': 2, 'documents': 2})
>>> summary["priors"]
[{'source': 'a.jsonl', 'language': 'en', 'documents': 1}]
>>> summary["warning"][:60]
'2 kept documents (1.0 %) are in 2 languages that hold under '
>>> clean = pl.DataFrame({"lang": ["en", "und"], "_lang_by": ["trusted", "none"], "_source": [None, None],
...                       "n": [90, 10]})
>>> language_summary(clean, "langdetect")["warning"]
'10 kept documents (10.0 %) have no language (und): too short, or no letters; often tables or stubs'
"""

from __future__ import annotations

import polars as pl

from dqkit.detect.langid import UNDETERMINED
from dqkit.frames import LANG_BY, SOURCE
from dqkit.kinds import LanguageBy

RARE_SHARE = 0.01
RARE_TOTAL = 0.01
RARE_LANGUAGES = 5
UNDETERMINED_SHARE = 0.05


def _share(part: int, whole: int) -> str:
    """``part`` of ``whole`` in per cent, with a second decimal where one would show 0.0."""
    return f"{part / whole:.1%}" if part >= 0.001 * whole else f"{part / whole:.2%}"


def language_summary(clean: pl.DataFrame, detector: str | None) -> dict:
    """``language_id`` from the kept documents counted by ``lang, _lang_by, _source`` (``n``
    documents a row; the source where the prior decided); ``detector`` is None when
    languages were not detected."""
    langs = clean.with_columns(pl.col("lang").fill_null(UNDETERMINED))
    by_language: dict[str, dict[str, int]] = {}
    counted = langs.group_by("lang", LANG_BY).agg(pl.col("n").sum()).sort("lang", LANG_BY)
    for lang, by, n in counted.iter_rows():
        by_language.setdefault(str(lang), {})[str(by)] = int(n)
    order = [by.value for by in LanguageBy]
    by_language = {
        lang: dict(sorted(c.items(), key=lambda item: order.index(item[0]))) for lang, c in by_language.items()
    }
    by_prior = langs.filter(pl.col(LANG_BY) == LanguageBy.PRIOR).group_by(SOURCE, "lang").agg(pl.col("n").sum())
    priors = by_prior.sort(SOURCE, "lang").rows()
    summary: dict = {
        "detector": detector,
        "by_language": by_language,
        "priors": [{"source": s, "language": lang, "documents": n} for s, lang, n in priors],
    }
    kept = int(clean["n"].sum())
    totals = {lang: sum(c.values()) for lang, c in by_language.items() if lang != UNDETERMINED}
    rare = {lang: n for lang, n in totals.items() if n < RARE_SHARE * kept}
    rare_documents = sum(rare.values())
    summary["rare"] = {"languages": len(rare), "documents": rare_documents}
    warnings = []
    if kept and len(rare) > 1 and (rare_documents >= RARE_TOTAL * kept or len(rare) >= RARE_LANGUAGES):
        warnings.append(
            f"{rare_documents:,} kept {'document' if rare_documents == 1 else 'documents'} "
            f"({_share(rare_documents, kept)}) are in {len(rare)} languages that hold under {RARE_SHARE:.0%} of the "
            "corpus each: often a detector misfiring on short or tabular text"
        )
    undetermined = sum(by_language.get(UNDETERMINED, {}).values())
    if detector is not None and kept and undetermined >= UNDETERMINED_SHARE * kept:
        warnings.append(
            f"{undetermined:,} kept {'document' if undetermined == 1 else 'documents'} ({_share(undetermined, kept)}) "
            f"{'has' if undetermined == 1 else 'have'} no language ({UNDETERMINED}): too short, or no letters; "
            "often tables or stubs"
        )
    if warnings:
        summary["warning"] = "; ".join(warnings).replace("%", " %")
    return summary
