"""The language of each document: given by the input, or detected on the cleaned text and
settled by the corpus prior where the detection cannot be trusted; and the rules of other
languages undone where the evidence says the document is in another language."""

from __future__ import annotations

import polars as pl

from dqkit.assemble import clean_lines, out_of_language
from dqkit.detect.langid import UNDETERMINED
from dqkit.detect.language import given_language, identify, prefix, prior_fits, speaks_for
from dqkit.frames import DOC, LANG_BY, LANG_GIVEN, LANG_HINT, LANG_SCORE_GIVEN, SOURCE
from dqkit.kinds import LanguageBy
from dqkit.normalize.lexicon import has_word_frequencies
from dqkit.stages.base import Batch, StageContext


class GivenLanguage:
    """``_lang_hint``: the input's language field as a 2-3 letter code (``pt-BR`` -> ``pt``);
    rules are scoped by it, and detection skips documents that have one."""

    name = "given_language"
    edit_kinds = ()
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        hint = given_language(batch.docs, LANG_GIVEN)
        batch.docs = batch.docs.with_columns(hint.alias(LANG_HINT))


class DetectLanguage:
    """``lang``, ``lang_score`` and ``_lang_by`` (:class:`LanguageBy`; ``trusted`` where the
    detection rests on enough evidence to undo other languages' rules).
    Detection reads the cleaned text, so that boilerplate in another language does not
    decide it. The survey counts, per source, the documents whose language is given or
    detected with trust: the corpus prior is decided from them."""

    name = "language"
    edit_kinds = ()
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        assert batch.lines is not None, "the rules run before language detection"
        options, docs = context.options, batch.docs
        to_detect = (
            docs.filter(pl.col(LANG_HINT).is_null())
            .select(DOC)
            .join(batch.lines.texts.select(DOC, "text"), on=DOC, how="inner", maintain_order="left")
        )
        schema = {DOC: pl.Int64, "_detected": pl.String, "lang_score": pl.Float64, "_trusted": pl.Boolean}
        detected = pl.DataFrame(schema=schema)
        if options.detect_language and not to_detect.is_empty():
            found = identify(to_detect["text"].to_list(), options.langid, options.lang_prefix_chars)
            detected = pl.concat([to_detect.select(DOC), found], how="horizontal").rename(
                {"lang": "_detected", "trusted": "_trusted"}
            )
        by = (
            pl.when(pl.col(LANG_HINT).is_not_null())
            .then(pl.lit(LanguageBy.GIVEN))
            .when(pl.col("_trusted"))
            .then(pl.lit(LanguageBy.TRUSTED))
            .when(pl.col("_detected").is_not_null() & (pl.col("_detected") != UNDETERMINED))
            .then(pl.lit(LanguageBy.UNTRUSTED))
            .otherwise(pl.lit(LanguageBy.NONE))
        )
        batch.docs = (
            docs.join(detected.select(list(schema)), on=DOC, how="left", maintain_order="left")
            .with_columns(
                # a given language keeps the input's score (a cleaned corpus cleaned again)
                pl.when(pl.col(LANG_HINT).is_null()).then("lang_score").otherwise(LANG_SCORE_GIVEN).alias("lang_score"),
            )
            # The input's value where it names a language, else the detected one; a value that
            # names none stays when nothing was detected (--no-langid keeps it as it was).
            .with_columns(
                pl.when(pl.col(LANG_HINT).is_null())
                .then(pl.coalesce("_detected", LANG_GIVEN))
                .otherwise(pl.col(LANG_GIVEN))
                .alias("lang"),
                by.alias(LANG_BY),
            )
            .with_columns(pl.when(pl.col(LANG_BY) != LanguageBy.NONE).then("lang_score").alias("lang_score"))
            .drop("_detected", "_trusted")
        )
        evidence = batch.docs.filter(pl.col(LANG_BY).is_in([LanguageBy.GIVEN, LanguageBy.TRUSTED]))
        code = pl.coalesce(pl.col(LANG_HINT), pl.col("lang"))
        counts = batch.survey.setdefault("languages", {})
        for source, lang, n in evidence.group_by(SOURCE, code.alias("_code")).len().iter_rows():
            per_language = counts.setdefault(source, {})
            per_language[lang] = per_language.get(lang, 0) + n


class SettleLanguage:
    """An untrusted guess gives way to the prior language of its source (decided over the
    whole corpus) where that language fits the text at least as well as the guess
    (:func:`prior_fits`); ``lang_score`` is then the share of the source's evidence in that
    language."""

    name = "language_prior"
    edit_kinds = ()
    reject_reasons = ()
    reads_corpus = True

    def run(self, batch: Batch, context: StageContext) -> None:
        assert batch.lines is not None, "the prior settles languages before the rules are applied"
        prior = context.corpus.language_prior
        guesses = batch.docs.filter(pl.col(LANG_BY) == LanguageBy.UNTRUSTED).select(DOC, "lang", SOURCE)
        if guesses.is_empty():
            return
        sources = guesses[SOURCE].unique().to_list()
        priors = pl.DataFrame(
            {
                SOURCE: sources,
                "_prior": [prior.language(s) for s in sources],
                "_share": [prior.share(s) for s in sources],
            },
            schema={SOURCE: pl.String, "_prior": pl.String, "_share": pl.Float64},
        )
        candidates = (
            guesses.join(priors, on=SOURCE, how="inner")
            .filter(pl.col("_prior").is_not_null() & (pl.col("_prior") != pl.col("lang")))
            .join(batch.lines.texts.select(DOC, "text"), on=DOC, how="inner", maintain_order="left")
        )
        if candidates.is_empty():
            return
        options = context.options
        texts = pl.Series([prefix(t, options.lang_prefix_chars) for t in candidates["text"]], dtype=pl.String)
        settled = candidates.filter(prior_fits(texts, candidates["lang"], candidates["_prior"])).select(
            DOC, "_prior", "_share"
        )
        for lang, n in settled.group_by("_prior").len().sort("_prior").iter_rows():
            batch.count(self.name, f"settled.{lang}", n)
        batch.docs = (
            batch.docs.join(settled, on=DOC, how="left", maintain_order="left")
            .with_columns(
                pl.coalesce("_prior", "lang").alias("lang"),
                pl.coalesce("_share", "lang_score").alias("lang_score"),
                pl.when(pl.col("_prior").is_not_null())
                .then(pl.lit(LanguageBy.PRIOR))
                .otherwise(pl.col(LANG_BY))
                .alias(LANG_BY),
            )
            .drop("_prior", "_share")
        )


class Rescope:
    """A rule of another language fired before the language was known: it is undone on a
    document only when the document is trusted to be in another language, and not on a
    line whose own evidence speaks for the rule's language (:func:`speaks_for`). An
    untrusted document keeps every rule that fired on it."""

    name = "rescope"
    edit_kinds = ()
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        assert batch.lines is not None, "the rules run before rescoping"
        rules = context.rules.rules
        trusted = batch.docs.filter(pl.col(LANG_BY) == LanguageBy.TRUSTED).select(DOC, "lang")
        foreign = out_of_language(batch.lines.hits, rules, trusted)
        if foreign.is_empty():
            return
        rule_langs = pl.DataFrame(
            {"rule": range(len(rules)), "rule_langs": [list(r.langs) for r in rules]},
            schema={"rule": pl.Int32, "rule_langs": pl.List(pl.String)},
        )
        lines = foreign.join(rule_langs, on="rule", how="left", maintain_order="left")
        undo = lines.filter(~speaks_for(lines, context.options.langid))
        batch.count(self.name, "hits_undone", undo.height)
        batch.count(self.name, "hits_kept_on_line_evidence", lines.height - undo.height)
        if undo.is_empty():
            return
        again = batch.docs.join(undo.select(DOC).unique(), on=DOC, how="semi")
        batch.lines = batch.lines.replace(clean_lines(again, rules, undo))


def skip_languages_without_word_frequencies(
    docs: pl.DataFrame, batch: Batch, stage: str, counter: str = "skipped_language", fallback: str = "und"
) -> pl.DataFrame:
    """``docs`` (with ``lang``; null read as ``fallback``) less those in a language whose
    words cannot be weighed here, counted per language as the stage's ``<counter>.<lang>``:
    a missing optional tokenizer skips a language for a stage, it never stops the run."""
    base = pl.col("lang").fill_null(fallback).str.split("-").list.first()
    languages = docs.select(base.unique())["lang"].to_list()
    unavailable = [lang for lang in languages if not has_word_frequencies(lang)]
    if not unavailable:
        return docs
    skipped = base.is_in(unavailable)
    for lang, n in docs.filter(skipped).group_by(base).len().sort("lang").iter_rows():
        batch.count(stage, f"{counter}.{lang}", n)
    return docs.filter(~skipped)
