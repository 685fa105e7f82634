"""What the boilerplate classifier sees of a line: numbers about the line itself, about its
place in the document, and (in a second pass) about its neighbours.

Every feature is a polars expression over the line table of the kept lines (one row per
non-blank line, in document order), so a corpus is scored in a few passes over columns.
The fitting script (``benchmarks/fit_boilerplate.py``) and the stage use these very
functions: what is fitted is what runs.

>>> import polars as pl
>>> lines = pl.DataFrame({"_doc": [0, 0, 0], "line_no": [1, 2, 3],
...                       "line": ["Home | News | Kontakt", "Der Hund und die Katze sind im Garten.", "© 2024"],
...                       "lang": ["de"] * 3}, schema_overrides={"line_no": pl.Int32})
>>> own = own_features(lines, {})
>>> own.select("fw_share", "ends_sentence", "separators").rows()
[(0.0, 0.0, 2.0), (0.5, 1.0, 0.0), (0.0, 0.0, 0.0)]
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
import xxhash

from dqkit.detect.doc_windows import (
    cum_sum,
    doc_lines,
    doc_sum,
    last_where,
    next_where,
    position,
    run_length,
    shifted,
    window,
)
from dqkit.detect.langid import UNDETERMINED
from dqkit.detect.language import WORD, common_words, function_word_fits, word_list_fits
from dqkit.frames import DOC

#: Features of the line alone and of its position (first pass).
OWN = (
    "chars_log",
    "words_log",
    "fw_share",
    "fw_log",
    "ends_sentence",
    "ends_colon",
    "capitalised",
    "digits",
    "symbols",
    "separators",
    "url_like",
    "mean_word",
    "bullet",
    "from_top",
    "from_bottom",
    "relative",
    "lexical",
)
#: Features of the line's neighbourhood, from the first pass's scores (second pass).
CONTEXT = (
    "prev_score",
    "next_score",
    "window_max",
    "window_mean",
    "prose_above",
    "prose_below",
    "gap_log",
    "low_run_log",
    "short_run_log",
)
SEPARATORS = r"[|»«·•›‹>/\\]|\s[-–—]\s"
URL = r"(?i)https?://|www\.|\b[\w.-]+@[\w-]+\.\w|\.(?:com|de|org|net|html?|php)\b"
SENTENCE_END = r"[.!?…][\"'»«“”’)\]]*$"
BULLET = r"^[-–—•*·>»▪►■□◦✓✔]"
CAPITALISED = r"(?:^|[\W\d_])\p{Lu}"  # a word (see WORD) that starts with a capital


def _share(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return (part / whole.clip(lower_bound=1)).cast(pl.Float64)


def own_features(lines: pl.DataFrame, word_weights: Mapping[int, float]) -> pl.DataFrame:
    """``lines`` (``_doc, line_no, line, lang``; non-blank lines, each document's together
    and in order) with the :data:`OWN` feature columns added; ``word_weights`` are the
    lexical evidence of each word bucket (:func:`lexical_evidence`). The words are cut once
    (lower-cased, as the function-word lists and the word buckets are)."""
    words = lower_words(lines)
    featured = lines.with_columns(
        pl.col("line").str.strip_chars().alias("_text"),
        word_list_fits(words, lines["lang"]).fill_null(0.0).alias("fw_share"),
        words.list.len().alias("_words"),
        words.list.eval(pl.element().str.len_chars()).list.sum().alias("_letters"),  # joining them costs 5×
        lexical_evidence(words, word_weights).alias("lexical"),
    )
    text = pl.col("_text")
    chars = text.str.len_chars()
    rank = position()
    total = doc_lines()
    return featured.with_columns(
        chars.log1p().alias("chars_log"),
        pl.col("_words").log1p().alias("words_log"),
        (pl.col("fw_share") * pl.col("_words")).log1p().alias("fw_log"),
        text.str.contains(SENTENCE_END).cast(pl.Float64).alias("ends_sentence"),
        text.str.ends_with(":").cast(pl.Float64).alias("ends_colon"),
        _share(text.str.count_matches(CAPITALISED), pl.col("_words")).alias("capitalised"),
        _share(text.str.count_matches(r"\d"), chars).alias("digits"),
        _share(text.str.count_matches(r"[^\p{L}\p{N}\s]"), chars).alias("symbols"),
        text.str.count_matches(SEPARATORS).clip(upper_bound=5).cast(pl.Float64).alias("separators"),
        text.str.contains(URL).cast(pl.Float64).alias("url_like"),
        _share(pl.col("_letters"), pl.col("_words")).clip(upper_bound=15).alias("mean_word"),
        text.str.contains(BULLET).cast(pl.Float64).alias("bullet"),
        rank.log1p().cast(pl.Float64).alias("from_top"),
        (total - rank - 1).log1p().cast(pl.Float64).alias("from_bottom"),
        _share(rank, total - 1).alias("relative"),
    ).drop("_text", "_letters")


WORD_BUCKETS = 2**18
MAX_LEXICAL_WORDS = 12  # longer lines are judged by their shape, not their words


def word_buckets(words: pl.Series) -> pl.Series:
    """A stable bucket for each word (xxhash, seed 0), so that a model stores numbers, not words.

    >>> word_buckets(pl.Series(["mehr", "lesen"])).to_list()
    [152319, 209960]
    """
    return pl.Series([xxhash.xxh64_intdigest(w.encode()) % WORD_BUCKETS for w in words.to_list()], dtype=pl.Int64)


def lower_words(lines: pl.DataFrame) -> pl.Series:
    """The lower-cased words of each line of ``lines``, as the features cut them."""
    return lines["line"].str.to_lowercase().str.extract_all(WORD)


def short_lines(words: pl.Series) -> pl.Series:
    """Which lines (``words``: :func:`lower_words`) are judged by their words: 1 to :data:`MAX_LEXICAL_WORDS`."""
    return words.list.len().is_between(1, MAX_LEXICAL_WORDS)


def line_words(words: pl.Series) -> pl.DataFrame:
    """``_row, word``: the words of each short line (``words``: :func:`lower_words`; row number in it)."""
    table = pl.DataFrame({"_row": pl.int_range(words.len(), eager=True), "word": words})
    return table.filter(short_lines(words)).explode("word")


def lexical_evidence(words: pl.Series, word_weights: Mapping[int, float]) -> pl.Series:
    """Per line (``words``: :func:`lower_words`): the mean weight of its words' buckets (0 for a
    long line and for words the model has no weight for). The weights are log-odds of content
    against chrome, fitted on labelled lines (``benchmarks/fit_boilerplate.py``). Each distinct
    word is hashed once, and the short lines' lists are mapped in place: joining every word to
    its weight and grouping them back by line cost a third more."""
    short = short_lines(words)
    lists = words.filter(short)
    distinct = lists.list.explode().unique(maintain_order=True)  # a third faster than unordered (26 against 40 ms)
    table = pl.DataFrame(
        {"bucket": list(word_weights), "weight": list(word_weights.values())},
        schema={"bucket": pl.Int64, "weight": pl.Float64},
    )
    weighted = pl.DataFrame({"word": distinct, "bucket": word_buckets(distinct)}).join(table, on="bucket")
    weight = pl.element().replace_strict(weighted["word"], weighted["weight"], default=0.0, return_dtype=pl.Float64)
    means = lists.list.eval(weight).list.mean()
    return pl.zeros(words.len(), dtype=pl.Float64, eager=True).scatter(short.arg_true(), means)


def context_features(lines: pl.DataFrame, score: str = "_score0", prose: float = 0.5) -> pl.DataFrame:
    """``lines`` (with the first pass's probability in ``score``; each document's lines
    together and in order) with the :data:`CONTEXT` columns: the neighbours' scores, the
    best and mean score within two and five lines, the share of the document's prose
    characters above and below the line (0 above: it comes before all the prose), and how
    many lines away the nearest prose line is. (The prose characters are summed in a step of
    their own: inside the shares, each sum was computed twice.)"""
    s = pl.col(score)
    is_prose = s >= prose
    lines = lines.with_columns(
        pl.when(is_prose).then(pl.col("line").str.len_chars()).otherwise(0).cast(pl.Float64).alias("_prose_chars")
    )
    prose_chars, up_to, in_doc = pl.col("_prose_chars"), pl.col("_up_to"), pl.col("_in_doc")
    lines = lines.with_columns(cum_sum(prose_chars).alias("_up_to"), doc_sum(prose_chars).alias("_in_doc"))
    total = in_doc.clip(lower_bound=1)
    near = window(s, 5, 5)
    at = position()
    gap = pl.min_horizontal(at - last_where(is_prose), next_where(is_prose) - at)
    return lines.with_columns(
        shifted(s, 1).fill_null(0.0).alias("prev_score"),
        shifted(s, -1).fill_null(0.0).alias("next_score"),
        pl.max_horizontal(near[3:8]).alias("window_max"),
        (pl.sum_horizontal(near) / pl.sum_horizontal(value.is_not_null() for value in near)).alias("window_mean"),
        ((up_to - prose_chars) / total).alias("prose_above"),
        ((in_doc - up_to) / total).alias("prose_below"),
        gap.fill_null(50).clip(upper_bound=50).log1p().cast(pl.Float64).alias("gap_log"),
        run_length(~is_prose).log1p().cast(pl.Float64).alias("low_run_log"),
        run_length(pl.col("_words") <= SHORT_WORDS).log1p().cast(pl.Float64).alias("short_run_log"),
    ).drop("_prose_chars", "_up_to", "_in_doc")


SHORT_WORDS = 6


def has_word_list(lang: str | None) -> bool:
    """Whether function-word shares can be counted for ``lang`` (a lexicon or wordfreq list)."""
    return lang not in (None, UNDETERMINED) and common_words(lang.split("-")[0]) is not None


MIN_FUNCTION_SHARE = 0.15  # a document without a language: its lexicon language must be this clear
FIT_PREFIX_CHARS = 600  # enough words to tell which function words a text uses


def word_languages(docs: pl.DataFrame) -> pl.DataFrame:
    """``docs`` (``_doc, text, lang``) with ``lang`` the language whose function words the
    features count: the document's own where it has a word list; for a document without a
    language (``--no-langid``, ``und``), the lexicon language whose function words make up at
    least :data:`MIN_FUNCTION_SHARE` of its words, the most of them; else null (not scored).
    ``_lang_was`` keeps the document's language (base code; ``und`` for none).

    >>> docs = pl.DataFrame({"_doc": [0, 1], "text": ["the cat and the dog", "xq zv"], "lang": [None, None]},
    ...                     schema_overrides={"lang": pl.String})
    >>> word_languages(docs).select("lang", "_lang_was").rows()
    [('en', 'und'), (None, 'und')]
    """
    base = pl.col("lang").fill_null(UNDETERMINED).str.split("-").list.first()
    docs = docs.with_columns(base.alias("_lang_was"))
    readable = [lang for lang in docs["_lang_was"].unique().sort().to_list() if has_word_list(lang)]
    unknown = docs.filter(~pl.col("_lang_was").is_in(readable))
    fits = function_word_fits(unknown["text"].str.slice(0, FIT_PREFIX_CHARS))
    best = fits.select(
        pl.concat_list(pl.all()).list.arg_max().alias("_best"), pl.max_horizontal(pl.all()).alias("_share")
    )
    guess = (
        pl.when(pl.col("_share") >= MIN_FUNCTION_SHARE)
        .then(pl.col("_best").replace_strict(dict(enumerate(fits.columns)), return_dtype=pl.String))
        .alias("_guess")
    )
    guessed = pl.concat([unknown.select(DOC), best], how="horizontal").select(DOC, guess)
    return (
        docs.join(guessed, on=DOC, how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("_lang_was").is_in(readable)).then(pl.col("_lang_was")).otherwise("_guess").alias("lang")
        )
        .drop("_guess")
    )
