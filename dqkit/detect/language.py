"""Document language: a detector's guess, trusted only on the text's own evidence.

The detector (:mod:`dqkit.detect.langid`) reads the first ``prefix_chars`` characters of
the *cleaned* text (boilerplate gone), cut at a word boundary. Its guess is **trusted**
only when the prefix gives enough to go on:

* at least :data:`MIN_TRUSTED_LETTERS` letters, and letters make up at least
  :data:`MIN_LETTER_SHARE` of the characters that are not white space (earnings tables,
  price lists and score lines do not: detectors are confidently wrong on them);
* a clear winner: the detector's probability is at least :data:`MIN_SCORE`;
* the function words agree: the guessed language's common words (:func:`common_words`:
  its lexicon's function words, else wordfreq's most frequent words) fit the text at
  least as well as any lexicon's function words (:func:`function_word_fits`; Portuguese
  prose has Spanish function words, but more Portuguese ones); a guess with no word list
  at all is not trusted on a text that one of the lexicons clearly fits (:data:`CLEAR_FIT`).

An untrusted guess is kept as a guess, but it never undoes another language's rules,
and the corpus prior (:mod:`dqkit.detect.language_prior`) may settle it.

>>> texts = ["Die Regierung hat am Montag in Berlin neue Zahlen zur Lage der Wirtschaft veröffentlicht, "
...          "die deutlich besser ausfallen als erwartet.",
...          "Shr 10 cts vs 12 cts Net 1,234,000 vs 987,000 Revs 12.5 mln vs 11.0 mln", ""]
>>> found = identify(texts, "fasttext+py3langid")
>>> found.select("lang", "trusted").rows()
[('de', True), ('en', False), ('und', False)]
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import polars as pl

from dqkit.detect.langid import UNDETERMINED, get_detector, letter_counts, script_of
from dqkit.normalize.lexicon import lexicon_languages, load_lexicon

DEFAULT_PREFIX_CHARS = 600
# Detectors are confidently wrong on short text: langdetect's Reuters misfires have a median
# of 67 letters in their prefix, its right answers 409 (a survey of detectors for issue 14).
MIN_TRUSTED_LETTERS = 100
MIN_LETTER_SHARE = 0.6
MIN_SCORE = 0.8
# A lexicon language whose function words make up a fifth of the words fits the text: prose
# in a lexicon language scores 0.30-0.37 (median, Leipzig sentences), other languages
# mostly under 0.15 (Spanish on Catalan text: 0.23, on Portuguese 0.17).
CLEAR_FIT = 0.2
FREQUENT_WORDS = 50  # a language without a lexicon: wordfreq's most frequent words stand in for its function words
MIN_SCRIPT_SHARE = 0.5
WORD = r"[^\W\d_]+"


def prefix(text: str, limit: int) -> str:
    """The first ``limit`` characters of ``text``, cut at a space in its second half.

    >>> prefix("one two three", 9)
    'one two'
    """
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit]


@functools.lru_cache(maxsize=1)
def _function_words() -> dict[str, list[str]]:
    return {lang: sorted(load_lexicon(lang).function_words) for lang in lexicon_languages()}


def function_word_fits(texts: pl.Series) -> pl.DataFrame:
    """Per text, per lexicon language: the share of its words that are that language's
    function words (one column per language, in :func:`lexicon_languages` order).

    >>> function_word_fits(pl.Series(["the cat and the dog", "der Hund und die Katze"])).select("de", "en").rows()
    [(0.0, 0.6), (0.6, 0.0)]
    """
    words = pl.DataFrame({"words": texts.str.to_lowercase().str.extract_all(WORD)})
    total = pl.col("words").list.len().clip(lower_bound=1)
    return words.select(
        (pl.col("words").list.eval(pl.element().is_in(function_words)).list.sum() / total).cast(pl.Float64).alias(lang)
        for lang, function_words in _function_words().items()
    )


# Scripts written without spaces between words: a word list cannot be counted on them.
_UNSPACED = {script_of("zh"), script_of("ja"), script_of("th")}


@functools.lru_cache(maxsize=256)
def common_words(lang: str) -> tuple[str, ...] | None:
    """The words whose share says how well ``lang`` fits a text: its lexicon's function
    words; for a language without a lexicon, wordfreq's :data:`FREQUENT_WORDS` most frequent
    words where wordfreq has a list of the language's own (it answers for Swahili with
    English otherwise) and the language puts spaces between words; else None.

    >>> common_words("pt")[:4], common_words("zh"), common_words("sw")
    (('de', 'a', 'o', 'que'), None, None)
    """
    if lang in lexicon_languages():
        return tuple(sorted(load_lexicon(lang).function_words))
    if script_of(lang) in _UNSPACED:
        return None
    from wordfreq import available_languages, top_n_list

    own = {"no": "nb"}.get(lang, lang)  # Norwegian: wordfreq has Bokmål
    return tuple(top_n_list(own, FREQUENT_WORDS)) if own in available_languages() else None


def own_fits(texts: pl.Series, langs: pl.Series) -> pl.Series:
    """Per text, the share of its words that are :func:`common_words` of its language in
    ``langs`` (null where that language has no word list).

    >>> own_fits(pl.Series(["o gato e o cão", "the cat"]), pl.Series(["pt", "sw"])).to_list()
    [0.6, None]
    """
    return word_list_fits(texts.str.to_lowercase().str.extract_all(WORD), langs)


def word_list_fits(words: pl.Series, langs: pl.Series) -> pl.Series:
    """:func:`own_fits` of texts already cut into lower-case words (a list per text). The
    shares of each language's texts are written into place (joining them back by row costs a
    quarter of the function)."""
    base = langs.cast(pl.String).str.split("-").list.first()
    fits = pl.repeat(None, words.len(), dtype=pl.Float64, eager=True).alias("fit")
    for lang in base.drop_nulls().unique().sort().to_list():
        common = common_words(lang)
        if common is None:
            continue
        at = (base == lang).arg_true()
        tokens = words.gather(at)
        share = tokens.list.eval(pl.element().is_in(list(common))).list.sum() / tokens.list.len().clip(lower_bound=1)
        fits.scatter(at, share.cast(pl.Float64))
    return fits


def fit_of(fits: pl.DataFrame, lang: pl.Expr) -> pl.Expr:
    """Per row of ``fits``, the column of the lexicon language in ``lang`` (null for another)."""
    chosen = pl.lit(None, dtype=pl.Float64)
    for name in fits.columns:
        chosen = pl.when(lang == name).then(pl.col(name)).otherwise(chosen)
    return chosen


def agreement(fits: pl.DataFrame, lang: pl.Expr, own: pl.Expr) -> pl.Expr:
    """Whether the function words agree with the language in ``lang``, whose own fit is
    ``own`` (:func:`own_fits`; see the module)."""
    best_other = pl.lit(0.0)
    for name in fits.columns:
        best_other = pl.max_horizontal(best_other, pl.when(lang == name).then(0.0).otherwise(pl.col(name)))
    return pl.when(own.is_not_null()).then((own > 0) & (own >= best_other)).otherwise(best_other < CLEAR_FIT)


def weigh(guesses: pl.DataFrame) -> pl.DataFrame:
    """``guesses`` (``prefix, lang, lang_score``) with ``trusted`` added (see the module)."""
    text = pl.col("prefix")
    letters, visible = letter_counts(text)
    lang = pl.col("lang").str.split("-").list.first()
    enough = guesses.select(
        (pl.col("lang") != UNDETERMINED)
        & (letters >= MIN_TRUSTED_LETTERS)
        & (letters >= MIN_LETTER_SHARE * visible)
        & (pl.col("lang_score") >= MIN_SCORE)
    ).to_series()
    fits = function_word_fits(guesses["prefix"])
    # A lexicon language's fit is a column of ``fits``; another's is counted, and only where
    # the rest of the evidence holds (a table guessed Indonesian needs no word list).
    base = guesses.select(lang).to_series()
    counted = base.zip_with(enough & ~base.is_in(fits.columns), pl.Series([None] * guesses.height, dtype=pl.String))
    frame = pl.concat(
        [fits, pl.DataFrame({"_lang": base, "_counted": own_fits(guesses["prefix"], counted)})], how="horizontal"
    )
    own = pl.coalesce(fit_of(fits, pl.col("_lang")), pl.col("_counted"))
    return guesses.with_columns(
        (enough & frame.select(agreement(fits, pl.col("_lang"), own)).to_series()).alias("trusted")
    )


def identify(texts: Sequence[str], detector: str, prefix_chars: int = DEFAULT_PREFIX_CHARS) -> pl.DataFrame:
    """Per text: ``lang`` (a code as the detector spells it, or ``und``), ``lang_score``
    (the detector's probability of it) and ``trusted``."""
    prefixes = [prefix(text, prefix_chars) for text in texts]
    found = get_detector(detector).detect(prefixes)
    guesses = pl.DataFrame(
        {"prefix": prefixes, "lang": [lang for lang, _ in found], "lang_score": [score for _, score in found]},
        schema={"prefix": pl.String, "lang": pl.String, "lang_score": pl.Float64},
    )
    return weigh(guesses).drop("prefix")


def prior_fits(texts: pl.Series, guesses: pl.Series, priors: pl.Series) -> pl.Series:
    """Per text: whether the prior language fits it at least as well as the detector's
    guess: its common words fit at least as well (:func:`own_fits`; 0 for a language
    without a word list), and at least half the text's letters are in the prior's
    script (a Chinese stub in an English file is no English text, though neither has
    English function words).

    >>> texts = pl.Series(["Shr 10 cts vs 12 cts", "北京市政府今天宣布", "Die Wahl ist am Sonntag."])
    >>> prior_fits(texts, pl.Series(["id", "zh", "de"]), pl.Series(["en", "en", "en"])).to_list()
    [True, False, False]
    """
    frame = pl.DataFrame(
        {
            "text": texts,
            "prior": priors,
            "_prior_fit": own_fits(texts, priors).fill_null(0.0),
            "_guess_fit": own_fits(texts, guesses).fill_null(0.0),
        }
    )
    letters, _ = letter_counts(pl.col("text"))
    scripts = {lang: script_of(lang) for lang in priors.drop_nulls().unique().to_list()}
    in_script = pl.lit(False)
    for script in sorted(set(scripts.values())):
        written = pl.col("prior").is_in([lang for lang, s in scripts.items() if s == script])
        share = pl.col("text").str.count_matches(script) / letters.clip(lower_bound=1)
        in_script = pl.when(written).then(share >= MIN_SCRIPT_SHARE).otherwise(in_script)
    return frame.select(((pl.col("_prior_fit") >= pl.col("_guess_fit")) & in_script).alias("fits")).to_series()


def speaks_for(lines: pl.DataFrame, detector: str) -> pl.Series:
    """Per row of ``lines`` (``line``; ``lang``, the document's language; ``rule_langs``, the
    languages of a rule that hit the line): whether the line's own evidence points to one
    of the rule's languages rather than the document's. It does when the detector names one
    of them for the line, or when one of their lexicons fits the line better than the
    document language's common words (a German menu line on a French page; a French sentence that a
    German pattern happens to match does not).

    >>> lines = pl.DataFrame({"line": ["Startseite | Impressum | Kontakt | Datenschutz", "Photos : la mer et le ciel"],
    ...                       "lang": ["fr", "fr"], "rule_langs": [["de"], ["de"]]})
    >>> speaks_for(lines, "langdetect").to_list()
    [True, False]
    """
    found = get_detector(detector).detect([prefix(line, DEFAULT_PREFIX_CHARS) for line in lines["line"]])
    named = pl.Series([lang.split("-")[0] for lang, _ in found], dtype=pl.String)
    fits = function_word_fits(lines["line"])
    rule_fit = pl.lit(0.0)
    for name in fits.columns:
        rule_fit = pl.max_horizontal(rule_fit, pl.when(pl.col("rule_langs").list.contains(name)).then(pl.col(name)))
    doc_fit = own_fits(lines["line"], lines["lang"]).fill_null(0.0).alias("_doc_fit")
    frame = pl.concat([lines.select("rule_langs").with_columns(named.alias("_named"), doc_fit), fits], how="horizontal")
    return frame.select(
        (pl.col("rule_langs").list.contains(pl.col("_named")) | (rule_fit > pl.col("_doc_fit"))).alias("speaks")
    )["speaks"]


LANG_CODE = r"^([a-z]{2,3})"


def given_language(docs: pl.DataFrame, field: str) -> pl.Expr:
    """The language ``docs`` give in ``field`` as a 2-3 letter code (``pt-BR`` -> ``pt``;
    null where the field is missing or holds no code).

    >>> docs = pl.DataFrame({"lang": ["pt-BR", " DE", "?"]})
    >>> docs.select(given_language(docs, "lang"))["lang"].to_list()
    ['pt', 'de', None]
    """
    if field not in docs.columns:
        return pl.lit(None, dtype=pl.String)
    return pl.col(field).cast(pl.String).str.strip_chars().str.to_lowercase().str.extract(LANG_CODE + r"(?:[-_].*)?$")
