"""The language of each document: given by the input, or detected on the cleaned text;
and the rules of other languages undone where the detection can be trusted."""

from __future__ import annotations

import polars as pl

from dqkit.assemble import clean_lines, out_of_language
from dqkit.detect.language import LANG_CODE, detect_languages, given_language
from dqkit.frames import DOC, LANG_GIVEN, LANG_HINT, TRUSTED
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
    """``lang`` and ``_trusted``. Detection reads the cleaned text, so that boilerplate in
    another language does not decide it."""

    name = "language"
    edit_kinds = ()
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        assert batch.lines is not None, "the rules run before language detection"
        options, docs = context.options, batch.docs
        given = pl.col(LANG_GIVEN)
        to_detect = (
            docs.filter(pl.col(LANG_HINT).is_null())
            .select(DOC)
            .join(batch.lines.texts.select(DOC, "text"), on=DOC, how="inner", maintain_order="left")
        )
        found: list[tuple[str | None, bool]] = [(None, False)] * to_detect.height
        if options.detect_language and not to_detect.is_empty():
            found = list(detect_languages(to_detect["text"].to_list(), options.lang_prefix_chars))
        detected = pl.DataFrame(
            {DOC: to_detect[DOC], "_detected": [lang for lang, _ in found], TRUSTED: [t for _, t in found]},
            schema={DOC: pl.Int64, "_detected": pl.String, TRUSTED: pl.Boolean},
        )
        batch.docs = (
            docs.join(detected, on=DOC, how="left", maintain_order="left")
            # The input's value where it names a language, else the detected one; a value that
            # names none stays when nothing was detected (--no-langid keeps it as it was).
            .with_columns(
                pl.when(pl.col(LANG_HINT).is_null())
                .then(pl.coalesce("_detected", given))
                .otherwise(given)
                .alias("lang")
            )
            .drop("_detected")
            .with_columns(pl.col(TRUSTED).fill_null(False))
        )


class Rescope:
    """A rule of another language fired before the language was known: clean those
    documents again with it, where the detected language can be trusted."""

    name = "rescope"
    edit_kinds = ()
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        assert batch.lines is not None, "the rules run before rescoping"
        rules = context.rules.rules
        trusted = batch.docs.filter(pl.col(TRUSTED)).select(DOC, "lang")
        rescoped = out_of_language(batch.lines.hits, rules, trusted)
        if rescoped.is_empty():
            return
        again = batch.docs.filter(pl.col(DOC).is_in(rescoped.implode())).with_columns(
            pl.col("lang").str.extract(LANG_CODE).alias(LANG_HINT)
        )
        batch.lines = batch.lines.replace(clean_lines(again, rules))


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
