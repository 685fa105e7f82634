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

from dqkit.detect.langid import UNDETERMINED
from dqkit.detect.language import WORD, common_words, function_word_fits, own_fits
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


def _share(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return (part / whole.clip(lower_bound=1)).cast(pl.Float64)


def own_features(lines: pl.DataFrame, word_weights: Mapping[int, float]) -> pl.DataFrame:
    """``lines`` (``_doc, line_no, line, lang``; non-blank lines, sorted by document and
    line) with the :data:`OWN` feature columns added; ``word_weights`` are the lexical
    evidence of each word bucket (:func:`lexical_evidence`)."""
    text = pl.col("line").str.strip_chars()
    words = text.str.extract_all(WORD)
    n_words = words.list.len()
    chars = text.str.len_chars()
    fw = own_fits(lines["line"], lines["lang"]).fill_null(0.0)
    rank = pl.int_range(pl.len()).over(DOC)
    total = pl.len().over(DOC)
    return lines.with_columns(fw.alias("fw_share"), n_words.alias("_words")).with_columns(
        chars.log1p().alias("chars_log"),
        pl.col("_words").log1p().alias("words_log"),
        (pl.col("fw_share") * pl.col("_words")).log1p().alias("fw_log"),
        text.str.contains(SENTENCE_END).cast(pl.Float64).alias("ends_sentence"),
        text.str.ends_with(":").cast(pl.Float64).alias("ends_colon"),
        _share(words.list.eval(pl.element().str.contains(r"^\p{Lu}")).list.sum(), pl.col("_words")).alias(
            "capitalised"
        ),
        _share(text.str.count_matches(r"\d"), chars).alias("digits"),
        _share(text.str.count_matches(r"[^\p{L}\p{N}\s]"), chars).alias("symbols"),
        text.str.count_matches(SEPARATORS).clip(upper_bound=5).cast(pl.Float64).alias("separators"),
        text.str.contains(URL).cast(pl.Float64).alias("url_like"),
        _share(words.list.eval(pl.element().str.len_chars()).list.sum(), pl.col("_words"))
        .clip(upper_bound=15)
        .alias("mean_word"),
        text.str.contains(BULLET).cast(pl.Float64).alias("bullet"),
        rank.log1p().cast(pl.Float64).alias("from_top"),
        (total - rank - 1).log1p().cast(pl.Float64).alias("from_bottom"),
        _share(rank, total - 1).alias("relative"),
        lexical_evidence(lines, word_weights).alias("lexical"),
    )


WORD_BUCKETS = 2**18
MAX_LEXICAL_WORDS = 12  # longer lines are judged by their shape, not their words


def word_buckets(words: pl.Series) -> pl.Series:
    """A stable bucket for each word (xxhash, seed 0), so that a model stores numbers, not words.

    >>> word_buckets(pl.Series(["mehr", "lesen"])).to_list()
    [152319, 209960]
    """
    return pl.Series([xxhash.xxh64_intdigest(w.encode()) % WORD_BUCKETS for w in words.to_list()], dtype=pl.Int64)


def line_words(lines: pl.DataFrame) -> pl.DataFrame:
    """``_row, word``: the lower-cased words of each short line (row number in ``lines``)."""
    text = pl.col("line").str.to_lowercase().str.extract_all(WORD)
    words = lines.select(pl.int_range(pl.len()).alias("_row"), text.alias("word"))
    return words.filter(pl.col("word").list.len().is_between(1, MAX_LEXICAL_WORDS)).explode("word")


def lexical_evidence(lines: pl.DataFrame, word_weights: Mapping[int, float]) -> pl.Series:
    """Per line of ``lines``: the mean weight of its words' buckets (0 for a long line and
    for words the model has no weight for). The weights are log-odds of content against
    chrome, fitted on labelled lines (``benchmarks/fit_boilerplate.py``)."""
    words = line_words(lines)
    unique = words.select(pl.col("word").unique())
    table = pl.DataFrame(
        {"bucket": list(word_weights), "weight": list(word_weights.values())},
        schema={"bucket": pl.Int64, "weight": pl.Float64},
    )
    weighted = (
        unique.with_columns(word_buckets(unique["word"]).alias("bucket"))
        .join(table, on="bucket", how="left")
        .select("word", pl.col("weight").fill_null(0.0))
    )
    per_row = words.join(weighted, on="word", how="left").group_by("_row").agg(pl.col("weight").mean())
    rows = pl.DataFrame({"_row": pl.int_range(lines.height, eager=True)})
    return rows.join(per_row, on="_row", how="left", maintain_order="left")["weight"].fill_null(0.0)


def context_features(lines: pl.DataFrame, score: str = "_score0", prose: float = 0.5) -> pl.DataFrame:
    """``lines`` (with the first pass's probability in ``score``) with the :data:`CONTEXT`
    columns: the neighbours' scores, the best and mean score within two and five lines,
    the share of the document's prose characters above and below the line (0 above: it
    comes before all the prose), and how many lines away the nearest prose line is."""
    s = pl.col(score)
    is_prose = s >= prose
    prose_chars = pl.when(is_prose).then(pl.col("line").str.len_chars()).otherwise(0).cast(pl.Float64)
    total = prose_chars.sum().over(DOC).clip(lower_bound=1)
    position = pl.int_range(pl.len()).over(DOC)
    prose_at = pl.when(is_prose).then(position)
    return (
        lines.with_columns(
            s.shift(1).over(DOC).fill_null(0.0).alias("prev_score"),
            s.shift(-1).over(DOC).fill_null(0.0).alias("next_score"),
            s.rolling_max(5, min_samples=1, center=True).over(DOC).alias("window_max"),
            s.rolling_mean(11, min_samples=1, center=True).over(DOC).alias("window_mean"),
            ((prose_chars.cum_sum().over(DOC) - prose_chars) / total).alias("prose_above"),
            (prose_chars.cum_sum(reverse=True).over(DOC) - prose_chars).truediv(total).alias("prose_below"),
            prose_at.forward_fill().over(DOC).alias("_prose_before"),
            prose_at.backward_fill().over(DOC).alias("_prose_after"),
            position.alias("_position"),
        )
        .with_columns(
            pl.min_horizontal(
                pl.col("_position") - pl.col("_prose_before"), pl.col("_prose_after") - pl.col("_position")
            )
            .fill_null(50)
            .clip(upper_bound=50)
            .log1p()
            .cast(pl.Float64)
            .alias("gap_log")
        )
        .drop("_prose_before", "_prose_after", "_position")
        .with_columns(
            _run_length(~is_prose).alias("low_run_log"),
            _run_length(pl.col("_words") <= SHORT_WORDS).alias("short_run_log"),
        )
    )


SHORT_WORDS = 6


def _run_length(member: pl.Expr) -> pl.Expr:
    """log(1 + length of the run of consecutive lines with ``member`` that holds the line), 0 outside one."""
    run = (member != member.shift(1)).fill_null(True).cum_sum()
    return pl.when(member).then(pl.len().over(DOC, run.over(DOC))).otherwise(0).log1p().cast(pl.Float64)


def has_word_list(lang: str | None) -> bool:
    """Whether function-word shares can be counted for ``lang`` (a lexicon or wordfreq list)."""
    return lang not in (None, UNDETERMINED) and common_words(lang.split("-")[0]) is not None


MIN_FUNCTION_SHARE = 0.15  # a document without a language: its lexicon language must be this clear
FIT_PREFIX_CHARS = 2000


def word_languages(docs: pl.DataFrame) -> pl.DataFrame:
    """``docs`` (``_doc, text, lang``) with ``lang`` the language whose function words the
    features count: the document's own where it has a word list; for a document without a
    language (``--no-langid``, ``und``), the lexicon language whose function words make up at
    least :data:`MIN_FUNCTION_SHARE` of its words, the most of them; else null (not scored).
    ``_lang_was`` keeps the document's language for the counters."""
    base = pl.col("lang").fill_null("und").str.split("-").list.first()
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
