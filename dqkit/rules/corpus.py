"""The rule tools' view of a corpus (``dqkit rules test --corpus``, ``dqkit rules
suggest``): documents read and normalised as ``dqkit clean`` does, rules matched, and the
repeated lines no rule covers yet."""

from __future__ import annotations

import polars as pl

from dqkit.assemble import clean_lines
from dqkit.detect.langid import DEFAULT_DETECTOR
from dqkit.detect.language import given_language, identify
from dqkit.detect.repeated_lines import repeated_lines
from dqkit.errors import DqkitError
from dqkit.frames import CARRIED, DOC, LANG_GIVEN, LANG_HINT, LINE_CHARS, MATCH_LOWER
from dqkit.io.readers import ReadOptions, read_corpus
from dqkit.io.sources import discover
from dqkit.normalize.unicode import normalise_documents
from dqkit.rules.engine import line_table
from dqkit.rules.loading import RuleSet
from dqkit.rules.suggest import Suggestion


def read_documents(inputs: list[str], text_field: str = "text", id_field: str = "id") -> pl.DataFrame:
    """The normalised documents of a corpus (``_doc, id, text, _lang_hint``, and the input's
    ``source`` column when it has one);
    unreadable records are skipped, as they are no use for counting rule hits."""
    discovery = discover(inputs)
    corpus = read_corpus(discovery.files, ReadOptions(text_field, id_field, "skip"))
    if corpus.documents.is_empty():
        raise DqkitError(f"empty corpus: no documents in {', '.join(inputs)}")
    docs = corpus.documents.with_row_index(DOC).with_columns(pl.col(DOC).cast(pl.Int64))
    docs = docs.with_columns(given_language(docs, LANG_GIVEN).alias(LANG_HINT))
    if CARRIED in docs.columns:
        fields = [f.name for f in docs.schema[CARRIED].fields]  # type: ignore[attr-defined]
        if "source" in fields:
            docs = docs.with_columns(pl.col(CARRIED).struct.field("source"))
        docs = docs.drop(CARRIED)
    normalised, _ = normalise_documents(docs.select(DOC, "text"))
    return docs.drop("text").join(normalised, on=DOC, how="left", maintain_order="left")


def rule_hits_on_corpus(inputs: list[str], rules: RuleSet, text_field: str = "text") -> dict[str, tuple[int, int]]:
    """Per rule id: (lines hit, documents hit) on a corpus, before any rescoping."""
    hits = clean_lines(read_documents(inputs, text_field), rules.rules).hits
    counts = hits.group_by("rule_id").agg(pl.len(), pl.col(DOC).n_unique())
    return {rule_id: (lines, documents) for rule_id, lines, documents in counts.iter_rows()}


def suggest_rules(
    inputs: list[str], rules: RuleSet, text_field: str = "text", top: int = 20, min_articles: int = 3
) -> list[Suggestion]:
    """Lines repeated across different articles of a corpus that no rule covers yet."""
    docs = read_documents(inputs, text_field)
    lines = line_table(docs.select(DOC, "text", LANG_HINT))
    covered = clean_lines(docs, rules.rules).hits.select(DOC, "line_no").unique()
    sources = docs.select(DOC, pl.col("source").cast(pl.String)) if "source" in docs.columns else None
    found = repeated_lines(lines, min_articles, covered, sources)
    repeated = found["_shape"].implode()
    suggestions = []
    for row in found.head(top).iter_rows(named=True):
        # Real body lines of the same documents, the no_match examples: the longest
        # lines that are not repeated elsewhere, one per document.
        body = (
            lines.filter(
                pl.col(DOC).is_in(row["_docs"])
                & pl.col(LINE_CHARS).is_between(40, 600)
                & ~pl.col(MATCH_LOWER).str.replace_all(r"\d+", "0").is_in(repeated)
            )
            .sort(LINE_CHARS, DOC, descending=[True, False])
            .unique(DOC, keep="first", maintain_order=True)["line"]
            .head(2)
            .to_list()
        )
        suggestions.append(
            Suggestion(
                text=row["text"],
                variants=tuple(v.strip() for v in row["variants"]),
                body_lines=tuple(body),
                lang=_majority_language(docs.filter(pl.col(DOC).is_in(row["_docs"][:3]))),
                articles=row["articles"],
                documents=row["documents"],
                sources=tuple(row["sources"]),
            )
        )
    return suggestions


def _majority_language(docs: pl.DataFrame) -> str:
    """The language most of ``docs`` give or, failing that, are trusted to be in; else ``any``."""
    given = docs[LANG_HINT].drop_nulls().to_list()
    found = identify(docs["text"].to_list(), DEFAULT_DETECTOR)
    guesses = given or found.filter(pl.col("trusted"))["lang"].to_list()
    return max(set(guesses), key=guesses.count).split("-")[0] if guesses else "any"
