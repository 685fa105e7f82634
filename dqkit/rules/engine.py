"""The rule matcher: every rule becomes a polars expression over a line table.

The line table has one row per line: ``_doc`` (document index), ``line_no`` (1-based),
``line`` (the text), ``_lang_hint`` (the document's language when the input carries one,
else null). Matching runs on a normalised copy of each line (NFKC, typographic quotes
folded to ``"`` and ``'``, zero-width characters removed, white space collapsed), so a
rule author writes plain quotes and single spaces.

Language scoping: a rule for ``de`` applies to a document whose input language is ``de``
(or ``de-AT``...), and to every document whose language is not known before cleaning.

Positions (``head_lines``/``tail_lines``, ``repeat.within_first_lines``) count non-blank
lines. A rule never matches a blank line. Rule matching knows nothing about files.

>>> import polars as pl
>>> docs = pl.DataFrame({"_doc": [0], "text": ["Title\\n\\nBody.\\n-"], "_lang_hint": [None]},
...                     schema_overrides={"_lang_hint": pl.String})
>>> lines = line_table(docs)
>>> lines.select("line_no", "line").rows()
[(1, 'Title'), (2, ''), (3, 'Body.'), (4, '-')]
"""

from __future__ import annotations

import functools

import polars as pl

from dqkit.frames import BLANK, DOC, LANG_HINT, LINE_CHARS, MATCH, MATCH_LOWER, change_where, non_ascii
from dqkit.rules.model import PhraseMatch, RegexMatch, RepeatMatch, Rule, regex_pattern
from dqkit.rules.prefilter import required_literals
from dqkit.rules.threads import on_rule_thread

QUOTE_FOLDS = {
    "„": '"',
    "“": '"',
    "”": '"',
    "‟": '"',
    "«": '"',
    "»": '"',
    "″": '"',
    "‚": "'",
    "‘": "'",
    "’": "'",
    "‛": "'",
    "‹": "'",
    "›": "'",
}
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
_FOLD_FROM = list(QUOTE_FOLDS) + list(ZERO_WIDTH)
_FOLD_TO = list(QUOTE_FOLDS.values()) + [""] * len(ZERO_WIDTH)
PUNCT_ONLY = r"^[\p{P}\p{S}\s]*$"


def normalise_for_match(expr: pl.Expr) -> pl.Expr:
    """The text rules see: NFKC, quotes folded, zero-width removed, spaces collapsed."""
    return (
        expr.str.normalize("NFKC").str.replace_many(_FOLD_FROM, _FOLD_TO).str.replace_all(r"\s+", " ").str.strip_chars()
    )


@functools.lru_cache(maxsize=4096)
def normalise_phrases(phrases: tuple[str, ...], lowercase: bool) -> tuple[str, ...]:
    """Phrases go through the very same normalisation as the lines (one implementation)."""
    expr = normalise_for_match(pl.col("p"))
    if lowercase:
        expr = expr.str.to_lowercase()
    folded = pl.DataFrame({"p": list(phrases)}).select(expr).to_series().to_list()
    # Longest first, so that with leftmost matching the longest phrase at a position wins.
    return tuple(sorted(set(folded), key=lambda p: (-len(p), p)))


def normalise_documents(texts: pl.Series) -> pl.Series:
    r""":func:`normalise_for_match` on whole documents, line by line: NFKC, quotes folded and
    zero-width characters removed, and white space collapsed within each line (not across
    ``\n``); each line is still to be stripped. Done on the documents, not on their lines,
    and only where it changes something (NFKC leaves ASCII as it is, and every character
    folded or removed is non-ASCII).

    >>> normalise_documents(pl.Series(["\ufb01ne \u201cquote\u201d\t end \nnext  line", "plain\f"])).to_list()
    ['fine "quote" end \nnext line', 'plain ']
    """
    texts = change_where(texts, non_ascii(texts), _normalise_unicode)
    # White space but "\n" and " " in ASCII: a class of four the regex engine scans 30 times
    # faster than [^\S\n ], which has non-ASCII members.
    texts = change_where(texts, texts.str.contains(r"[\t\x0b\x0c\r]"), _single_spaced)
    # Runs of plain spaces, the common case, with a pattern 15 times faster than the class.
    return change_where(texts, texts.str.contains("  ", literal=True), lambda t: t.str.replace_all(" {2,}", " "))


def _normalise_unicode(texts: pl.Series) -> pl.Series:
    r"""NFKC, quotes folded, zero-width characters removed and white space but ``\n``
    made single spaces, for texts that are not ASCII."""
    texts = texts.str.normalize("NFKC").str.replace_many(_FOLD_FROM, _FOLD_TO)
    return change_where(texts, texts.str.contains(r"[^\S\n ]"), _single_spaced)


def _single_spaced(texts: pl.Series) -> pl.Series:
    return texts.str.replace_all(r"[^\S\n]+", " ")


def line_table(docs: pl.DataFrame) -> pl.DataFrame:
    """Split documents (``_doc``, ``text``, ``_lang_hint``) into the line table.

    The match columns are those of :func:`with_match_columns`, computed on the documents
    before they are split (the same text: NFKC composes nothing across a line break).
    """
    lines = (
        docs.select(
            DOC,
            LANG_HINT,
            pl.col("text").str.split("\n").alias("line"),
            pl.lit(normalise_documents(docs["text"])).str.split("\n").alias(MATCH),
        )
        .with_columns(pl.int_ranges(1, pl.col("line").list.len() + 1, dtype=pl.Int32).alias("line_no"))
        .explode("line", MATCH, "line_no")
        .select(DOC, LANG_HINT, "line", "line_no", pl.col(MATCH).str.strip_chars())
    )
    return _with_match_derived(lines)


def _with_match_derived(lines: pl.DataFrame) -> pl.DataFrame:
    return lines.with_columns(
        pl.col(MATCH).str.to_lowercase().alias(MATCH_LOWER),
        pl.col("line").str.len_chars().alias(LINE_CHARS),
        (pl.col(MATCH) == "").alias(BLANK),
    )


def with_match_columns(lines: pl.DataFrame) -> pl.DataFrame:
    """``lines`` with the columns rules read (``_m``, ``_ml``, ``_len``, ``_blank``)
    computed from ``line``."""
    return _with_match_derived(lines.with_columns(normalise_for_match(pl.col("line")).alias(MATCH)))


def with_positions(lines: pl.DataFrame) -> pl.DataFrame:
    """Add ``_pos`` and ``_pos_end``: 1-based rank among the non-blank lines of the
    document, from the start and from the end (lines must be sorted by _doc, line_no)."""
    content = (~pl.col(BLANK)).cast(pl.Int32)
    running = content.cum_sum()
    # A document's lines are together: the running count less its value before the
    # document's first line is its cum_sum().over(DOC), which costs 10 times more.
    before_document = pl.when(pl.col(DOC).ne_missing(pl.col(DOC).shift(1))).then(running - content).forward_fill()
    return lines.with_columns(
        (running - before_document).alias("_pos"),
        content.sum().over(DOC).alias("_total"),
    ).with_columns((pl.col("_total") - pl.col("_pos") + 1).alias("_pos_end"))


def _phrase_match(target: pl.Expr, phrases: tuple[str, ...], anchor: str) -> pl.Expr:
    listed = list(phrases)
    if anchor == "anywhere":
        return target.str.contains_any(listed)
    if anchor in ("line_start", "line_end"):
        alternatives = "(?:" + "|".join(pl.escape_regex(p) for p in listed) + ")"
        return target.str.contains("^" + alternatives if anchor == "line_start" else alternatives + "$")
    remainder = target.str.replace_many(listed, [""] * len(listed), leftmost=True)
    return target.str.contains_any(listed) & remainder.str.contains(PUNCT_ONLY)


def _repeat_expr(spec: RepeatMatch) -> pl.Expr:
    in_window = (pl.col("_pos") <= spec.within_first_lines) & (pl.col(LINE_CHARS) >= spec.min_chars)
    key = pl.when(in_window).then(pl.col(MATCH_LOWER))
    # Not ``int_range(len()).over(...)``: polars runs that once per group, 10 times slower.
    later_copy = in_window & ~pl.struct(pl.col(DOC), key).is_first_distinct()
    # A later copy is at least the second: the copies need counting only when more are asked for.
    return later_copy if spec.min_count <= 2 else later_copy & (pl.len().over(DOC, key) >= spec.min_count)


def _match_expr(rule: Rule) -> pl.Expr:
    match rule.match:
        case RegexMatch(patterns=patterns, case=case, anchor=anchor):
            return pl.col(MATCH).str.contains(regex_pattern(patterns, anchor, case))
        case PhraseMatch(phrases=phrases, case=case, anchor=anchor):
            insensitive = case == "insensitive"
            target = pl.col(MATCH_LOWER) if insensitive else pl.col(MATCH)
            return _phrase_match(target, normalise_phrases(phrases, insensitive), anchor)
        case RepeatMatch() as spec:
            return _repeat_expr(spec)


def _exception_expr(rule: Rule) -> pl.Expr | None:
    parts = []
    if rule.exception_regex:
        parts.append(pl.col(MATCH).str.contains("|".join(f"(?:{p})" for p in rule.exception_regex)))
    if rule.exception_phrases:
        parts.append(pl.col(MATCH_LOWER).str.contains_any(list(normalise_phrases(rule.exception_phrases, True))))
    if not parts:
        return None
    return pl.any_horizontal(parts)


def candidate_expr(rule: Rule, with_window: bool = True) -> pl.Expr:
    """The cheap conditions of ``rule`` (blank line, language, length, position window):
    a line failing them cannot be hit (needs :func:`with_positions`)."""
    conditions = [~pl.col(BLANK)]
    if not rule.applies_to_all_languages:
        conditions.append(pl.col(LANG_HINT).is_null() | pl.col(LANG_HINT).is_in(list(rule.langs)))
    if rule.max_line_chars is not None:
        conditions.append(pl.col(LINE_CHARS) <= rule.max_line_chars)
    if rule.min_line_chars is not None:
        conditions.append(pl.col(LINE_CHARS) >= rule.min_line_chars)
    windows = []
    if rule.head_lines is not None:
        windows.append(pl.col("_pos") <= rule.head_lines)
    if rule.tail_lines is not None:
        windows.append(pl.col("_pos_end") <= rule.tail_lines)
    if isinstance(rule.match, RepeatMatch):
        windows.append(pl.col("_pos") <= rule.match.within_first_lines)
    if windows and with_window:
        conditions.append(pl.any_horizontal(windows))
    return pl.all_horizontal(conditions)


def match_expr(rule: Rule) -> pl.Expr:
    """The pattern of ``rule`` and its exceptions, to run on the candidate lines."""
    exception = _exception_expr(rule)
    return _match_expr(rule) if exception is None else _match_expr(rule) & ~exception


def _matching(lines: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """The ``lines`` that :func:`match_expr` holds on, with the exceptions run only on the
    lines the pattern matched (polars evaluates both sides of an ``&`` on every line)."""
    matched = lines.filter(_match_expr(rule))
    exception = _exception_expr(rule)
    return matched if exception is None else matched.filter(~exception)


HIT_SCHEMA = pl.Schema({DOC: pl.Int64, "line_no": pl.Int32, "rule": pl.Int32})


MIN_LITERAL_CHARS = 3  # shorter literals ("." in a date pattern) select nearly every line


@functools.lru_cache(maxsize=4096)
def rule_literals(rule: Rule) -> tuple[str, ...] | None:
    """Lowercased literals one of which every line ``rule`` hits contains (None: unknown
    or too weak to be worth a prefilter)."""
    literals: list[str] | tuple[str, ...]
    match rule.match:
        case PhraseMatch(phrases=phrases):
            literals = normalise_phrases(phrases, True)
        case RegexMatch(patterns=patterns):
            found = [required_literals(p) for p in patterns]
            if any(f is None for f in found):
                return None
            literals = sorted({lit for f in found if f is not None for lit in f})
        case RepeatMatch():
            return None
    return tuple(literals) if min(len(lit) for lit in literals) >= MIN_LITERAL_CHARS else None


def _holding_literals(lines: pl.DataFrame, literals: list[str]) -> pl.DataFrame:
    """``_row`` and the ``literals`` it holds (overlapping), of each of ``lines`` that holds one."""
    # Past 100 patterns polars' Aho-Corasick automaton is an NFA: the regex engine tells
    # twice as fast which lines hold a literal, and the automaton names them on those alone.
    any_literal = pl.col(MATCH_LOWER).str.contains("|".join(pl.escape_regex(lit) for lit in literals))
    return lines.filter(any_literal).select(
        "_row", pl.col(MATCH_LOWER).str.extract_many(literals, overlapping=True).alias("_literal")
    )


def _literal_candidates(
    lines: pl.DataFrame, rules: tuple[Rule, ...], indices: list[int]
) -> dict[int, pl.Series | None]:
    """Per rule, the rows that contain one of its literals (None: every row), found in
    one pass for all literals of all rules (:func:`_holding_literals`)."""
    literal_rules = [(lit, i) for i in indices for lit in (rule_literals(rules[i]) or ())]
    result: dict[int, pl.Series | None] = {i: None for i in indices if rule_literals(rules[i]) is None}
    if not literal_rules:
        return result
    table = pl.DataFrame(literal_rules, schema={"_literal": pl.String, "rule": pl.Int32}, orient="row")
    literals = table["_literal"].unique().sort().to_list()
    # On the thread of this set of literals, where their regex stays compiled.
    holding = on_rule_thread(("literals", *literals), _holding_literals, lines, literals).result()
    # The rows stay in order through the join, so each rule's come out ascending.
    found = holding.explode("_literal").join(table, on="_literal", maintain_order="left")
    by_rule = dict(found.group_by("rule").agg(pl.col("_row").unique(maintain_order=True)).iter_rows())
    for i in indices:
        if i not in result and i in by_rule:
            result[i] = pl.Series(by_rule[i], dtype=pl.UInt32)
    return result


def _rule_hits(candidates: pl.DataFrame, rule: Rule, i: int) -> pl.DataFrame:
    """The hits of ``rule`` (index ``i``) among the positioned ``candidates`` lines."""
    limited = rule.max_per_document is not None
    if limited and rule.positional and not isinstance(rule.match, RepeatMatch):
        # Only a document with a match inside the window can be hit: count the matches of
        # those documents alone (most have none, and the window holds a few lines).
        windowed = _matching(candidates.filter(candidate_expr(rule)), rule)
        candidates = candidates.filter(pl.col(DOC).is_in(windowed[DOC].unique().implode()))
    # A rule limited to N hits a document counts its matches anywhere in it, so its
    # position window is applied after the count.
    subset = candidates.filter(candidate_expr(rule, not limited))
    if subset.is_empty():  # no candidates: do not even compile the pattern
        return pl.DataFrame(schema=HIT_SCHEMA)
    hits = _matching(subset, rule)
    if limited:
        hits = hits.filter((pl.len().over(DOC) <= rule.max_per_document) & candidate_expr(rule))
    return hits.select(DOC, "line_no", pl.lit(i, dtype=pl.Int32).alias("rule")).cast(HIT_SCHEMA)


def evaluate(lines: pl.DataFrame, rules: tuple[Rule, ...], indices: list[int] | None = None) -> pl.DataFrame:
    """All (``_doc``, ``line_no``, ``rule``) hits of ``rules`` (or of the rules at
    ``indices``) on ``lines``; ``rule`` is the index into ``rules``.

    Each rule's pattern runs only on its candidate lines (:func:`candidate_expr`): the
    cheap column conditions and a scan for its literals come first.
    """
    indices = list(range(len(rules))) if indices is None else indices
    if lines.is_empty():
        return pl.DataFrame(schema=HIT_SCHEMA)
    return _evaluate_positioned(with_positions(lines), rules, indices)


def _evaluate_positioned(positioned: pl.DataFrame, rules: tuple[Rule, ...], indices: list[int]) -> pl.DataFrame:
    """:func:`evaluate` on lines that carry their positions (:func:`with_positions`), which
    may be some of the lines of a document only."""
    if not indices or positioned.is_empty():
        return pl.DataFrame(schema=HIT_SCHEMA)
    positioned = positioned.with_row_index("_row")
    candidates = _literal_candidates(positioned, rules, indices)
    # Each rule on its own thread (dqkit.rules.threads), where its regexes stay compiled; one
    # at a time, so that a worker uses one core (workers are the parallelism, not rules).
    parts = [pl.DataFrame(schema=HIT_SCHEMA)]
    for i, rows in candidates.items():
        subset = positioned if rows is None else positioned[rows]
        parts.append(on_rule_thread(rules[i], _rule_hits, subset, rules[i], i).result())
    return pl.concat(parts).sort(DOC, "line_no", "rule")


def _reads_document(rule: Rule) -> bool:
    """True when the rule's verdict on a line depends on other lines of its document,
    not only on the line and its position."""
    return isinstance(rule.match, RepeatMatch) or rule.max_per_document is not None


def _moved_into_window(rules: tuple[Rule, ...], indices: list[int]) -> pl.Expr:
    """Lines that a removal moved into a head, tail or repeat window of one of the rules
    at ``indices`` (``_pos_was``, ``_pos_end_was``: their positions before it)."""
    heads = {n for i in indices if (n := rules[i].head_lines) is not None}
    heads |= {r.match.within_first_lines for i in indices if isinstance((r := rules[i]).match, RepeatMatch)}
    tails = {n for i in indices if (n := rules[i].tail_lines) is not None}
    moved = [(pl.col("_pos") <= n) & (pl.col("_pos_was") > n) for n in sorted(heads)]
    moved += [(pl.col("_pos_end") <= n) & (pl.col("_pos_end_was") > n) for n in sorted(tails)]
    return pl.any_horizontal(moved) if moved else pl.lit(False)


def _could_count(lines: pl.DataFrame, rule: Rule, with_window: bool) -> pl.DataFrame:
    """The ``lines`` that ``rule`` could hit or count, each judged on its own (a repeat
    rule's copies are found among all its candidates)."""
    candidates = lines.filter(candidate_expr(rule, with_window))
    return candidates if isinstance(rule.match, RepeatMatch) else _matching(candidates, rule)


def _document_hits(
    positioned: pl.DataFrame, entered: pl.DataFrame, removed: pl.DataFrame, rule: Rule, i: int
) -> pl.DataFrame:
    """The hits of a rule that reads whole documents (:func:`_reads_document`), after a
    removal, on the documents where they can have changed: where a line the rule could hit
    or count entered its window, or was removed (it counted anywhere, if the rule is
    limited per document)."""
    docs = pl.concat(
        [
            _could_count(entered, rule, True).select(DOC),
            _could_count(removed, rule, rule.max_per_document is None).select(DOC),
        ]
    )[DOC].unique()
    return _rule_hits(positioned.filter(pl.col(DOC).is_in(docs.implode())), rule, i)


def match_lines(lines: pl.DataFrame, rules: tuple[Rule, ...], max_rounds: int = 5) -> pl.DataFrame:
    """Run the rules to a fixed point and return every hit with the line it removes.

    A removal can move another line into a rule's head/tail window or repeat window, so
    position-dependent rules run again on the documents that lost lines, until nothing
    new is removed. This keeps cleaning idempotent: a cleaned text gives no new hits.
    Returns ``_doc, line_no, rule`` (hits in order found, each line/rule pair once).

    Positions only ever decrease, so a line in a window stays in it, and a rule has
    judged every line that was in its windows before. A rule whose verdict on a line
    depends on that line and its position alone runs again only on the lines that
    entered a window; a repeat rule or one limited per document reads again only the
    documents where a line it could hit or count entered its window or was removed.
    """
    drop_rules = [i for i, r in enumerate(rules) if r.action in ("drop_line", "drop_doc")]
    positional = [i for i, r in enumerate(rules) if r.positional]
    whole_document = [i for i in positional if _reads_document(rules[i])]
    own_position = [i for i in positional if i not in whole_document]
    # Without the text as read, which no rule reads: every filter would copy it.
    positioned = with_positions(lines.drop("line"))
    hits = _evaluate_positioned(positioned, rules, list(range(len(rules))))
    all_hits = [hits]
    for _ in range(max_rounds):
        removed_keys = hits.filter(pl.col("rule").is_in(drop_rules)).select(DOC, "line_no").unique()
        if removed_keys.is_empty() or not positional:
            break
        # Only the documents that lost a line can change (in this round and all later ones).
        before = positioned.filter(pl.col(DOC).is_in(removed_keys[DOC].unique().implode()))
        removed = before.join(removed_keys, on=[DOC, "line_no"], how="semi")
        positioned = with_positions(
            before.join(removed_keys, on=[DOC, "line_no"], how="anti", maintain_order="left").with_columns(
                pl.col("_pos").alias("_pos_was"), pl.col("_pos_end").alias("_pos_end_was")
            )
        )
        parts = [_evaluate_positioned(positioned.filter(_moved_into_window(rules, own_position)), rules, own_position)]
        entered = positioned.filter(_moved_into_window(rules, whole_document))
        for i in whole_document:
            parts.append(on_rule_thread(rules[i], _document_hits, positioned, entered, removed, rules[i], i).result())
        seen = pl.concat(all_hits)
        hits = pl.concat(parts).sort(DOC, "line_no", "rule").join(seen, on=[DOC, "line_no", "rule"], how="anti")
        if hits.is_empty():
            break
        all_hits.append(hits)
    return pl.concat(all_hits).unique(maintain_order=True)
