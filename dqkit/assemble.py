"""Turn rule verdicts into clean text, line edits and per-document counts.

:func:`clean_lines` is the whole line stage: line table, rule matching, removal.

A removed line leaves a seam; blank lines that only separated it from its neighbours
are folded so the clean text has no holes: a blank line is dropped when a removal sits
between it and the previous kept blank line, or when removals leave it at the very
start or end of the document. Every dropped line, blank or not, is an edit.

A ``drop_span`` rule cuts its span from the start or the end of a line and keeps the
rest (:func:`cut_spans`); a line a ``drop_line`` rule removes is not cut.

>>> import polars as pl
>>> from dqkit.rules.engine import line_table
>>> docs = pl.DataFrame({"_doc": [0], "text": ["Body.\\n\\nFooter\\n\\nMore footer"], "_lang_hint": [None]},
...                     schema_overrides={"_lang_hint": pl.String})
>>> lines = line_table(docs)
>>> removed = pl.DataFrame({"_doc": [0, 0], "line_no": [3, 5], "rule_id": ["r", "r"]},
...                        schema_overrides={"line_no": pl.Int32})
>>> text, _ = assemble(lines, removed)
>>> text["text"].to_list()
['Body.']
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from dqkit.frames import BLANK, DOC, EDITS, LANG_HINT, LINE_CHARS, MATCH, as_edits
from dqkit.kinds import EditKind
from dqkit.rules.engine import (
    PUNCT_ONLY,
    QUOTE_FOLDS,
    ZERO_WIDTH,
    line_table,
    match_lines,
    normalise_for_match,
    with_match_columns,
)
from dqkit.rules.model import RegexMatch
from dqkit.rules.schema import Rule


def _previous_in_document(expr: pl.Expr) -> pl.Expr:
    """``expr`` on the previous row if it is of the same document, else null: for rows in
    document order, ``expr.shift(1).over(DOC)`` without its per-document cost (100 times more)."""
    return pl.when(pl.col(DOC) == pl.col(DOC).shift(1)).then(expr.shift(1))


def _mark(lines: pl.DataFrame, removed: pl.DataFrame) -> pl.DataFrame:
    marked = lines.join(removed, on=[DOC, "line_no"], how="left", maintain_order="left")
    marked = marked.with_columns(pl.col("rule_id").is_not_null().alias("_removed"))
    content_line = pl.col("line_no").filter(~pl.col("_removed") & ~pl.col(BLANK))
    marked = marked.with_columns(
        content_line.min().over(DOC).fill_null(2**31 - 1).alias("_first_content"),
        content_line.max().over(DOC).fill_null(0).alias("_last_content"),
    )
    marked = marked.with_columns(
        (pl.col("_removed") & (pl.col("line_no") < pl.col("_first_content"))).any().over(DOC).alias("_cut_head"),
        (pl.col("_removed") & (pl.col("line_no") > pl.col("_last_content"))).any().over(DOC).alias("_cut_tail"),
    )
    kept = marked.filter(~pl.col("_removed")).with_columns(
        _previous_in_document(pl.col(BLANK)).alias("_prev_blank"),
        (pl.col("line_no") - _previous_in_document(pl.col("line_no"))).alias("_gap"),
    )
    fold = pl.col(BLANK) & (
        (pl.col("_prev_blank").fill_null(False) & (pl.col("_gap") > 1))
        | ((pl.col("line_no") < pl.col("_first_content")) & pl.col("_cut_head"))
        | ((pl.col("line_no") > pl.col("_last_content")) & pl.col("_cut_tail"))
    )
    folded = kept.filter(fold).select(DOC, "line_no")
    return marked.join(
        folded.with_columns(pl.lit(True).alias("_folded")), on=[DOC, "line_no"], how="left", maintain_order="left"
    ).with_columns(pl.col("_folded").fill_null(False))


def assemble(
    lines: pl.DataFrame, removed: pl.DataFrame, cut: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply removals to the line table.

    ``removed`` holds ``_doc, line_no, rule_id`` for each line a rule removes; ``cut``
    (``_doc, line_no, line``) the lines whose spans were cut, as they are left. Returns
    (per document: ``_doc, text, line_nos`` (the original number of each kept line),
    ``chars_in, chars_removed`` (characters of non-blank lines; the characters of a cut
    span are removed ones); the edits of kind ``line_removed`` and ``blank_line_folded``).
    """
    marked = _mark(lines, removed)
    cut_chars = pl.lit(0, dtype=pl.Int64)
    if cut is not None and not cut.is_empty():
        marked = marked.join(cut.rename({"line": "_cut"}), on=[DOC, "line_no"], how="left", maintain_order="left")
        cut_chars = (pl.col(LINE_CHARS).cast(pl.Int64) - pl.col("_cut").str.len_chars()).fill_null(0)
        marked = marked.with_columns(cut_chars.alias("_cut_chars"), pl.coalesce("_cut", "line").alias("line"))
        cut_chars = pl.col("_cut_chars")
    keep = ~pl.col("_removed") & ~pl.col("_folded")
    content_chars = pl.when(~pl.col(BLANK)).then(pl.col(LINE_CHARS)).otherwise(0)
    texts = marked.group_by(DOC, maintain_order=True).agg(
        pl.col("line").filter(keep).str.join("\n").alias("text"),
        pl.col("line_no").filter(keep).alias("line_nos"),
        content_chars.sum().cast(pl.Int64).alias("chars_in"),
        (content_chars.filter(pl.col("_removed")).sum() + cut_chars.filter(keep).sum())
        .cast(pl.Int64)
        .alias("chars_removed"),
    )
    edits = marked.filter(pl.col("_removed") | pl.col("_folded")).select(
        DOC,
        "line_no",
        pl.when(pl.col("_removed"))
        .then(pl.lit(EditKind.LINE_REMOVED))
        .otherwise(pl.lit(EditKind.BLANK_LINE_FOLDED))
        .alias("kind"),
        "rule_id",
        pl.col("line").alias("before"),
        pl.lit(None, dtype=pl.String).alias("after"),
    )
    return texts, edits


# What the normalised copy of a line drops at its edges (white space, zero-width characters).
_EDGE = "[\\s" + "".join(f"\\x{{{ord(c):04x}}}" for c in ZERO_WIDTH) + "]*"
# Each character the normalised line has, and the characters of the line as read it may stand for.
_AS_READ = {
    " ": r"\s+",
    **{
        folded: "[" + folded + "".join(c for c, to in QUOTE_FOLDS.items() if to == folded) + "]"
        for folded in sorted(set(QUOTE_FOLDS.values()))
    },
}


def _as_read(span: pl.Expr) -> pl.Expr:
    """A regex for ``span`` (text of the normalised line) on the line as read: literal but
    for the runs of white space and the typographic quotes that normalising folded."""
    return span.str.escape_regex().str.replace_many(list(_AS_READ), list(_AS_READ.values()))


def _cut(line: pl.Expr, span: pl.Expr, anchor: str) -> pl.Expr:
    """``line`` (as read) without ``span`` (as rules saw it) and the white space at the seam,
    null where the span is not at that end of it. White space before a span at the start
    stays; white space after one at the end goes with it."""
    if anchor == "line_start":  # one pattern a line to compile: the edge is found by a fixed one
        edge = line.str.extract(f"^({_EDGE})", 1).str.len_chars()
        through = line.str.extract(pl.concat_str(pl.lit(f"^{_EDGE}"), _as_read(span), pl.lit(r"\s*")), 0)
        return line.str.slice(0, edge) + line.str.slice(through.str.len_chars())
    found = pl.concat_str(pl.lit(r"(\s*"), _as_read(span), pl.lit(f")({_EDGE})$"))
    cut = line.str.extract(found, 0).str.len_chars()
    return line.str.slice(0, line.str.len_chars() - cut)


def _repeated(match: RegexMatch) -> str:
    r"""The span a ``drop_span`` rule cuts: its pattern at its end of the line, as many
    times over as it repeats there ("SEOUL: BERLIN: "), so that the rest does not begin
    (or end) with another match of it.

    >>> _repeated(RegexMatch(("[A-Z]+: ",), anchor="line_start"))
    '^(?:(?:(?:[A-Z]+: ))\\s*)+'
    """
    body = "|".join(f"(?:{p})" for p in match.patterns)
    flag = "(?i)" if match.case == "insensitive" else ""
    if match.anchor == "line_start":
        return rf"{flag}^(?:(?:{body})\s*)+"
    return rf"{flag}(?:\s*(?:{body}))+$"


def cut_spans(lines: pl.DataFrame, hits: pl.DataFrame, rules: tuple[Rule, ...]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cut the spans of the ``drop_span`` hits (``_doc, line_no, rule, rule_id``) from
    their lines (the line table's ``line``, ``_m``).

    A line gets at most one cut at its start and one at its end: the first rule in rule
    order for each, the start first; a cut takes the rule's match as often as it repeats
    at that end (:func:`_repeated`). The rule's pattern finds the span on the normalised
    line, as rules see it; the span is then found at the same end of the line as read
    (white space runs and typographic quotes allowed where normalising folded them), and
    the cut stands only where what is left of the two lines is the same text once
    normalised (not where NFKC changed the span, say). A cut that would leave nothing but
    white space and punctuation is not made: emptying a line is for ``drop_line`` rules.
    Returns (``_doc, line_no, line``: each cut line as left; the ``span_removed`` edits,
    one per cut, ``before`` and ``after`` the cut).
    """
    span_rules = {
        i: rule.match
        for i, rule in enumerate(rules)
        if rule.action == "drop_span" and isinstance(rule.match, RegexMatch)
    }
    spans = hits.filter(pl.col("rule").is_in(list(span_rules)))
    if spans.is_empty():
        return pl.DataFrame(schema={DOC: pl.Int64, "line_no": pl.Int32, "line": pl.String}), pl.DataFrame(schema=EDITS)
    anchors = pl.DataFrame(
        {"rule": list(span_rules), "_anchor": [m.anchor for m in span_rules.values()]},
        schema={"rule": pl.Int32, "_anchor": pl.String},
    )
    first = (
        spans.join(anchors, on="rule")
        .sort(DOC, "line_no", "rule")
        .group_by(DOC, "line_no", "_anchor", maintain_order=True)
        .agg(pl.col("rule").first(), pl.col("rule_id").first())
    )
    current = lines.join(first.select(DOC, "line_no").unique(), on=[DOC, "line_no"], how="semi").select(
        DOC, "line_no", "line", MATCH
    )
    edits = []
    for anchor in ("line_start", "line_end"):
        todo = current.join(first.filter(pl.col("_anchor") == anchor), on=[DOC, "line_no"], how="inner")
        for i, match in span_rules.items():
            if match.anchor != anchor:
                continue
            span = pl.col(MATCH).str.extract(_repeated(match), 0)
            rest = (
                pl.col(MATCH).str.slice(span.str.len_chars())
                if anchor == "line_start"
                else pl.col(MATCH).str.slice(0, pl.col(MATCH).str.len_chars() - span.str.len_chars())
            ).str.strip_chars()
            cut = todo.filter(pl.col("rule") == i).with_columns(
                _cut(pl.col("line"), span, anchor).alias("_line"), rest.alias("_rest")
            )
            made = cut.filter(
                (pl.col("_line") != pl.col("line"))
                & (normalise_for_match(pl.col("_line")) == pl.col("_rest"))
                & ~pl.col("_rest").str.contains(PUNCT_ONLY)
            )
            edits.append(
                made.select(
                    DOC,
                    "line_no",
                    pl.lit(EditKind.SPAN_REMOVED).alias("kind"),
                    "rule_id",
                    pl.col("line").alias("before"),
                    pl.col("_line").alias("after"),
                )
            )
            current = current.update(
                made.select(DOC, "line_no", pl.col("_line").alias("line"), pl.col("_rest").alias(MATCH)),
                on=[DOC, "line_no"],
            )
    span_edits = pl.concat([pl.DataFrame(schema=EDITS), *(as_edits(e) for e in edits)])
    cut_lines = current.join(span_edits.select(DOC, "line_no").unique(), on=[DOC, "line_no"], how="semi")
    return cut_lines.select(DOC, "line_no", "line"), span_edits


@dataclass
class LineOutcome:
    hits: pl.DataFrame  # _doc, line_no, rule, rule_id, action, line: every hit
    doc_drops: pl.DataFrame  # _doc, rule_id, line_no: documents a drop_doc rule rejects
    texts: pl.DataFrame  # _doc, text, line_nos, chars_in, chars_removed (the other documents)
    edits: pl.DataFrame  # line_removed, blank_line_folded, line_flagged and span_removed edits

    def replace(self, other: LineOutcome) -> LineOutcome:
        """This outcome with the documents that ``other`` covers taken from ``other``."""
        docs = pl.concat([other.texts.select(DOC), other.doc_drops.select(DOC)]).unique()

        def merge(mine: pl.DataFrame, theirs: pl.DataFrame) -> pl.DataFrame:
            kept = mine.join(docs, on=DOC, how="anti", maintain_order="left")
            return pl.concat([kept, theirs]).sort(DOC, maintain_order=True)

        return LineOutcome(
            *(merge(getattr(self, name), getattr(other, name)) for name in ("hits", "doc_drops", "texts", "edits"))
        )


MAX_SPAN_ROUNDS = 100  # a round cuts at least one character of each line it changes


def _first_per_line(hits: pl.DataFrame, action: str) -> pl.DataFrame:
    """``_doc, line_no, rule_id``: the first rule (rule order) of ``action`` that hit each line."""
    return (
        hits.filter(pl.col("action") == action)
        .sort(DOC, "line_no", "rule")
        .group_by(DOC, "line_no", maintain_order=True)
        .agg(pl.col("rule_id").first())
    )


def clean_lines(docs: pl.DataFrame, rules: tuple[Rule, ...], undo: pl.DataFrame | None = None) -> LineOutcome:
    """Match ``rules`` on the lines of ``docs`` (``_doc, text, _lang_hint``) and remove
    what they drop. A line hit by several rules is credited to the first (rule order).
    The hits in ``undo`` (``_doc, line_no, rule``) are ignored, as if the rule had not matched.

    A line that a span was cut from is matched again, as a cleaned text would be, until
    nothing more is cut (on the documents that changed; at most ``MAX_SPAN_ROUNDS``
    rounds): a dateline that another span rule's cut uncovers is cut too, and a line
    whose rest a ``drop_line`` rule hits is removed (with no span edit). So cleaning the
    clean text changes nothing further."""
    as_read = line_table(docs.select(DOC, "text", LANG_HINT))
    rule_table = pl.DataFrame(
        {"rule": range(len(rules)), "rule_id": [r.id for r in rules], "action": [r.action for r in rules]},
        schema={"rule": pl.Int32, "rule_id": pl.String, "action": pl.String},
    )

    def hits_on(lines: pl.DataFrame) -> pl.DataFrame:
        matched = match_lines(lines, rules)
        if undo is not None:
            matched = matched.join(undo.select(DOC, "line_no", "rule"), on=[DOC, "line_no", "rule"], how="anti")
        # Every hit is on one of the lines: an inner join, 3 times faster than a left one here.
        return matched.join(rule_table, on="rule", how="left", maintain_order="left").join(
            lines.select(DOC, "line_no", "line"), on=[DOC, "line_no"], how="inner", maintain_order="left"
        )

    lines, hits = as_read, hits_on(as_read)
    cutting, span_edits = [], []  # per round: the span hits that cut a line, their edits
    for _ in range(MAX_SPAN_ROUNDS):
        removed = _first_per_line(hits, "drop_line").select(DOC, "line_no")
        cut, edits = cut_spans(lines.join(removed, on=[DOC, "line_no"], how="anti"), hits, rules)
        if cut.is_empty():
            break
        span_edits.append(edits)
        cutting.append(hits.join(edits.select(DOC, "line_no", "rule_id"), on=[DOC, "line_no", "rule_id"], how="semi"))
        changed = cut.select(DOC).unique()
        lines = lines.update(with_match_columns(cut), on=[DOC, "line_no"])
        hits = pl.concat([hits.join(changed, on=DOC, how="anti"), hits_on(lines.join(changed, on=DOC, how="semi"))])
    if cutting:
        hits = pl.concat([*cutting, hits]).sort(DOC, "line_no", maintain_order=True)
    doc_drops = (
        hits.filter(pl.col("action") == "drop_doc")
        .sort(DOC, "rule", "line_no")
        .group_by(DOC, maintain_order=True)
        .agg(pl.col("rule_id").first(), pl.col("line_no").first())
    )
    as_read = as_read.join(doc_drops.select(DOC), on=DOC, how="anti", maintain_order="left")
    removed = _first_per_line(hits, "drop_line")
    # A line that a drop_line rule removes in the end gets no span edit: it goes as read.
    # Edits and flags are on lines of the documents: those of the documents kept are not in
    # doc_drops (cheaper to tell than a semi-join with all lines kept).
    kept_spans = (
        pl.concat([pl.DataFrame(schema=EDITS), *span_edits])
        .join(removed.select(DOC, "line_no"), on=[DOC, "line_no"], how="anti")
        .join(doc_drops.select(DOC), on=DOC, how="anti", maintain_order="left")
    )
    cut_lines = lines.join(kept_spans.select(DOC, "line_no").unique(), on=[DOC, "line_no"], how="semi")
    texts, line_edits = assemble(as_read, removed, cut_lines.select(DOC, "line_no", "line"))
    flags = (
        hits.filter(pl.col("action") == "flag")
        .join(removed.select(DOC, "line_no"), on=[DOC, "line_no"], how="anti")
        .join(doc_drops.select(DOC), on=DOC, how="anti", maintain_order="left")
        .select(
            DOC,
            "line_no",
            pl.lit(EditKind.LINE_FLAGGED).alias("kind"),
            "rule_id",
            pl.col("line").alias("before"),
            pl.lit(None, dtype=pl.String).alias("after"),
        )
    )
    edits = pl.concat([as_edits(line_edits), as_edits(flags), kept_spans]).sort(DOC, "line_no", maintain_order=True)
    return LineOutcome(hits=hits, doc_drops=doc_drops, texts=texts, edits=edits)


def out_of_language(hits: pl.DataFrame, rules: tuple[Rule, ...], languages: pl.DataFrame) -> pl.DataFrame:
    """The hits (``_doc, line_no, rule, line, lang``) of rules made for other languages than
    the one in ``languages`` (``_doc, lang``) for their document; documents missing from
    ``languages`` have none."""
    rule_langs = pl.DataFrame(
        [(i, lang) for i, r in enumerate(rules) if not r.applies_to_all_languages for lang in r.langs],
        schema={"rule": pl.Int32, "lang": pl.String},
        orient="row",
    )
    scoped = hits.join(rule_langs.select("rule").unique(), on="rule", how="semi")
    known = languages.select(DOC, pl.col("lang").str.extract(r"^([a-z]{2,3})")).filter(pl.col("lang").is_not_null())
    candidates = scoped.join(known, on=DOC, how="inner")
    return candidates.join(rule_langs, on=["rule", "lang"], how="anti").select(DOC, "line_no", "rule", "line", "lang")


def kept_lines(texts: pl.DataFrame) -> pl.DataFrame:
    """The clean text as a line table with the original line numbers (``_doc, line_no, line``
    + the other columns of ``texts``, e.g. ``lang``)."""
    return (
        texts.filter(pl.col("line_nos").list.len() > 0)  # nothing kept: no lines
        .with_columns(pl.col("text").str.split("\n").alias("line"))
        .explode("line", "line_nos")
        .rename({"line_nos": "line_no"})
        .drop("text")
    )


def content_lines(texts: pl.DataFrame) -> pl.DataFrame:
    """:func:`kept_lines` less the lines that are blank as the rules see them. Only a line
    without a letter or a digit can be blank after normalising, so only those are normalised
    (normalising every line costs more than the rest of a classifier pass)."""
    lines = kept_lines(texts)
    unclear = lines.filter(~pl.col("line").str.contains(r"[\p{L}\p{N}]"))
    blank = unclear.filter(normalise_for_match(pl.col("line")) == "").select(DOC, "line_no")
    return lines.join(blank, on=[DOC, "line_no"], how="anti", maintain_order="left")


def replace_lines(texts: pl.DataFrame, changed: pl.DataFrame) -> pl.DataFrame:
    """``texts`` with the lines in ``changed`` (``_doc, line_no, line``) replaced."""
    if changed.is_empty():
        return texts
    docs = changed.select(DOC).unique()
    lines = (
        kept_lines(texts.join(docs, on=DOC, how="semi").select(DOC, "text", "line_nos"))
        .join(changed.rename({"line": "_new"}), on=[DOC, "line_no"], how="left", maintain_order="left")
        .with_columns(pl.col("_new").fill_null(pl.col("line")).alias("line"))
    )
    rebuilt = lines.group_by(DOC, maintain_order=True).agg(pl.col("line").str.join("\n").alias("_text"))
    return (
        texts.join(rebuilt, on=DOC, how="left", maintain_order="left")
        .with_columns(pl.col("_text").fill_null(pl.col("text")).alias("text"))
        .drop("_text")
    )
