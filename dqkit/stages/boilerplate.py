"""Boilerplate no rule names: the line classifier and the lines a source repeats.

Two stages. :class:`CountRepeatedLines` belongs to the survey: per source, it counts the
distinct articles each short line occurs in (an article is its longest line, so copies of
one syndicated article count once). The run sums the counts over every shard and keeps the
lines of at least :data:`MIN_ARTICLES` articles (:func:`repeated_line_keys`), so the
outcome does not depend on how the corpus was cut into shards. :class:`RemoveBoilerplate`
then scores every kept line (:mod:`dqkit.detect.boilerplate`) and removes

- what the classifier calls chrome at the ``--boilerplate`` mode's threshold (rule id
  ``model.boilerplate``), and
- a repeated line of the document's source whose content probability is below the model's
  ``repeated_threshold`` (``corpus.repeated-line``), unless it is a table row or goes on
  with the sentence above it.

Each removed line is a ``line_removed`` edit with the probability in ``score``; blank lines
left beside it are folded as the rules' removals are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
import xxhash

from dqkit.assemble import assemble, kept_lines
from dqkit.detect.boilerplate import SCORE, decide, load_model, score_lines
from dqkit.detect.language import function_word_fits
from dqkit.detect.line_features import has_word_list
from dqkit.detect.repeated_lines import MAX_CHARS, line_shape
from dqkit.frames import BLANK, DOC, LINE_CHARS, SOURCE, as_edits
from dqkit.kinds import EditKind
from dqkit.rules.engine import normalise_for_match
from dqkit.stages.base import Batch, StageContext

MODEL_RULE = "model.boilerplate"
REPEATED_RULE = "corpus.repeated-line"
MIN_FUNCTION_SHARE = 0.15  # a document without a language: its lexicon language must be this clear
FIT_PREFIX_CHARS = 2000
MIN_ARTICLES = 3  # distinct articles of one source that share a line before it counts as repeated
SURVEY_KEY = "repeated_lines"


def _hashes(values: pl.Series) -> pl.Series:
    """A stable 64-bit hex digest of each string (the survey is summed across processes)."""
    unique = values.unique()
    digests = pl.DataFrame(
        {"_v": unique, "_h": [xxhash.xxh64_hexdigest(v.encode()) for v in unique.to_list()]},
        schema={"_v": pl.String, "_h": pl.String},
    )
    return pl.DataFrame({"_v": values}).join(digests, on="_v", how="left", maintain_order="left")["_h"]


def _candidate_lines(docs: pl.DataFrame) -> pl.DataFrame:
    """``_doc, line_no, _source, _key, _article``: each short line that has letters, keyed by
    its shape, with the key of its document's article (its longest line)."""
    lines = kept_lines(docs.select(DOC, "text", "line_nos", SOURCE)).with_columns(
        normalise_for_match(pl.col("line")).str.to_lowercase().alias("_match")
    )
    lines = lines.filter(pl.col("_match") != "").with_columns(pl.col("_match").str.len_chars().alias("_chars"))
    article = (
        lines.sort("_chars", "line_no", descending=[True, False])
        .group_by(DOC)
        .agg(pl.col("_match").first().alias("_article_text"))
    )
    candidates = lines.join(article, on=DOC).filter(
        (pl.col("_chars") <= MAX_CHARS)
        & pl.col("_match").str.contains(r"\p{L}.*\p{L}.*\p{L}")
        & (pl.col("_match") != pl.col("_article_text"))
    )
    return candidates.select(
        DOC,
        "line_no",
        pl.col(SOURCE).fill_null(""),
        _hashes(candidates.select(line_shape(pl.col("_match")))["_match"]).alias("_key"),
        _hashes(candidates["_article_text"]).alias("_article"),
    )


class CountRepeatedLines:
    """Survey: per source, per line shape, the articles it occurs in (``survey["repeated_lines"]``)."""

    name = "repeated_line_counts"
    edit_kinds = ()
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        if context.options.boilerplate == "rules":
            return
        assert batch.lines is not None, "lines are counted after the rules"
        texts = batch.lines.texts.join(batch.docs.select(DOC, SOURCE), on=DOC, how="left", maintain_order="left")
        pairs = _candidate_lines(texts).group_by(SOURCE, "_key").agg(pl.col("_article").unique())
        counts: dict[str, Any] = batch.survey.setdefault(SURVEY_KEY, {})
        for source, key, articles in pairs.iter_rows():
            counts.setdefault(source, {}).setdefault(key, {}).update(dict.fromkeys(articles, 1))


def repeated_line_keys(survey: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    """(source, line key) of every line that at least :data:`MIN_ARTICLES` distinct articles of
    the source share, from the summed survey."""
    return frozenset(
        (source, key)
        for source, keys in survey.get(SURVEY_KEY, {}).items()
        for key, articles in keys.items()
        if len(articles) >= MIN_ARTICLES
    )


class RemoveBoilerplate:
    """The classifier's chrome and the source's repeated lines go (see the module)."""

    name = "boilerplate"
    edit_kinds = (EditKind.LINE_REMOVED, EditKind.BLANK_LINE_FOLDED)
    reject_reasons = ()
    reads_corpus = True

    def run(self, batch: Batch, context: StageContext) -> None:
        mode = context.options.boilerplate
        if mode == "rules" or batch.docs.is_empty():
            return
        model = load_model()
        docs = self._word_languages(batch.docs.select(DOC, "text", "line_nos", "lang", SOURCE))
        skipped = docs.filter(pl.col("lang").is_null())
        for lang, n in skipped.group_by("_lang_was").len().sort("_lang_was").iter_rows():
            batch.count(self.name, f"skipped_language.{lang}", n)
        docs = docs.filter(pl.col("lang").is_not_null()).drop("_lang_was")
        if docs.is_empty():
            return
        lines = kept_lines(docs).with_columns(normalise_for_match(pl.col("line")).eq("").alias(BLANK))
        content = lines.filter(~pl.col(BLANK)).select(DOC, "line_no", "line", "lang")
        decided = decide(score_lines(content, model), model.threshold(mode))
        repeated = self._repeated(docs, context)
        decided = decided.join(repeated, on=[DOC, "line_no"], how="left", maintain_order="left").with_columns(
            pl.col("_repeated").fill_null(False)
        )
        by_repetition = (
            pl.col("_repeated")
            & ~pl.col("_form_kept")
            & pl.col("_has_content")
            & (pl.col(SCORE) < model.repeated_threshold)
        )
        removed = decided.filter(by_repetition | pl.col("_chrome")).select(
            DOC,
            "line_no",
            pl.when(by_repetition).then(pl.lit(REPEATED_RULE)).otherwise(pl.lit(MODEL_RULE)).alias("rule_id"),
            pl.col(SCORE).round(4).alias("score"),
        )
        batch.count(self.name, "lines_scored", decided.height)
        batch.count(self.name, "lines_removed_by_model", int((removed["rule_id"] == MODEL_RULE).sum()))
        batch.count(self.name, "lines_removed_as_repeated", int((removed["rule_id"] == REPEATED_RULE).sum()))
        if removed.is_empty():
            return
        touched = lines.join(removed.select(DOC).unique(), on=DOC, how="semi")
        texts, edits = assemble(
            touched.with_columns(pl.col("line").str.len_chars().alias(LINE_CHARS)), removed.drop("score")
        )
        edits = edits.join(removed.select(DOC, "line_no", "score"), on=[DOC, "line_no"], how="left")
        batch.edits.append(as_edits(edits).sort(DOC, "line_no"))
        # The guard (--max-removed) weighs what the rules removed: chars_in and chars_removed stay.
        batch.docs = batch.docs.update(texts.select(DOC, "text", "line_nos"), on=DOC)

    @staticmethod
    def _word_languages(docs: pl.DataFrame) -> pl.DataFrame:
        """``docs`` with ``lang`` the language whose function words the features count: the
        document's own where it has a word list; for a document without a language (``--no-langid``,
        ``und``), the lexicon language whose function words make up at least
        :data:`MIN_FUNCTION_SHARE` of its words, the most of them; else null (not scored).
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

    @staticmethod
    def _repeated(docs: pl.DataFrame, context: StageContext) -> pl.DataFrame:
        """``_doc, line_no, _repeated`` for the lines of ``docs`` the corpus repeats."""
        keys = context.corpus.repeated_lines
        schema = {DOC: pl.Int64, "line_no": pl.Int32, "_repeated": pl.Boolean}
        if not keys:
            return pl.DataFrame(schema=schema)
        known = pl.DataFrame(list(keys), schema={SOURCE: pl.String, "_key": pl.String}, orient="row")
        found = _candidate_lines(docs).join(known, on=[SOURCE, "_key"], how="semi")
        return found.select(DOC, pl.col("line_no").cast(pl.Int32), pl.lit(True).alias("_repeated"))
