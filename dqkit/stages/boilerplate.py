"""Boilerplate no rule names: the line classifier and the lines a source repeats.

Two stages. :class:`CountRepeatedLines` belongs to the survey: per source, it counts the
distinct articles each short line occurs in verbatim (an article is its longest line, so copies of
one syndicated article count once). The run sums the counts over every shard and keeps the
lines of at least :data:`MIN_ARTICLES` articles (:func:`repeated_line_keys`), so the
outcome does not depend on how the corpus was cut into shards. :class:`RemoveBoilerplate`
then scores every kept line (:mod:`dqkit.detect.boilerplate`) and removes

- what the classifier calls chrome at the ``--boilerplate`` mode's threshold (rule id
  ``model.boilerplate``), and
- a repeated line of the document's source whose content probability is below the model's
  ``repeated_threshold`` (``corpus.repeated-line``), unless it is a table row or goes on
  with the sentence above it.

The removals join the rules' verdicts before the ``assemble`` stage applies them: each is a
``line_removed`` edit with the probability in ``score``, and blank lines left beside it are
folded as the rules' removals are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
import xxhash

from dqkit.assemble import LineOutcome, assemble, kept_lines
from dqkit.detect.boilerplate import SCORE, decide, load_model, score_lines
from dqkit.detect.line_features import word_languages
from dqkit.detect.repeated_lines import candidate_lines
from dqkit.frames import BLANK, DOC, MATCH_LOWER, SOURCE, as_edits
from dqkit.rules.engine import with_match_columns
from dqkit.stages.base import Batch, StageContext

MODEL_RULE = "model.boilerplate"
REPEATED_RULE = "corpus.repeated-line"
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


def _candidate_lines(lines: pl.DataFrame) -> pl.DataFrame:
    """``_doc, line_no, _source, _key, _article`` of each line of a line table (with the match
    columns and ``_source``) that may be template text (:func:`candidate_lines`), the line and
    its document's article hashed. Unlike ``rules suggest``, lines that differ in their
    numbers are different lines: "Nachricht Nummer 5" and "Nummer 6" are headlines."""
    candidates = candidate_lines(lines)
    return candidates.select(
        DOC,
        "line_no",
        pl.col(SOURCE).fill_null(""),
        _hashes(candidates[MATCH_LOWER]).alias("_key"),  # verbatim (as rules see it): no digits folded
        _hashes(candidates["_article"]).alias("_article"),
    )


def _line_table(texts: pl.DataFrame) -> pl.DataFrame:
    """The kept lines of ``texts`` (``_doc, text, line_nos`` and other columns) with the match columns."""
    return with_match_columns(kept_lines(texts))


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
        lines = _line_table(texts.select(DOC, "text", "line_nos", SOURCE))
        pairs = _candidate_lines(lines).group_by(SOURCE, "_key").agg(pl.col("_article").unique())
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
    """The classifier's chrome and the source's repeated lines join the rules' verdicts
    (``batch.lines``) before they are applied: the ``assemble`` stage writes their edits."""

    name = "boilerplate"
    edit_kinds = ()
    reject_reasons = ()
    reads_corpus = True

    def run(self, batch: Batch, context: StageContext) -> None:
        mode = context.options.boilerplate
        assert batch.lines is not None, "the classifier weighs the lines the rules left"
        outcome = batch.lines
        if mode == "rules" or outcome.texts.is_empty():
            return
        model = load_model()
        docs = word_languages(
            outcome.texts.select(DOC, "text", "line_nos").join(
                batch.docs.select(DOC, "lang", SOURCE), on=DOC, how="left", maintain_order="left"
            )
        )
        skipped = docs.filter(pl.col("lang").is_null())
        for lang, n in skipped.group_by("_lang_was").len().sort("_lang_was").iter_rows():
            batch.count(self.name, f"skipped_language.{lang}", n)
        docs = docs.filter(pl.col("lang").is_not_null()).drop("_lang_was")
        if docs.is_empty():
            return
        lines = _line_table(docs)
        content = lines.filter(~pl.col(BLANK)).select(DOC, "line_no", "line", "lang")
        decided = decide(score_lines(content, model), model.threshold(mode), model.prose)
        repeated = self._repeated(lines, context)
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
        if removed.is_empty():
            return
        for rule_id, n in removed.group_by("rule_id").len().sort("rule_id").iter_rows():
            batch.count(self.name, f"lines_removed.{rule_id}", n)
        touched = lines.join(removed.select(DOC).unique(), on=DOC, how="semi")
        texts, edits = assemble(touched, removed.drop("score"))
        edits = edits.join(removed.select(DOC, "line_no", "score"), on=[DOC, "line_no"], how="left")
        # The guard (--max-removed) weighs what the rules removed: chars_in and chars_removed stay.
        batch.lines = LineOutcome(
            hits=outcome.hits,
            doc_drops=outcome.doc_drops,
            texts=outcome.texts.update(texts.select(DOC, "text", "line_nos"), on=DOC),
            edits=pl.concat([outcome.edits, as_edits(edits)]).sort(DOC, "line_no", maintain_order=True),
        )

    @staticmethod
    def _repeated(lines: pl.DataFrame, context: StageContext) -> pl.DataFrame:
        """``_doc, line_no, _repeated`` for the lines of ``lines`` (a line table) the corpus repeats."""
        keys = context.corpus.repeated_lines
        schema = {DOC: pl.Int64, "line_no": pl.Int32, "_repeated": pl.Boolean}
        if not keys:
            return pl.DataFrame(schema=schema)
        known = pl.DataFrame(list(keys), schema={SOURCE: pl.String, "_key": pl.String}, orient="row")
        found = _candidate_lines(lines).join(known, on=[SOURCE, "_key"], how="semi")
        return found.select(DOC, pl.col("line_no").cast(pl.Int32), pl.lit(True).alias("_repeated"))
