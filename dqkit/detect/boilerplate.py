"""The boilerplate line classifier: a probability that a line is content, and the decision.

Two logistic regressions over :mod:`dqkit.detect.line_features`: the first scores each line
on its own features and its position; the second adds its neighbours' first scores (the
context jusText's smoothing gives). The weights, the scaling and the thresholds of each mode
are numbers in ``dqkit/data/boilerplate.json``, fitted by ``benchmarks/fit_boilerplate.py``
on the fitting half of the developer pages (no text of them is stored).

The decision per document (:func:`decide`): a line goes when its probability is below the
mode's threshold, and so does a line that is not prose inside a run of such lines (both
neighbours go: the smoothing). These stay all the same:

- a *table row*: a line with a figure, or laid out in columns, in a run of at least three
  such lines (a label without a figure between two of them does not cut the run), and the
  line right above such a run (its heading);
- a line of a *hard-wrapped paragraph*: it goes on with the sentence of the line above, or
  the line below goes on with its own (see :func:`_wrapped`), as in newswire;
- a *lone line between prose*: a single line whose nearest lines above and below are both
  prose (a subheading, a quote attribution);
- every line of a document in which no line is content: the classifier cannot tell its
  content from its chrome there, so it leaves the document to the rules.

>>> import polars as pl
>>> text = ["Home", "News", "Sport", "Contact",
...     "The council said on Monday that it would close the old bridge to traffic for the whole of the summer.",
...     "Repairs",
...     "Work on the piers is expected to take until the end of August. The bridge will reopen in the autumn, "
...     "when the council hopes that the traffic in the town centre will be lighter than it was in the spring.",
...     "Share on Facebook", "Share on Twitter", "Privacy policy"]
>>> lines = pl.DataFrame({"_doc": [0] * 10, "line_no": range(1, 11), "lang": ["en"] * 10, "line": text},
...                      schema_overrides={"line_no": pl.Int32})
>>> model = load_model()
>>> decided = decide(score_lines(lines, model), model.threshold("conservative"), model.prose)
>>> [line for line, chrome in decided.select("line", "_chrome").rows() if chrome]
['Home', 'News', 'Sport', 'Contact', 'Share on Facebook', 'Share on Twitter', 'Privacy policy']
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

import polars as pl

from dqkit.detect.doc_windows import doc_any, doc_sum, run_length, shifted
from dqkit.detect.line_features import context_features, own_features
from dqkit.frames import DOC

SCORE = "boilerplate_score"  # the probability that the line is content
MODES = ("rules", "conservative", "aggressive")
DEFAULT_MODE = "conservative"
TABLE_ROW = r"\d"  # a line with a figure ...
COLUMNS = r"\S {2,}\S.* {2,}\S"  # ... or laid out in columns (a table's header)
MIN_TABLE_RUN = 3
#: Raised whenever the features or the decision change, so that reports see a new definition.
DECISION_VERSION = 3


@dataclass(frozen=True)
class Regression:
    """A logistic regression over named features, with the scaling it was fitted with."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def probability(self) -> pl.Expr:
        logit = pl.lit(self.bias)
        for name, mean, scale, weight in zip(self.features, self.mean, self.scale, self.weights, strict=True):
            logit = logit + weight * (pl.col(name) - mean) / scale
        return 1.0 / (1.0 + (-logit).exp())

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "weights": list(self.weights),
            "bias": self.bias,
        }

    @classmethod
    def from_json(cls, data: dict) -> Regression:
        return cls(
            tuple(data["features"]),
            tuple(data["mean"]),
            tuple(data["scale"]),
            tuple(data["weights"]),
            float(data["bias"]),
        )


@dataclass(frozen=True)
class BoilerplateModel:
    first: Regression  # own features
    second: Regression  # own features + context
    thresholds: dict[str, float]  # mode -> a line below it is chrome
    repeated_threshold: float  # a repeated line below it is chrome
    prose: float  # a first score this high is prose, for the context features
    word_weights: dict[int, float]  # word bucket -> log-odds of content (dqkit.detect.line_features)
    about: dict  # provenance and validation figures

    def threshold(self, mode: str) -> float:
        return self.thresholds[mode]


MODEL_FILE = "boilerplate.json"


@functools.lru_cache(maxsize=1)
def load_model() -> BoilerplateModel:
    data = json.loads(resources.files("dqkit").joinpath("data", MODEL_FILE).read_text(encoding="utf-8"))
    return model_from_json(data)


def model_from_json(data: dict) -> BoilerplateModel:
    return BoilerplateModel(
        first=Regression.from_json(data["first"]),
        second=Regression.from_json(data["second"]),
        thresholds={mode: float(t) for mode, t in data["thresholds"].items()},
        repeated_threshold=float(data["repeated_threshold"]),
        prose=float(data["prose"]),
        word_weights={int(bucket): float(w) for bucket, w in data["word_weights"].items()},
        about=data.get("about", {}),
    )


def score_lines(lines: pl.DataFrame, model: BoilerplateModel | None = None) -> pl.DataFrame:
    """``lines`` (``_doc, line_no, line, lang``: the non-blank lines, in document order) with
    the features and :data:`SCORE`, the probability that the line is content."""
    model = model or load_model()
    featured = own_features(lines, model.word_weights).with_columns(model.first.probability().alias("_score0"))
    return context_features(featured, "_score0", model.prose).with_columns(model.second.probability().alias(SCORE))


SENTENCE_END = r"[.!?…][\"'»«“”’)\]]*$"
ABBREVIATION = r"(?:^|[\s(])(?:\p{Lu}\.)+$"  # "U.S." ends no sentence
WRAPPED_CHARS = 30  # a line this long that stops mid-sentence was wrapped
MIN_WRAPPED_LINES = 2
MIN_OPEN_CHARS = 12
WRAPPED_SHARE = 0.5
WRAP_WIDTH = 100  # a hard-wrapped document's lines fit in this many characters ...
WIDE_SHARE = 0.1  # ... all but this share of its long ones (a URL, a table may stick out)


def _wrapped(lines: pl.DataFrame) -> pl.Series:
    """Per line: is it a line of a hard-wrapped paragraph? It goes on with the sentence of
    the line above, which is long and stops without sentence punctuation, and this line
    starts in lower case; or the document is hard-wrapped (most of its long lines stop
    mid-sentence, and they fit in :data:`WRAP_WIDTH` characters, as newswire's do) and that
    line ends on a lower-case word or is open itself; or the line below goes on with its own.
    A web page's teaser headlines are long and open too, but they are not wrapped: its
    paragraphs run past the width, and the line after a headline starts with a capital.
    (Built in steps: one nested expression would compute its parts many times.)"""
    text = pl.col("_text")
    steps = lines.select("line_no", DOC, pl.col("line").str.strip_chars().alias("_text")).with_columns(
        text.str.len_chars().alias("_chars"),
        (text.str.contains(SENTENCE_END) & ~text.str.contains(ABBREVIATION)).alias("_stops"),
    )
    chars, stops = pl.col("_chars"), pl.col("_stops")
    steps = steps.select(
        "line_no",
        DOC,
        (chars >= WRAPPED_CHARS).alias("_long"),
        (chars > WRAP_WIDTH).alias("_wide"),
        "_stops",
        # In a hard-wrapped document a shorter line may be wrapped too (a first line cut by its dateline).
        ((chars >= MIN_OPEN_CHARS) & ~stops).alias("_open_short"),
        text.str.contains(r"^\p{Ll}").alias("_starts_lower"),
        text.str.contains(r"(?:^|\s)\p{Ll}[\p{L}'’-]*,?$").alias("_ends_lower"),
    ).with_columns((pl.col("_long") & ~pl.col("_stops")).alias("_open"))
    open_lines = doc_sum(pl.col("_open").cast(pl.Int64))
    long_lines = doc_sum(pl.col("_long").cast(pl.Int64))
    steps = steps.with_columns(
        (
            (open_lines >= MIN_WRAPPED_LINES)
            & (open_lines >= WRAPPED_SHARE * long_lines)
            & (doc_sum(pl.col("_wide").cast(pl.Int64)) <= WIDE_SHARE * long_lines)
        ).alias("_hard_wrapped")
    )
    hard_wrapped = pl.col("_hard_wrapped")
    adjacent = (pl.col("line_no") - shifted(pl.col("line_no"), 1)) == 1
    goes_on = adjacent & (
        (hard_wrapped & shifted(pl.col("_open_short"), 1))
        | (shifted(pl.col("_open"), 1) & (pl.col("_starts_lower") | (hard_wrapped & shifted(pl.col("_ends_lower"), 1))))
    )
    steps = steps.select(DOC, goes_on.fill_null(False).alias("_goes_on"))
    return steps.select(pl.col("_goes_on") | shifted(pl.col("_goes_on"), -1).fill_null(False)).to_series()


def _table_rows(lines: pl.DataFrame) -> pl.Series:
    """Per line: is it a row of a table (a line with a figure or laid out in columns, in a run
    of at least :data:`MIN_TABLE_RUN` such lines) or the line right above one (its heading:
    "WHEAT", a header)? A label between two rows that has no figure of its own ("Western" /
    "Hemisphere 99.6 69.5") does not cut the table. (Built in steps, as :func:`_wrapped`: the
    figure test inside the run length, inside the heading, was computed a dozen times.)"""
    # Not stripped first: stripping white space takes no figure away.
    has_figure = pl.col("line").str.contains(TABLE_ROW) | pl.col("line").str.contains(COLUMNS)
    steps = lines.select(
        DOC, has_figure.alias("_figure"), pl.col("line").str.contains(SENTENCE_END).alias("_ends_sentence")
    )
    figure = pl.col("_figure")
    label = ~figure & shifted(figure, 1) & shifted(figure, -1) & ~pl.col("_ends_sentence")
    steps = steps.select(DOC, (figure | label.fill_null(False)).alias("_in_table"))
    steps = steps.select(DOC, (run_length(pl.col("_in_table")) >= MIN_TABLE_RUN).alias("_table_row"))
    table_row = pl.col("_table_row")
    return steps.select(table_row | shifted(table_row, -1).fill_null(False)).to_series()


def decide(lines: pl.DataFrame, threshold: float, prose: float) -> pl.DataFrame:
    """Scored ``lines`` (each document's lines together and in order) with ``_chrome`` (the
    classifier removes the line, see the module's rules), ``_form_kept`` (a table row or a
    line of a wrapped paragraph: no line-level evidence removes it) and ``_has_content``
    (some line of the document is content); a line scored ``prose`` or more is prose."""
    score = pl.col(SCORE)
    low = score < threshold
    marked = lines.with_columns(
        low.alias("_low"),
        (_table_rows(lines) | _wrapped(lines)).alias("_form_kept"),
        doc_any(~low).alias("_has_content"),
    ).with_columns((pl.col("_low") & ~pl.col("_form_kept")).alias("_first"))
    first = pl.col("_first")
    # Smoothing: a line that is no prose inside a run of chrome is chrome too.
    in_run = (
        (score < prose) & ~pl.col("_form_kept") & shifted(first, 1).fill_null(True) & shifted(first, -1).fill_null(True)
    )
    marked = marked.with_columns((first | in_run).alias("_candidate"))
    # A single line between two prose lines stays (a subheading, a quote attribution).
    lone = ((shifted(score, 1) >= prose) & (shifted(score, -1) >= prose)).fill_null(False)
    chrome = pl.col("_candidate") & ~lone & pl.col("_has_content")
    return marked.with_columns(chrome.alias("_chrome")).drop("_low", "_first", "_candidate")


def repeatable(model: BoilerplateModel) -> pl.Expr:
    """On :func:`decide`'s output: a line that repetition may remove (``corpus.repeated-line``):
    below the model's ``repeated_threshold``, no table row or wrapped line, in a document
    with content. Null where the line has no score."""
    return ~pl.col("_form_kept") & pl.col("_has_content") & (pl.col(SCORE) < model.repeated_threshold)
