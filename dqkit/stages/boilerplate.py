"""Boilerplate no rule names: the line classifier and the lines a source repeats.

Two stages. :class:`ScoreLines` belongs to the survey: it scores every kept line
(:mod:`dqkit.detect.boilerplate`), keeps the scores with the shard's batch, and, per source,
counts the distinct articles in which each line that the classifier does not call prose
occurs verbatim (an article is its longest line, so copies of one syndicated article count
once). The run sums the counts over every shard and keeps the lines of at least
:data:`MIN_ARTICLES` articles (:func:`repeated_line_keys`), so the outcome does not depend
on how the corpus was cut into shards. :class:`RemoveBoilerplate` then removes

- what the classifier calls chrome at the ``--boilerplate`` mode's threshold (rule id
  ``model.boilerplate``), and
- a repeated line of the document's source (``corpus.repeated-line``): one whose content
  probability is below the model's ``repeated_threshold``, that is no table row, does not go
  on with the sentence above it, and stands in a document with some content.

A document whose language or kept lines changed after the survey (the language prior, the
rescoping of the rules) is scored again; the others keep their survey scores. The removals
join the rules' verdicts before the ``assemble`` stage applies them: each is a
``line_removed`` edit with the probability in ``score``, and blank lines left beside it are
folded as the rules' removals are.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import xxhash

from dqkit.assemble import LineOutcome, assemble, content_lines, kept_lines
from dqkit.detect.boilerplate import SCORE, decide, load_model, repeatable, score_lines
from dqkit.detect.line_features import word_languages
from dqkit.detect.repeated_lines import candidate_lines
from dqkit.frames import DOC, MATCH_LOWER, SOURCE, as_edits
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


#: Documents weighed at a time: every feature is of a line or of its document, so the
#: scores do not depend on it, and the line frames of a whole shard at once were the largest
#: part of a worker's peak (a 10k-document Reuters shard: about 160 MiB more).
WEIGH_DOCS = 2_000


def _weigh(texts: pl.DataFrame, mode: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`_weigh_documents` on :data:`WEIGH_DOCS` documents of ``texts`` at a time."""
    if texts.height <= WEIGH_DOCS:
        return _weigh_documents(texts, mode)
    parts = [_weigh_documents(texts.slice(start, WEIGH_DOCS), mode) for start in range(0, texts.height, WEIGH_DOCS)]
    return pl.concat([scored for scored, _ in parts]), pl.concat([skipped for _, skipped in parts])


def _weigh_documents(texts: pl.DataFrame, mode: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Score the kept lines of ``texts`` (``_doc, text, line_nos, lang, _source``).

    Returns (:data:`SCORED`: per scored line its content probability, whether the classifier
    removes it at ``mode``'s threshold, and for a line that repetition could remove the keys
    it is counted by (its rule view and its document's article, hashed; null for other lines);
    ``_doc, _lang_was`` of the documents not scored, as no word list fits them)."""
    if texts.is_empty():
        return pl.DataFrame(schema=SCORED), pl.DataFrame(schema={DOC: pl.Int64, "_lang_was": pl.String})
    model = load_model()
    docs = word_languages(texts)
    skipped = docs.filter(pl.col("lang").is_null()).select(DOC, "_lang_was")
    docs = docs.filter(pl.col("lang").is_not_null()).drop("_lang_was")
    if docs.is_empty():
        return pl.DataFrame(schema=SCORED), skipped
    lines = content_lines(docs.select(DOC, "text", "line_nos", "lang", SOURCE))
    decided = decide(score_lines(lines, model), model.threshold(mode), model.prose)
    keyed = _repetition_keys(decided.filter(repeatable(model)), decided)
    scored = decided.join(keyed, on=[DOC, "line_no"], how="left", maintain_order="left")
    return scored.select(DOC, pl.col("line_no").cast(pl.Int32), SCORE, "_chrome", "_key", "_article"), skipped


def _repetition_keys(candidates: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """``_doc, line_no, _key, _article`` of the ``candidates`` (lines of ``lines``) that may be
    template text (:func:`candidate_lines`: short, with letters, not the document's article
    line): the line as rules see it and its document's article (its longest line), hashed.
    Unlike ``rules suggest``, lines that differ in their numbers are different lines:
    "Nachricht Nummer 5" and "Nummer 6" are headlines."""
    longest = pl.col("line_no").get(pl.col("line").str.len_chars().arg_max())  # the first of the longest
    lines = lines.join(candidates.select(DOC), on=DOC, how="semi")  # the articles of the other documents go unused
    article_lines = lines.group_by(DOC).agg(longest).join(lines, on=[DOC, "line_no"])
    table = with_match_columns(
        pl.concat([candidates.select(DOC, "line_no", "line"), article_lines.select(DOC, "line_no", "line")]).unique(
            [DOC, "line_no"], maintain_order=True
        )
    )
    found = candidate_lines(table).join(candidates.select(DOC, "line_no"), on=[DOC, "line_no"], how="semi")
    return found.select(
        DOC,
        "line_no",
        _hashes(found[MATCH_LOWER]).alias("_key"),
        _hashes(found["_article"]).alias("_article"),
    )


def _with_source(batch: Batch, texts: pl.DataFrame) -> pl.DataFrame:
    return texts.select(DOC, "text", "line_nos").join(
        batch.docs.select(DOC, "lang", SOURCE), on=DOC, how="left", maintain_order="left"
    )


def _count_skipped(batch: Batch, stage: str, skipped: pl.DataFrame) -> None:
    for lang, n in skipped.group_by("_lang_was").len().sort("_lang_was").iter_rows():
        batch.count(stage, f"skipped_language.{lang}", n)


class ScoreLines:
    """Survey: every kept line scored (``batch.line_scores``), and per source, per line, the
    articles it occurs in where repetition could remove it (the survey table
    ``repeated_lines``: source, line key, article, each once)."""

    name = "line_scores"
    edit_kinds = ()
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        if context.options.boilerplate == "rules":
            return
        assert batch.lines is not None, "lines are scored after the rules"
        texts = _with_source(batch, batch.lines.texts)
        scored, skipped = _weigh(texts, context.options.boilerplate)
        per_doc = scored.group_by(DOC).agg(pl.struct([name for name in SCORED if name != DOC]).alias("_scored"))
        batch.line_scores = (
            texts.select(DOC, "lang", "line_nos")
            .join(per_doc, on=DOC, how="left", maintain_order="left")
            .join(skipped, on=DOC, how="left", maintain_order="left")
        )
        keyed = scored.filter(pl.col("_key").is_not_null()).join(
            texts.select(DOC, pl.col(SOURCE).fill_null("")), on=DOC
        )
        batch.survey_tables[SURVEY_KEY] = pl.DataFrame(
            {"_line": _line_ids(keyed), "_article": keyed["_article"].str.to_integer(base=16, dtype=pl.UInt64)}
        ).unique()


def _line_ids(lines: pl.DataFrame) -> pl.Series:
    """A line of a source as one number: the 64-bit xxhash of its source and line key (the
    survey table holds two numbers a row, not two strings, so the run can sum millions)."""
    return _hashes(lines[SOURCE] + "\x00" + lines["_key"]).str.to_integer(base=16, dtype=pl.UInt64)


def repeated_line_keys(lines: pl.LazyFrame | None) -> frozenset[int]:
    """The line ids (:func:`_line_ids`) of every line that at least :data:`MIN_ARTICLES`
    distinct articles of its source share, from the survey table of every shard (``None``: no
    shard scored lines). Counted in numpy: 16 bytes a row, where a polars group-by over a
    million rows would take hundreds of MB."""
    if lines is None:
        return frozenset()
    pairs = lines.select("_line", "_article").collect().to_numpy()
    if not len(pairs):
        return frozenset()
    line, articles = np.unique(np.unique(pairs, axis=0)[:, 0], return_counts=True)
    return frozenset(line[articles >= MIN_ARTICLES].tolist())


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
        scored = self._scores(batch, mode)
        keyed = scored.filter(pl.col("_key").is_not_null())
        known = pl.Series(sorted(context.corpus.repeated_lines), dtype=pl.UInt64)
        repeated = keyed.filter(_line_ids(keyed).is_in(known.implode())).select(
            DOC, "line_no", pl.lit(True).alias("_repeated")
        )
        decided = scored.join(repeated, on=[DOC, "line_no"], how="left", maintain_order="left")
        by_repetition = pl.col("_repeated").fill_null(False)
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
        touched = outcome.texts.join(removed.select(DOC).unique(), on=DOC, how="semi")
        texts, edits = assemble(
            with_match_columns(kept_lines(touched.select(DOC, "text", "line_nos"))), removed.drop("score")
        )
        edits = edits.join(removed.select(DOC, "line_no", "score"), on=[DOC, "line_no"], how="left")
        # The guard (--max-removed) weighs what the rules removed: chars_in and chars_removed stay.
        batch.lines = LineOutcome(
            hits=outcome.hits,
            doc_drops=outcome.doc_drops,
            texts=outcome.texts.update(texts.select(DOC, "text", "line_nos"), on=DOC),
            edits=pl.concat([outcome.edits, as_edits(edits)]).sort(DOC, "line_no", maintain_order=True),
        )

    def _scores(self, batch: Batch, mode: str) -> pl.DataFrame:
        """:data:`SCORED` and ``_source`` of every kept line: the survey's scores where the
        document's language and kept lines are as they were then, new ones for the others;
        the documents left unscored are counted."""
        assert batch.lines is not None
        texts = _with_source(batch, batch.lines.texts)
        survey = batch.line_scores if batch.line_scores is not None else pl.DataFrame(schema=SURVEYED)
        same = texts.join(survey.rename({"lang": "_was", "line_nos": "_nos_was"}), on=DOC).filter(
            pl.col("lang").eq_missing(pl.col("_was")) & (pl.col("line_nos") == pl.col("_nos_was"))
        )
        again, skipped = _weigh(texts.join(same, on=DOC, how="anti"), mode)
        _count_skipped(batch, self.name, pl.concat([same.select(DOC, "_lang_was").drop_nulls(), skipped]))
        kept = same.select(DOC, "_scored").drop_nulls().explode("_scored").unnest("_scored")
        lines = pl.concat([kept.select(SCORED.keys()), again])
        return lines.join(texts.select(DOC, pl.col(SOURCE).fill_null("")), on=DOC, how="left")


#: The scored lines: content probability, the mode's verdict, and the keys of a line repetition may remove.
SCORED: dict[str, pl.DataType] = {
    DOC: pl.Int64(),
    "line_no": pl.Int32(),
    SCORE: pl.Float64(),
    "_chrome": pl.Boolean(),
    "_key": pl.String(),
    "_article": pl.String(),
}
#: What the survey keeps per document (``batch.line_scores``): its language and kept lines then, its scored lines.
SURVEYED: dict[str, pl.DataType] = {
    DOC: pl.Int64(),
    "lang": pl.String(),
    "line_nos": pl.List(pl.Int32),
    "_scored": pl.List(pl.Struct({k: v for k, v in SCORED.items() if k != DOC})),
    "_lang_was": pl.String(),
}
