"""Machine-translation artefact signals, per document, with reasons.

Each signal counts occurrences in the cleaned text and keeps the first as its example.
They are cheap and explainable, and measure MT *damage*: fluent MT output shows none of
them (see ../shared/research/mt-artefacts.md for the false-positive risks of each).

* ``mt_notice``: the page says the text was generated or translated automatically (a
  rule of category ``provenance`` fired, even though the line was removed);
* ``doubled_quote``: a closing quotation mark doubled (``verstoßen.“ “, sagte er``);
* ``v2_violation`` (German): a fronted date adverbial followed by an article instead of
  the finite verb (``Am 23. Oktober die Vereinigten Staaten bestätigte``);
* ``capitalised_function_word``: a capitalised preposition or conjunction in mid-sentence
  (``offizieller Kommentar Zu den Enthüllungen``);
* ``english_function_words``: a run of English function words outside quotes in a
  non-English document (``results of the``);
* ``paragraph_language``: a paragraph of at least 20 words in another language (only
  paragraphs with almost none of the document language's function words are checked
  with langdetect, so the slow detector runs rarely);
* ``number_scale``: a number 1,000 times smaller than in other versions of the same
  story (:mod:`dqkit.detect.consistency`: "12 Soldaten" where others say "12.000");
* ``mixed_quote_styles``: typographic and straight quotation pairs in one document;
* ``unbalanced_quotes``: a document whose opening and closing marks differ by two or more;
* ``english_date_order`` (German): a month, day and comma year as in English
  (``Oktober 18, 2024``, ``Oktober, 2024``);
* ``doubled_reporting_verb`` (German): two reporting clauses for one statement
  (``sagte, dass dies ... bedeuten würde, sagte Rutte``);
* ``preposition_case`` (German): the second part of a ``zwischen dem ... und ...`` pair in
  a case ``zwischen`` never takes: ``und ihre Kollegen``, ``und die``, or ``und der`` before
  a noun of a masculine or neuter ending (``und der Generalsekretär``);
* ``article_gender`` (German): one acronym with the neuter article and another gender's
  (``Das NIS bestätigte`` … ``sagte der NIS``); the less frequent form is flagged;
* ``repeated_subject`` (German): a name repeated as the subject of the ``dass`` clause
  that follows it (``gab Nordkorea bekannt, dass Nordkorea``), where German says ``es``.

``english_date_order`` also counts on the lines the cleaning removed (:func:`removed_line_occurrences`):
a dateline is chrome that rules remove, but the order of its date is the translation's.

The artefacts combine as ``1 - Π (1 - weight)^min(count, 3)``, so one strong signal
gives a high score and many weak ones add up. Where the document's language has a learned
model (:mod:`dqkit.detect.mt_model`), its probability ``p`` (``mt_probability``) joins them:
``mt_score = 1 - (1 - p) · (1 - artefacts)``; a document the model calls MT (``p`` above
its threshold) also gets a ``model`` reason naming the n-grams that weighed most.

>>> reasons = mt_signals("Am 23. Oktober die Vereinigten Staaten bestätigte die Entsendung.", "de", 0)
>>> [(r["signal"], r["count"]) for r in reasons], mt_score(reasons)
([('v2_violation', 1)], 0.5)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl
import regex

from dqkit.detect.consistency import number_scale_flags
from dqkit.detect.langid import DEFAULT_DETECTOR
from dqkit.detect.language import identify
from dqkit.detect.mt_model import MtModel
from dqkit.frames import DOC
from dqkit.normalize.lexicon import load_lexicon

WEIGHTS = {
    "mt_notice": 0.9,
    "doubled_quote": 0.5,
    "v2_violation": 0.5,
    "capitalised_function_word": 0.4,
    "english_function_words": 0.3,
    "paragraph_language": 0.3,
    "number_scale": 0.5,
    "mixed_quote_styles": 0.15,
    "unbalanced_quotes": 0.1,
    "english_date_order": 0.4,
    "doubled_reporting_verb": 0.4,
    "preposition_case": 0.4,
    "article_gender": 0.3,
    "repeated_subject": 0.3,
}
EXAMPLE_CHARS = 120
ARTICLES = {
    "der",
    "die",
    "das",
    "den",
    "dem",
    "des",
    "ein",
    "eine",
    "einem",
    "einen",
    "einer",
    "the",
    "a",
    "an",
    "le",
    "la",
    "les",
    "un",
    "une",
    "il",
    "lo",
    "el",
    "los",
    "las",
    "uno",
    "una",
}

DOUBLED_QUOTE = regex.compile(r"„\s?„|“\s?“(?=\s*[,.;:!?)]|\s*$)|”\s?”|»\s?»|«\s?«")
# Every doubled quote, and every mixed style, has one of these: a text without them (most
# English text) skips both scans, which cost 0.1 s a shard of 10,000 Reuters stories.
TYPOGRAPHIC_QUOTES = "„“”«»"
MONTHS_DE = "Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
DAYS_DE = "Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag"
V2_DE = regex.compile(
    rf"(?:^|(?<!\d)[.!?:;]\s+)(?:[Aa]m|[Ii]m|[Ss]eit|[Aa]b|[Vv]or)\s+(?:\d{{1,2}}\.\s*)?(?:{MONTHS_DE}|{DAYS_DE})"
    r"(?:\s+\d{4})?\s+(?:der|die|das|den|dem)\s+"
    # a genitive or apposition of time is fine: "Am Montag der kommenden Woche erklärte"
    r"(?!(?:kommenden|vergangenen|nächsten|letzten|folgenden|gleichen|selben|laufenden|Woche|Jahres|Monats)\b)"
    r"\p{L}+",
    regex.MULTILINE,
)
ENGLISH_RUN = regex.compile(
    r"\b(?:the|of|and|to|is|that|for|it|with|on|are|be|by|this|from|at|or|have|not|but|we|you|they|which|has|"
    r"would|can|their|there|been|were)\s+(?:the|of|and|to|is|that|for|it|with|on|are|be|by|this|from|at|or|have|"
    r"not|but|we|you|they|which|has|would|can|their|there|been|were|a|an)\b"
)
ENGLISH_DATE_DE = regex.compile(rf"\b(?:{MONTHS_DE})(?:\s+\d{{1,2}})?,\s*\d{{4}}\b")
REPORTING_DE = r"(?:sagte|sagten|erklärte|erklärten|betonte|betonten|teilte|teilten|meinte|meinten)"
DOUBLED_REPORTING_DE = regex.compile(
    rf"\b{REPORTING_DE}\b,?\s+dass\b[^.!?]*?,\s+(?:{REPORTING_DE}|so)\s+(?:er|sie|\p{{Lu}}\p{{L}}+)\b"
)
# After "zwischen" (dative) the second conjunct in a nominative/accusative form: "ihre",
# "seine", "die", "eine" never are dative; "der" is only before a feminine noun, and these
# endings name masculine or neuter nouns (Generalsekretär, Präsident, Direktor, Journalist).
PREPOSITION_CASE_DE = regex.compile(
    # the first "und" after it (appositions between commas are fine: "dem Präsidenten, Yoon, und ...")
    r"\bzwischen\s+(?:dem|den|der|einem|einer|seinem|seiner|ihrem|ihrer|seinen|ihren)\s"
    r"(?:(?!\bund\b)[^.;:!?„“\n]){1,150}?\bund\s+(?:(?:die|ihre|seine|unsere|eine|keine)\s+\p{L}+"
    r"|der\s+(?:\p{Ll}+\s+)?\p{Lu}\p{Ll}*(?:är|eur|or|ist|ent|ant)\b)"
)
# "das" is neuter only; "der", "die", "den" are never neuter singular. An acronym followed by
# a capitalised word or a hyphen is the first part of a compound ("die US Regierung").
ARTICLE_ACRONYM_DE = regex.compile(r"\b([Dd](?:as|er|ie|en))\s+(\p{Lu}{2,6})(?![\p{L}\-])(?!\s+\p{Lu}\p{Ll})")
# The name just before the comma (after at most three words of the main clause's end) and
# again as the first word of the "dass" clause: "gab Nordkorea bekannt, dass Nordkorea".
# A repeated pronoun ("Sie wissen, dass Sie") is no name.
REPEATED_SUBJECT_DE = regex.compile(
    r"\b(?!(?:Sie|Er|Es|Wir|Ihr|Ich|Du|Man|Dies|Diese|Dieser|Dieses)\b)(\p{Lu}\p{Ll}{2,})"
    r"\s+(?:\p{Ll}+\s+){0,2}\p{Ll}+,\s+dass\s+\1\b"
)
QUOTED = regex.compile(r"„[^“”\n]{0,400}[“”]|“[^”\n]{0,400}”|\"[^\"\n]{0,400}\"|«[^»\n]{0,400}»|»[^«\n]{0,400}«")
OPEN_CLOSE = {"de": ("„", "“"), "en": ("“", "”"), "fr": ("«", "»")}


@functools.lru_cache(maxsize=64)
def _capitalised_pattern(lang: str) -> regex.Pattern | None:
    lexicon = load_lexicon(lang)
    # Articles start titles ("Die Zeit"); words that often start a sentence ("Nach", "Im")
    # look mid-sentence wherever a heading was glued to the text. Neither is evidence.
    words = sorted(w for w in lexicon.function_words if w not in ARTICLES and w not in lexicon.sentence_starters)
    if not words:
        return None
    alternatives = "|".join(regex.escape(w[:1].upper() + w[1:]) for w in words)
    # Preceded by a word (not by sentence-final or opening punctuation), followed by a word.
    return regex.compile(rf"(?<=[\p{{L}}\d]\s)(?:{alternatives})(?=\s\p{{L}})")


def _title_like(line: str) -> bool:
    words = regex.findall(r"\p{L}+", line)
    return len(words) > 0 and sum(w[0].isupper() for w in words) / len(words) > 0.6


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a signal: where in the document's text (``start``/``end``; None for
    a signal of the whole document) and its example for ``mt_reasons``. On a line the
    cleaning removed, ``line_no`` numbers that line and the offsets are within it."""

    signal: str
    example: str
    start: int | None = None
    end: int | None = None
    line_no: int | None = None


def nearest_occurrence(line: str, flagged: str, near: int) -> tuple[int, int] | None:
    """Where ``flagged`` is in ``line`` (``start, end``), the occurrence nearest to offset
    ``near``; None where it is nowhere: a span's place in another version of its line (as
    read, or clean). Verbatim first; else with each run of white space in ``flagged``
    matching any or none, as where a join repair put a space back ("Jake Sullivan" in a line
    as read "JakeSullivan").

    >>> nearest_occurrence("ab ab ab", "ab", 4), nearest_occurrence("mit JakeSullivan und", "Jake Sullivan", 0)
    ((3, 5), (4, 16))
    """
    if not flagged:
        return None
    for pattern in (regex.escape(flagged), r"\s*".join(regex.escape(part) for part in flagged.split())):
        found = [m.span() for m in regex.finditer(pattern, line, overlapped=True)]
        if found:
            return min(found, key=lambda span: (abs(span[0] - near), span[0]))
    return None


def _snippet(text: str, start: int, end: int) -> str:
    left = max(0, start - 30)
    return text[left : min(len(text), end + 30)].replace("\n", " ")[:EXAMPLE_CHARS]


def _blanked(text: str, pattern: regex.Pattern) -> str:
    """``text`` with the matches of ``pattern`` blanked out, every offset unchanged."""
    return pattern.sub(lambda m: " " * len(m.group()), text)


def occurrences(
    text: str,
    lang: str,
    foreign_paragraphs: tuple[str, ...] = (),
    scale_mismatches: tuple[str, ...] = (),
) -> list[Occurrence]:
    """Every occurrence of the artefact signals in ``text`` (language ``lang``), in signal
    order; ``foreign_paragraphs`` and ``scale_mismatches`` come from :func:`score_documents`."""
    found: list[Occurrence] = []
    base = (lang or "").split("-")[0]
    typographic = any(quote in text for quote in TYPOGRAPHIC_QUOTES)
    for match in DOUBLED_QUOTE.finditer(text) if typographic else ():
        found.append(Occurrence("doubled_quote", _snippet(text, match.start(), match.end()), *match.span()))
    if base == "de":
        for match in V2_DE.finditer(text):
            stripped = match.group().lstrip(".!?:;").lstrip()
            start = match.end() - len(stripped)
            found.append(Occurrence("v2_violation", stripped.strip()[:EXAMPLE_CHARS], start, match.end()))
    pattern = _capitalised_pattern(base) if base else None
    if pattern is not None and pattern.search(text):  # most documents have none: skip the line checks
        allowed = load_lexicon(base).capitalised_ok
        offset = 0
        for line in text.split("\n"):
            line_start, offset = offset, offset + len(line) + 1
            if _title_like(line):
                continue
            exempt = [m.span() for phrase in allowed for m in regex.finditer(regex.escape(phrase), line)]
            for match in pattern.finditer(line):
                before = line[: match.start()].split()
                after = line[match.end() :].split()
                if (
                    any(a <= match.start() < b for a, b in exempt)
                    # "das Aus", "dem Für und Wider": a nominalised word after an article
                    or (before and before[-1].lower() in ARTICLES)
                    # "Im Zentrum", "Von Miller", "Kritik Bei PSG": a title, a name, a heading
                    or (after and after[0][:1].isupper())
                ):
                    continue
                example = _snippet(line, match.start(), match.end())
                found.append(
                    Occurrence(
                        "capitalised_function_word", example, line_start + match.start(), line_start + match.end()
                    )
                )
    if base and base != "en":
        unquoted = _blanked(text, QUOTED)
        own_words = load_lexicon(base).function_words
        for match in ENGLISH_RUN.finditer(unquoted):
            before = unquoted[: match.start()].split()[-1:] or [""]
            after = unquoted[match.end() :].split()[:1] or [""]
            sentence = regex.split(r"[.!?]\s", unquoted[max(0, match.start() - 300) : match.end() + 300])
            words = regex.findall(r"\p{L}+", " ".join(s for s in sentence if match.group() in s).lower())
            # A title or a name ("Rise of the Tomb Raider"), or a whole English sentence (a
            # quoted tweet, which paragraph_language covers), is not an untranslated fragment.
            if (before[0][:1].isupper() and after[0][:1].isupper()) or sum(w in own_words for w in words) < 2:
                continue
            example = " ".join(_snippet(unquoted, match.start(), match.end()).split())
            found.append(Occurrence("english_function_words", example, *match.span()))
    if base == "de":
        for signal, pattern in (
            ("english_date_order", ENGLISH_DATE_DE),
            ("doubled_reporting_verb", DOUBLED_REPORTING_DE),
            ("preposition_case", PREPOSITION_CASE_DE),
        ):
            found += [Occurrence(signal, _snippet(text, m.start(), m.end()), *m.span()) for m in pattern.finditer(text)]
        found += _article_gender(text)
        found += [
            Occurrence("repeated_subject", _snippet(text, *m.span()), *m.span())
            for m in REPEATED_SUBJECT_DE.finditer(text)
        ]
    for paragraph in foreign_paragraphs:
        start = text.find(paragraph)
        span = (start, start + len(paragraph)) if start >= 0 else (None, None)
        found.append(Occurrence("paragraph_language", paragraph[:EXAMPLE_CHARS], *span))
    for mismatch in scale_mismatches:
        shown = mismatch.split(" (")[0]  # "12 Soldaten (12.000 Soldaten in 2 other versions)"
        start = text.find(shown)
        span = (start, start + len(shown)) if start >= 0 else (None, None)
        found.append(Occurrence("number_scale", mismatch[:EXAMPLE_CHARS], *span))
    if (
        '"' in text
        and typographic
        and regex.search(r"\"[^\"\n]{1,200}\"", text)
        and QUOTED.search(regex.sub(r"\"[^\"\n]{0,400}\"", " ", text))
    ):
        found.append(Occurrence("mixed_quote_styles", "typographic and straight quotation marks"))
    if base in OPEN_CLOSE:
        # Per document: a quotation may run over several paragraphs (or one-sentence lines).
        opening, closing = OPEN_CLOSE[base]
        # One stray mark is common in human text (a quotation split over segments).
        if abs(text.count(opening) - text.count(closing)) >= 2:
            example = f"{text.count(opening)} × {opening} but {text.count(closing)} × {closing}"
            found.append(Occurrence("unbalanced_quotes", example))
    return found


def _article_gender(text: str) -> list[Occurrence]:
    """``article_gender``: per acronym, the occurrences of the less frequent side of
    neuter ``das`` against ``der``/``die``/``den`` (both sides on a tie)."""
    sides: dict[str, dict[bool, list[regex.Match]]] = {}
    for match in ARTICLE_ACRONYM_DE.finditer(text):
        neuter = match.group(1).lower() == "das"
        sides.setdefault(match.group(2), {True: [], False: []})[neuter].append(match)
    found = []
    for acronym, by_side in sides.items():
        neuter, other = by_side[True], by_side[False]
        if not neuter or not other:
            continue
        flagged = neuter if len(neuter) < len(other) else other if len(other) < len(neuter) else neuter + other
        forms = f"{len(neuter)} × das {acronym}, {len(other)} × {'/'.join(sorted({m.group(1).lower() for m in other}))}"
        for match in sorted(flagged, key=lambda m: m.start()):
            found.append(Occurrence("article_gender", f"{_snippet(text, *match.span())} ({forms})", *match.span()))
    return found


def removed_line_occurrences(line: str, line_no: int, lang: str) -> list[Occurrence]:
    """The signals that still count on a line the cleaning removed (``english_date_order``
    in German), with offsets within that line.

    >>> [(o.signal, o.start, o.end) for o in removed_line_occurrences("18. Oktober, 2024", 1, "de")]
    [('english_date_order', 4, 17)]
    """
    if (lang or "").split("-")[0] != "de":
        return []
    return [
        Occurrence("english_date_order", _snippet(line, *m.span()), m.start(), m.end(), line_no)
        for m in ENGLISH_DATE_DE.finditer(line)
    ]


def summary(found: list[Occurrence], notices: int = 0, notice_example: str = "") -> list[dict]:
    """``{signal, count, example}`` per signal (the first occurrence's example), in the
    fixed order of :data:`WEIGHTS`; ``notices`` counts MT/auto-generation notice rule hits."""
    counts: dict[str, list] = {}
    if notices:
        counts["mt_notice"] = [notices, notice_example[:EXAMPLE_CHARS]]
    for occurrence in found:
        counts.setdefault(occurrence.signal, [0, occurrence.example])[0] += 1
    return [{"signal": s, "count": counts[s][0], "example": counts[s][1]} for s in WEIGHTS if s in counts]


def mt_signals(
    text: str,
    lang: str,
    notices: int,
    notice_example: str = "",
    foreign_paragraphs: tuple[str, ...] = (),
    scale_mismatches: tuple[str, ...] = (),
) -> list[dict]:
    """The signals found in ``text`` (language ``lang``), as ``{signal, count, example}``
    records in a fixed order (:func:`summary` of :func:`occurrences`)."""
    return summary(occurrences(text, lang, foreign_paragraphs, scale_mismatches), notices, notice_example)


def mt_score(reasons: list[dict]) -> float:
    keep = 1.0
    for reason in reasons:
        keep *= (1.0 - WEIGHTS[reason["signal"]]) ** min(reason["count"], 3)
    return round(1.0 - keep, 4)


MIN_PARAGRAPH_WORDS = 20
MAX_SUSPECTS_PER_DOCUMENT = 3  # langdetect costs ~3 ms a paragraph
MAX_FUNCTION_WORD_SHARE = 0.08  # German prose has ~30 % function words; an English paragraph ~3 %


def suspect_paragraphs(text: str, lang: str) -> list[str]:
    """Paragraphs long enough to trust langdetect on, with almost none of the document
    language's function words: the only ones worth the slow detector.

    >>> suspect_paragraphs("The results of the vote were announced on Monday by the electoral commission "
    ...                    "and the turnout was higher than in any election since the end of the war.", "de")[0][:11]
    'The results'
    """
    function_words = load_lexicon(lang).function_words if lang else frozenset()
    if not function_words:
        return []
    suspects = []
    for paragraph in text.split("\n"):
        if paragraph.count(" ") < MIN_PARAGRAPH_WORDS - 1:
            continue  # too short to trust langdetect: not worth the word count
        words = regex.findall(r"\p{L}{2,}", paragraph.lower())
        # prose only: tables and price lists have few function words in any language. The
        # digits are counted last, and in C (map): the document language's own prose fails
        # the share first, and a generator over every character cost 0.5 s on 1,000 German stories.
        if (
            len(words) >= MIN_PARAGRAPH_WORDS
            and sum(w in function_words for w in words) / len(words) < MAX_FUNCTION_WORD_SHARE
            and sum(map(str.isdigit, paragraph)) < 0.05 * len(paragraph)
        ):
            suspects.append(paragraph)
            if len(suspects) == MAX_SUSPECTS_PER_DOCUMENT:
                break
    return suspects


def score_documents(
    docs: pl.DataFrame,
    scale_docs: pl.DataFrame | None = None,
    detector: str = DEFAULT_DETECTOR,
    models: Mapping[str, MtModel] | None = None,
    removed_lines: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``mt_score``, ``mt_probability`` and ``mt_reasons`` per document, and every
    occurrence of an artefact (:data:`OCCURRENCES`). ``docs`` has
    ``_doc, text, lang``, ``notices`` and ``notice_example`` (MT-notice rule hits); the
    number-scale check compares the documents of ``scale_docs`` (``_doc, text, lang``;
    default: all); ``detector`` names the language of suspect paragraphs; ``models`` are
    the learned models by base language code; ``removed_lines`` (``_doc, line_no, line``)
    are the lines the cleaning removed (:func:`removed_line_occurrences`)."""
    rows = list(docs.select("text", "lang").iter_rows())
    suspects = [
        (index, p)
        for index, (text, lang, *_rest) in enumerate(rows)
        for p in suspect_paragraphs(text, (lang or "").split("-")[0])
    ]
    foreign: dict[int, list[str]] = {}
    if suspects:
        detected = identify([p for _, p in suspects], detector).select("lang", "trusted").rows()
        for (index, paragraph), (found_lang, trusted) in zip(suspects, detected, strict=True):
            own = (rows[index][1] or "").split("-")[0]
            if trusted and found_lang.split("-")[0] != own:
                foreign.setdefault(index, []).append(paragraph)
    scale = number_scale_flags((docs if scale_docs is None else scale_docs).select(DOC, "text", "lang"))
    probabilities = _model_probabilities(rows, models or {})
    removed: dict[int, list[tuple[int, str]]] = {}
    if removed_lines is not None:
        for doc, line_no, line in removed_lines.select(DOC, "line_no", "line").iter_rows():
            removed.setdefault(doc, []).append((line_no, line))
    scores, reasons, spans = [], [], []
    for index, (doc, text, lang, notices, example) in enumerate(
        docs.select(DOC, "text", "lang", "notices", "notice_example").iter_rows()
    ):
        occurred = occurrences(text, lang or "", tuple(foreign.get(index, ())), tuple(scale.get(doc, ())))
        occurred += [o for line_no, line in removed.get(doc, ()) for o in removed_line_occurrences(line, line_no, lang)]
        spans += [(doc, o.signal, o.line_no, o.start, o.end) for o in occurred]
        found = summary(occurred, notices or 0, example or "")
        score = mt_score(found)
        probability = probabilities[index]
        if probability is not None:
            score = round(1.0 - (1.0 - probability) * (1.0 - score), 4)
            model = (models or {})[(lang or "").split("-")[0]]
            if probability > model.threshold:
                strongest = ", ".join(f"„{gram}“" for gram in model.strongest(text))
                found.append({"signal": "model", "count": 1, "example": f"{probability:.2f}: {strongest}"})
        scores.append(score)
        reasons.append(found)
    signals = pl.DataFrame(
        {
            DOC: docs[DOC],
            "mt_score": pl.Series(scores, dtype=pl.Float64),
            "mt_probability": pl.Series(probabilities, dtype=pl.Float64),
            "mt_reasons": _reasons_column(reasons),
        }
    )
    return signals, pl.DataFrame(spans, schema=OCCURRENCES, orient="row")


REASON = pl.Struct({"signal": pl.String, "count": pl.Int64, "example": pl.String})


def _reasons_column(reasons: list[list[dict]]) -> pl.Series:
    """``mt_reasons``: a list of :data:`REASON` per document. Built from flat columns:
    ``pl.Series(reasons, dtype=...)`` converts object by object, and on Reuters that took
    over a second for lists that are almost all empty.

    >>> _reasons_column([[], [{"signal": "v2_violation", "count": 2, "example": "Am"}]]).to_list()
    [[], [{'signal': 'v2_violation', 'count': 2, 'example': 'Am'}]]
    """
    flat = [(index, r["signal"], r["count"], r["example"]) for index, found in enumerate(reasons) for r in found]
    rows = pl.DataFrame(flat, schema={"_index": pl.UInt32, **REASON.to_schema()}, orient="row")
    grouped = rows.group_by("_index", maintain_order=True).agg(pl.struct(*REASON.to_schema()).alias("mt_reasons"))
    every = pl.DataFrame({"_index": pl.int_range(len(reasons), eager=True, dtype=pl.UInt32)})
    joined = every.join(grouped, on="_index", how="left", maintain_order="left")
    return joined["mt_reasons"].fill_null(pl.lit([], dtype=pl.List(REASON)))


#: Every occurrence of a signal: offsets in the document's text (null: the whole document),
#: or, with a ``line_no``, in that line, which the cleaning removed.
OCCURRENCES = pl.Schema({DOC: pl.Int64, "signal": pl.String, "line_no": pl.Int32, "start": pl.Int64, "end": pl.Int64})


def _model_probabilities(rows: list[tuple], models: Mapping[str, MtModel]) -> list[float | None]:
    """Per document (``text, lang`` rows), the learned probability of MT; None where its
    language has no model. Each model scores its documents in one batch."""
    probabilities: list[float | None] = [None] * len(rows)
    for lang, model in models.items():
        indices = [i for i, (_, doc_lang) in enumerate(rows) if (doc_lang or "").split("-")[0] == lang]
        if indices:
            for i, p in zip(indices, model.probabilities([rows[i][0] for i in indices]), strict=True):
                probabilities[i] = round(p, 4)
    return probabilities
