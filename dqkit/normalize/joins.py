"""Missing-space joins: repair where the evidence is strong, flag the rest, never guess.

Candidates exist only at visible boundaries inside a token: lowercase→uppercase
("Intelligence ServiceNach einer", "Kim Jong-gyuDer amtlichen", "JakeSullivan") and
punctuation glued between two words ("Ende.Der", "gesagt,dass"). A boundary is left
alone when the whole token is a known word (WhatsApp, LinkedIn, YouTube: wordfreq), on
the language's camel-case list, a Binnen-I form (LehrerInnen), a name with a prefix
(MacArthur), or part of a URL, e-mail, hashtag, handle, path, code or abbreviation.

It is repaired (a space inserted) when

* ``sentence_boundary``: the right piece is a sentence starter of the document's language
  (``rules/<lang>/lexicon.yaml``): "ServiceNach" → "Service Nach";
* ``function_word``: the left piece, the start of the token, is a function word;
* ``in_sentence``: a lowercase word of the document's language glued to a capitalised
  one ("starkenRauchentwicklung");
* ``corpus_evidence``: the spaced form occurs at least twice, and twice as often as the
  glued one, in the corpus;
* ``name``: the left piece is a common given name and the right piece a known word
  ("JakeSullivan"), and the glued token occurs only once in the corpus (brands recur);
* ``punctuation``: both words around the glued mark are common words.

Everything else that looks glued is flagged (``join_flagged``) and left unchanged: two
known words glued together are as often a brand (WordCamps, AirMouse) as an accident.

>>> repair_line("Am 18. Oktober meldete der ServiceNach einer Sitzung", "de", {}, {})[0]
'Am 18. Oktober meldete der Service Nach einer Sitzung'
>>> repair_line("Updates auf WhatsApp und LinkedIn", "de", {}, {})
('Updates auf WhatsApp und LinkedIn', [])
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import regex

from dqkit.frames import DOC, EDITS, as_edits
from dqkit.kinds import EditKind
from dqkit.normalize.lexicon import Lexicon, frequent, known, load_lexicon

CASE_BOUNDARY = regex.compile(r"(?<=\p{Ll}{2})(?=\p{Lu}\p{Ll})")
PUNCT_BOUNDARY = regex.compile(r"(?<=\p{Ll}{2})((?:\.\.\.|…|[.!?])(?=\p{Lu}\p{Ll})|[,;:](?=\p{L}\p{Ll}))")
# Vectorised pre-check (polars, Rust regex): lines that can hold a candidate at all.
MAY_HAVE_JOIN = r"\p{Ll}{2}(?:\p{Lu}\p{Ll}|(?:\.\.\.|…|[.!?])\p{Lu}\p{Ll}|[,;:]\p{L}\p{Ll})"
SKIP_TOKEN = regex.compile(
    r"^[#@]|://|www\.|@\S+\.\p{L}{2,}|/|[_(){}\[\]=<>\\|`]|\p{L}\d|\d\p{L}"
    r"|^(?:\p{L}{1,3}\.){2,}"  # abbreviations: z.B., U.S., i.d.R.
    r"|\.\p{L}+\.\p{L}"  # dotted names: HRS.freie.Woche, example.co.uk
    r"|\.(?:de|com|org|net|at|ch|fr|it|es|uk|eu|io)\b"
)  # domains (lower case: ".Es" starts a sentence)
NAME_PREFIXES = {
    "mc",
    "mac",
    "fitz",
    "de",
    "di",
    "da",
    "du",
    "le",
    "la",
    "van",
    "von",
    "del",
    "della",
    "dos",
    "al",
    "el",
    "o",
}
NAMESPACES = {"http", "https", "mailto", "ftp", "kategorie", "datei", "category", "file", "bild", "image"}
LEFT_PIECE = regex.compile(r"\p{Lu}?\p{Ll}+$")
RIGHT_PIECE = regex.compile(r"^\p{Lu}?\p{Ll}+")
LETTERS_BEFORE = regex.compile(r"\p{L}+$")
LETTERS_AFTER = regex.compile(r"^\p{L}+")
OUTER = "\"'„“”‚‘’«»‹›()[]{}<>*.,;:!?…"


@dataclass(frozen=True)
class Decision:
    repair: bool
    reason: str


def _case_decision(
    token: str, cut: int, lang: str, lexicon: Lexicon, spaced_counts: dict, camel_counts: dict
) -> Decision | None:
    left = LEFT_PIECE.search(token[:cut]).group()
    right = RIGHT_PIECE.search(token[cut:]).group()
    camel = LETTERS_BEFORE.search(token[:cut]).group() + LETTERS_AFTER.search(token[cut:]).group()
    if camel.lower() in lexicon.camel_case or known(camel.lower(), lang, 1.5):
        return None  # a word as it is: WhatsApp, LinkedIn
    if (right in ("In", "Innen") or right.startswith("Innen")) and known((left + "in").lower(), lang, 1.5):
        return None  # Binnen-I: LehrerIn, LehrerInnen (but "verlorIn Berlin" lost a space)
    if left.lower() in NAME_PREFIXES:
        return None  # MacArthur
    if right.lower() in lexicon.sentence_starters and frequent(right.lower(), lang, 4.0) and len(left) >= 2:
        return Decision(True, "sentence_boundary")
    if token[:cut] == left and left.lower() in lexicon.function_words and known(right.lower(), lang, 2.5):
        return Decision(True, "function_word")
    spaced = spaced_counts.get(f"{left} {right}", 0)
    if spaced >= 2 and spaced >= 2 * camel_counts.get(camel, 0):
        return Decision(True, "corpus_evidence")
    if (
        token[:cut] == left
        and camel == left + right
        and left[:1].islower()
        and len(right) >= 3
        and frequent(left, lang, 3.0)
        and frequent(right.lower(), lang, 2.0)
    ):  # compounds are rare: 2.8
        # A lowercase word glued to a capitalised one ("starkenRauchentwicklung"): in the
        # document's language both are words; brands do not start in lower case.
        return Decision(True, "in_sentence")
    if camel == left + right and left in lexicon.first_names and known(right.lower(), lang, 2.0):
        # A given name glued to the next capitalised word: a person's name lost its space.
        # A glued token that recurs in the corpus is a name as written (a brand).
        if camel_counts.get(camel, 0) <= 1:
            return Decision(True, "name")
        return Decision(False, "recurring_camel_case")
    if known(left.lower(), lang, 3.0) and known(right.lower(), lang, 3.0):
        return Decision(False, "known_pieces")  # could be a brand (WordCamps, AirMouse): flag only
    return Decision(False, "unknown_pieces")


def _punct_decision(token: str, start: int, mark: str, lang: str) -> Decision | None:
    left = LETTERS_BEFORE.search(token[:start])
    right = LETTERS_AFTER.search(token[start + len(mark) :])
    if not left or not right:
        return None
    if mark == ":" and left.group().lower() in NAMESPACES:
        return None
    if mark in ":*" and right.group().lower() in ("in", "innen"):
        return None  # gender forms: Patient:innen
    if known(left.group().lower(), lang, 3.0) and known(right.group().lower(), lang, 3.0):
        return Decision(True, "punctuation")
    return Decision(False, "punctuation_unknown_pieces")


def _token_candidates(core: str, lang: str, lexicon: Lexicon, spaced: dict, camel: dict):
    """(position in core, text to insert there, decision) for each boundary in a token."""
    found = []
    boundaries = [match.start() for match in CASE_BOUNDARY.finditer(core)]
    # Several case changes in one token is an identifier or a brand: getElementById.
    for cut in boundaries if len(boundaries) == 1 else []:
        decision = _case_decision(core, cut, lang, lexicon, spaced, camel)
        if decision:
            found.append((cut, decision))
    for match in PUNCT_BOUNDARY.finditer(core):
        decision = _punct_decision(core, match.start(), match.group(1), lang)
        if decision:
            found.append((match.end(), decision))
    return sorted(found, key=lambda item: item[0])


def repair_line(line: str, lang: str, spaced_counts: dict, camel_counts: dict) -> tuple[str, list[tuple]]:
    """The repaired line and its changes: (kind, reason, glued token, token as repaired)."""
    lexicon = load_lexicon(lang)
    changes = []
    pieces = []
    last = 0
    for token_match in regex.finditer(r"\S+", line):
        token = token_match.group()
        core = token.strip(OUTER)
        if not core or SKIP_TOKEN.search(core):
            continue
        offset = token_match.start() + token.index(core)
        candidates = _token_candidates(core, lang, lexicon, spaced_counts, camel_counts)
        repaired = core
        for position, decision in reversed(candidates):
            split = core[:position] + " " + core[position:]
            if decision.repair:
                repaired = repaired[:position] + " " + repaired[position:]
                changes.append((EditKind.JOIN_REPAIRED, decision.reason, core, split))
            else:
                changes.append((EditKind.JOIN_FLAGGED, decision.reason, core, split))
        if repaired != core:
            pieces.append(line[last:offset])
            pieces.append(repaired)
            last = offset + len(core)
    pieces.append(line[last:])
    return "".join(pieces), changes


def _corpus_counts(lines: pl.DataFrame, candidate_lines: pl.DataFrame) -> tuple[dict, dict]:
    """How often each glued token, and its spaced form, occur in the whole corpus."""
    camel_tokens = (
        candidate_lines.select(pl.col("line").str.extract_all(r"\p{L}+\p{Ll}{2}\p{Lu}\p{Ll}+"))
        .explode("line")
        .drop_nulls()["line"]
        .unique()
        .to_list()
    )
    if not camel_tokens:
        return {}, {}
    spaced_forms = sorted({regex.sub(r"(?<=\p{Ll}{2})(?=\p{Lu}\p{Ll})", " ", t) for t in camel_tokens})
    patterns = sorted(set(camel_tokens) | set(spaced_forms), key=lambda p: (-len(p), p))
    # Whole words only: "Data Gene" must not count inside "Data General".
    whole_words = r"\b(?:" + "|".join(pl.escape_regex(p) for p in patterns) + r")\b"
    counts = (
        lines.select(pl.col("line").str.extract_all(whole_words)).explode("line").drop_nulls()["line"].value_counts()
    )
    table = dict(counts.iter_rows())
    spaced = {form: table.get(form, 0) for form in spaced_forms}
    camel = {token: table.get(token, 0) for token in camel_tokens}
    return spaced, camel


def repair_joins(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Repair joins in a line table (``_doc, line_no, line, lang``); returns the changed
    lines (``_doc, line_no, line``) and the edits (``join_repaired``, ``join_flagged``)."""
    candidates = lines.filter(pl.col("line").str.contains(MAY_HAVE_JOIN))
    if candidates.is_empty():
        return candidates.select(DOC, "line_no", "line"), pl.DataFrame(schema=EDITS)
    spaced, camel = _corpus_counts(lines, candidates)
    changed: list[tuple[int, int, str]] = []
    edits: list[tuple] = []
    for doc, line_no, line, lang in candidates.select(DOC, "line_no", "line", "lang").iter_rows():
        repaired, changes = repair_line(line, (lang or "en").split("-")[0], spaced, camel)
        if repaired != line:
            changed.append((doc, line_no, repaired))
        edits.extend((doc, line_no, kind, f"join.{reason}", before, after) for kind, reason, before, after in changes)
    return (
        pl.DataFrame(changed, schema={DOC: pl.Int64, "line_no": pl.Int32, "line": pl.String}, orient="row"),
        as_edits(edits),
    )
