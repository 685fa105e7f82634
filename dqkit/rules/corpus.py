"""The rule tools' view of a corpus (``dqkit rules list --corpus``, ``dqkit rules
suggest``): documents read and normalised as ``dqkit clean`` does, rules matched, and the
repeated lines no rule covers yet that the boilerplate classifier does not read as content."""

from __future__ import annotations

import polars as pl

from dqkit.assemble import LineOutcome, clean_lines, content_lines
from dqkit.detect.boilerplate import DEFAULT_MODE, SCORE, decide, load_model, repeatable, score_lines
from dqkit.detect.langid import DEFAULT_DETECTOR
from dqkit.detect.language import given_language, identify
from dqkit.detect.line_features import word_languages
from dqkit.detect.repeated_lines import repeated_lines
from dqkit.errors import DqkitError
from dqkit.frames import CARRIED, DOC, LANG_GIVEN, LANG_HINT, LINE_CHARS, MATCH_LOWER, SOURCE
from dqkit.io.readers import ReadOptions, check_text_field, read_corpus
from dqkit.io.sources import discover
from dqkit.normalize.unicode import normalise_documents
from dqkit.rules.engine import line_table
from dqkit.rules.loading import RuleSet
from dqkit.rules.suggest import Evidence, Suggestion


def read_documents(inputs: list[str], text_field: str = "text", id_field: str = "id") -> pl.DataFrame:
    """The normalised documents of a corpus (``_doc, id, text, _lang_hint``, and the input's
    ``source`` column when it has one);
    unreadable records are skipped, as they are no use for counting rule hits, but a file
    whose records lack the text field is an error that names it and the fields they have."""
    discovery = discover(inputs)
    corpus = read_corpus(discovery.files, ReadOptions(text_field, id_field, "skip"))
    check_text_field(corpus)
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
    """Lines repeated across different articles of a corpus that no rule covers yet and
    that are not content by the boilerplate classifier's evidence (:func:`line_evidence`)."""
    docs = read_documents(inputs, text_field)
    outcome = clean_lines(docs, rules.rules)
    lines = line_table(docs.select(DOC, "text", LANG_HINT))
    covered = outcome.hits.select(DOC, "line_no").unique()
    sources = docs.select(DOC, pl.col("source").cast(pl.String)) if "source" in docs.columns else None
    found = repeated_lines(lines, min_articles, covered, sources)
    repeated = found["_shape"].implode()
    evidence = line_evidence(found.select("_shape", "_lines").explode("_lines").unnest("_lines"), outcome, docs)
    found = found.join(evidence, on="_shape", how="left", maintain_order="left").filter(_suggested())
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
                evidence=Evidence(
                    lines=len(row["_lines"]),
                    scored=row["_scored"],
                    chrome=row["_chrome"],
                    content=row["_content"],
                    form_kept=row["_form_kept"],
                    median_score=row["_median_score"],
                    threshold=load_model().repeated_threshold,
                ),
            )
        )
    return suggestions


def line_evidence(occurrences: pl.DataFrame, outcome: LineOutcome, docs: pl.DataFrame) -> pl.DataFrame:
    """Per line shape (``occurrences``: ``_shape, _doc, line_no`` of each repeated line), what
    the boilerplate classifier makes of its lines, the evidence ``dqkit clean`` weighs before
    it removes a repeated line (:mod:`dqkit.stages.boilerplate`): ``_scored`` (lines scored),
    ``_median_score`` (their median content probability), ``_form_kept`` (lines that are table
    rows or lines of a hard-wrapped paragraph), ``_content`` (lines scored at least the model's
    ``repeated_threshold``) and ``_chrome`` (lines the stage would remove: scored below it, not
    kept by form, in a document in which some line reads as content). Lines that are neither
    give no evidence: the classifier cannot tell content from chrome in a document without
    content, nor a line kept by form that it scores as chrome (the form rules are loose on web
    pages: a menu under a line without a full stop "goes on" with it), and it cannot score a
    document it has no word list for.

    Each document that holds a repeated line is scored whole, as the rules leave it (the
    features read a line's neighbours and position), in the language it gives, else the
    lexicon language its function words fit (:func:`word_languages`, as the stage does
    without a detected language), else the language most documents of its input file fit
    (a table of prices has no function words, but is in its file's language).
    """
    model = load_model()
    held = occurrences.select(DOC).unique()
    texts = (
        outcome.texts.join(held, on=DOC, how="semi")
        .select(DOC, "text", "line_nos")
        .join(docs.select(DOC, SOURCE, pl.col(LANG_HINT).alias("lang")), on=DOC, how="left", maintain_order="left")
    )
    texts = word_languages(texts).with_columns(
        pl.col("lang").fill_null(pl.col("lang").drop_nulls().mode().sort().first().over(SOURCE))
    )
    lines = content_lines(texts.select(DOC, "text", "line_nos", "lang")).select(DOC, "line_no", "line", "lang")
    readable = pl.col("lang").is_not_null()
    scored = pl.concat(
        [
            score_lines(lines.filter(readable), model).select(DOC, "line_no", "line", SCORE),
            lines.filter(~readable).select(DOC, "line_no", "line", pl.lit(None, dtype=pl.Float64).alias(SCORE)),
        ]
    ).sort(DOC, "line_no")
    decided = decide(scored, model.threshold(DEFAULT_MODE), model.prose)
    low = pl.col(SCORE) < model.repeated_threshold
    verdicts = decided.select(
        DOC,
        pl.col("line_no").cast(pl.Int32),
        SCORE,
        "_form_kept",
        (~low).fill_null(False).alias("_content"),
        repeatable(model).fill_null(False).alias("_chrome"),
    )
    return (
        occurrences.with_columns(pl.col("line_no").cast(pl.Int32))
        .join(verdicts, on=[DOC, "line_no"], how="inner")
        .group_by("_shape")
        .agg(
            pl.col(SCORE).count().alias("_scored"),
            pl.col(SCORE).median().alias("_median_score"),
            pl.col("_form_kept").sum(),
            pl.col("_content").sum(),
            pl.col("_chrome").sum(),
        )
    )


def _suggested() -> pl.Expr:
    """Whether a line shape with :func:`line_evidence` is suggested: more of its lines are
    chrome than content ("Share on Facebook"), or none of them could be scored (a language
    the classifier has no word list for: suggested without its evidence, as the comment
    says). Not suggested: a cell of a table or the end of a wrapped sentence ("said."), which
    score as content or are kept by form, and a sentence that many articles share (also
    Reuters' placeholder "Blah blah blah.", which reads as one)."""
    return (pl.col("_chrome") > pl.col("_content")) | (pl.col("_scored") == 0)


def _majority_language(docs: pl.DataFrame) -> str:
    """The language most of ``docs`` give or, failing that, are trusted to be in; else ``any``."""
    given = docs[LANG_HINT].drop_nulls().to_list()
    found = identify(docs["text"].to_list(), DEFAULT_DETECTOR)
    guesses = given or found.filter(pl.col("trusted"))["lang"].to_list()
    return max(set(guesses), key=guesses.count).split("-")[0] if guesses else "any"
