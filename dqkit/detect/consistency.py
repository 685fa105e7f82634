"""Cross-version consistency: numbers that lost their scale between versions of a story.

Machine translation drops scale words ("12 mila soldati" → "12 Soldaten"), so one
version of a story says 12 where the others say 12.000. For each document we take
"<number> <Noun>" pairs; a pair whose value is 1,000 or 1,000,000 times smaller than the
same noun's value in another document that tells the same story (they share at least
``MIN_SHARED_NAMES`` uncommon capitalised words) is flagged in the document where the
smaller value is in the minority.

>>> import polars as pl
>>> story = ("Nordkorea schickt Truppen nach Russland, sagte Selenskyj in Kiew zu Rutte und Lawrow in Moskau. "
...          "Auch Pjöngjang, Wladiwostok, Kursk, Yoon und Sullivan werden genannt. ")
>>> texts = [story + "Mindestens 12 Soldaten.", story + "Es sind 12.000 Soldaten.", story + "Rund 12.000 Soldaten."]
>>> docs = pl.DataFrame({"_doc": [0, 1, 2], "text": texts, "lang": ["de"] * 3})
>>> number_scale_flags(docs)
{0: ['12 Soldaten (12.000 Soldaten in 2 other versions)']}
"""

from __future__ import annotations

from collections import defaultdict

import polars as pl
import regex

from dqkit.frames import DOC
from dqkit.normalize.lexicon import frequent

NUMBER_NOUN = r"(?:^|[^\d.,])(\d{1,3}(?:\.\d{3})+|\d+)\s+(\p{Lu}\p{Ll}{2,})"
NAME = regex.compile(r"\b\p{Lu}\p{Ll}{2,}\b")
MIN_SHARED_NAMES = 10
UNCOMMON = 4.5  # Zipf: a name or a rare word, not "Die" or "Regierung"
SCALES = (1_000, 1_000_000)


def _value(text: str) -> int:
    return int(text.replace(".", ""))


def _names(text: str, lang: str) -> set[str]:
    return {w for w in NAME.findall(text) if not frequent(w.lower(), lang, UNCOMMON)}


def number_scale_flags(docs: pl.DataFrame) -> dict[int, list[str]]:
    """Per ``_doc`` (of ``_doc, text, lang``), the scale mismatches found, as examples."""
    pairs = (
        docs.select(DOC, pl.col("text").str.extract_all(NUMBER_NOUN).alias("pair"))
        .explode("pair")
        .drop_nulls()
        .with_columns(
            pl.col("pair").str.extract(r"(\d[\d.]*)\s+\p{Lu}", 1).alias("number"),
            pl.col("pair").str.extract(r"\s(\p{Lu}\p{Ll}+)$", 1).alias("noun"),
        )
        .drop_nulls(["number", "noun"])
    )
    if pairs.is_empty():
        return {}
    by_noun: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for doc, number, noun in pairs.select(DOC, "number", "noun").unique().iter_rows():
        by_noun[noun].append((doc, _value(number), number))
    texts = {
        doc: (text, (lang or "de").split("-")[0]) for doc, text, lang in docs.select(DOC, "text", "lang").iter_rows()
    }
    names: dict[int, set[str]] = {}

    def same_story(a: int, b: int) -> bool:
        for doc in (a, b):
            if doc not in names:
                names[doc] = _names(*texts[doc])
        return len(names[a] & names[b]) >= MIN_SHARED_NAMES

    flags: dict[int, list[str]] = defaultdict(list)
    for noun, values in by_noun.items():
        docs_by_value: dict[int, set[int]] = defaultdict(set)
        shown_by_value: dict[int, str] = {}
        for doc, value, shown in values:
            docs_by_value[value].add(doc)
            shown_by_value.setdefault(value, shown)
        for value, holders in docs_by_value.items():
            for scale in SCALES:
                big = value * scale
                # The large side must be written as a large number ("12.000"), not a year.
                if value == 0 or big not in docs_by_value or "." not in shown_by_value[big]:
                    continue
                for doc in holders:
                    big_docs = {other for other in docs_by_value[big] if other != doc and same_story(doc, other)}
                    agreeing = {other for other in holders if other != doc and same_story(doc, other)}
                    # The small value is the odd one out when more versions say the large one.
                    if big_docs and len(big_docs) > len(agreeing):
                        plural = "s" if len(big_docs) > 1 else ""
                        flags[doc].append(
                            f"{shown_by_value[value]} {noun} ({shown_by_value[big]} {noun} "
                            f"in {len(big_docs)} other version{plural})"
                        )
    return dict(flags)
