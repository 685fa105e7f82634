"""MT-artefact signals and missing-space join repair: recall, false positives on human German, speed.

    python benchmarks/bench_mt.py [--per-type 3000] [--seed 20241028] [--repeats 3] [--against 76336b1]

1. Seed gold (../shared/eval/seed_gold.jsonl over seeds/*.txt): recall per (kind,
   subkind) and by confidence. A ``missing_space_join`` is recalled by a ``join_repaired``
   edit on its line whose ``before`` holds the gold text. An ``mt_artefact`` (and the
   syndication notice) is recalled by an ``mt_reasons`` example that overlaps the gold
   span; examples are located in the article as read, white space ignored (one that is
   not verbatim text, like ``number_scale``'s, by its longest leading run of words found).
   ``unbalanced_quotes`` and ``paragraph_language`` name a paragraph, not a span: they
   recall only quote subkinds or ``untranslated_english`` in that paragraph;
   ``mixed_quote_styles`` is a document signal and recalls quote subkinds anywhere. A
   signal's example is its first occurrence only, and the document-level gold record has
   no span. The gold negatives must stay untouched (``repair_line`` also runs on their
   raw lines, which the rules may remove first).
2. Human German (no MT): 10kGNAD test, German Wikinews, and the human translations and
   German originals of WMT22, each cleaned on its own with ``lang=de`` and
   ``--no-dedup``: every join repair, reviewed by hand (join_review.csv: *real* = the
   source lacks the space, *wrong* = the repair changed correct text), join flags, and MT
   flags (signal occurrences, the sum of ``count``) per 10,000 words (whitespace tokens).
   Goals: no wrong repair (and none unreviewed); at most 1 MT flag per 10,000 words.
3. wmt-de-dev cleaned in one run: AUROC of ``mt_score`` for MT output against human
   translation (Mann-Whitney, ties half), per language pair and domain, signals per
   10,000 words per group, and AUROC with each signal left out of ``mt_score``.
3b. The learned model out of fold (5 folds by ``langpair:doc_id``) beside the character
   n-gram baseline and the artefact score, per domain; and each domain scored by a model
   fitted on the other domains only.
4. Joins injected at random into Wikinews paragraphs: lost sentence boundaries with
   the period kept (``Ende.Der``) or lost (``EndeDer``) after a word, acronym or closing
   quote (not ordinals, initials or abbreviations), and in-sentence joins
   (``derPräsident``). In corpus: one ``dqkit clean --no-dedup`` per type over the cases
   plus the untouched 10kGNAD and Wikinews articles (corpus evidence); alone:
   ``repair_line(line, "de", {}, {})``. Repaired correctly = a ``join_repaired`` on the
   glued token that puts the space back exactly where it was lost. Goal: at least 60 %
   per type, in corpus.
5. Speed: Wikinews + 10kGNAD (``lang=de``) with and without ``--no-join-repair``, runs
   alternating and pinned to one core, stage seconds from timings.json; and the time
   wordfreq takes to load its lists in a fresh process.
6. Speed: the MT stage's share (``mt_signals`` + ``mt_drop``) of the shard stage seconds
   in a ``--no-langid`` run on Reuters, side by side with the tree of ``--against`` (the
   commit before the learned model and the spans), runs alternating and pinned to one
   core. Goal: at most 10 %.

Every run is a fresh ``python -m dqkit clean`` in a temporary folder (built-in rules only).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import regex
import scipy.sparse as sp
import xxhash
from results import (
    DATA,
    ONE_THREAD,
    ROOT,
    CleanOutputs,
    Section,
    clean_outputs,
    md,
    pct,
    pin_to_one_core,
    read_jsonl,
    require,
    seconds_cell,
    timed_clean,
    write_jsonl,
)

from dqkit.detect import mt_training
from dqkit.detect.mt_model import BUCKETS, term_counts
from dqkit.detect.mt_signals import mt_score
from dqkit.normalize.joins import OUTER, repair_line
from dqkit.normalize.lexicon import load_lexicon

GOLD = ROOT.parent / "shared" / "eval" / "seed_gold.jsonl"
SEEDS = ROOT / "seeds"
GNAD = DATA / "german-news-human" / "10kgnad_test.jsonl.gz"
WIKI = DATA / "german-news-human" / "dewikinews_1k.jsonl.gz"
WMT = DATA / "wmt-de-dev" / "wmt22_de_docs.jsonl.gz"
REVIEW_FILE = Path(__file__).with_name("join_review.csv")
HUMAN = {  # corpus -> (file, text_type of the records taken, or None for all)
    "10kGNAD test": (GNAD, None),
    "German Wikinews": (WIKI, None),
    "WMT22 human translations": (WMT, "human_translation"),
    "WMT22 German originals": (WMT, "original"),
}
GOAL_MT_FLAGS_PER_10K = 1.0
GOAL_JOIN_RECALL = 0.60
MAX_SPANS, MAX_MISSES = 60, 12  # MT-flagged spans listed per corpus; missed injected joins per type
# Signals whose example names a paragraph or the document, not a span: the gold they can recall.
PARAGRAPH_SIGNALS = {
    "unbalanced_quotes": lambda g: "quote" in g["subkind"],
    "paragraph_language": lambda g: g["subkind"] == "untranslated_english",
}
DOCUMENT_SIGNALS = {"mixed_quote_styles": lambda g: "quote" in g["subkind"]}


@dataclass
class Run:
    """One dqkit run, with its join edits and removed lines by document."""

    outputs: CleanOutputs
    joins: dict[str, list[tuple]] = field(
        default_factory=lambda: defaultdict(list)
    )  # (line, kind, rule, before, after)
    removed: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def __post_init__(self):
        for e in self.outputs.edits:
            if e["kind"] in ("join_repaired", "join_flagged"):
                self.joins[e["doc_id"]].append((e["line_no"], e["kind"], e["rule_id"], e["before"], e["after"]))
            elif e["kind"] == "line_removed":
                self.removed[e["doc_id"]].add(e["line_no"])

    @property
    def clean(self) -> dict[str, dict]:
        return self.outputs.clean


def run(records: list[dict], workdir: Path, name: str, extra: list[str] = ()) -> Run:
    return Run(clean_outputs(write_jsonl(records, workdir / f"{name}.jsonl"), workdir, ["--no-dedup", *extra]))


def german(records: list[dict]) -> list[dict]:
    return [{"id": r["id"], "text": r["text"], "lang": "de"} for r in records]


def words(text: str) -> int:
    return len(text.split())


def per10k(count: int, n_words: int) -> str:
    return f"{count / n_words * 1e4:.2f} ({count:,})" if n_words else "–"


def signal_counts(rows) -> tuple[Counter, Counter]:
    """Occurrences (sum of count) and documents per artefact signal (the learned model's
    reason is no artefact: its figures are the probabilities)."""
    occurrences, docs = Counter(), Counter()
    for row in rows:
        for reason in row.get("mt_reasons") or []:
            if reason["signal"] == "model":
                continue
            occurrences[reason["signal"]] += reason["count"]
            docs[reason["signal"]] += 1
    return occurrences, docs


# --- 1. seed gold -----------------------------------------------------------------------------


def locate(example: str, text: str) -> list[tuple[int, int]]:
    """Every (start, end) in ``text`` where the example occurs, white space ignored; an
    example that is not verbatim text is located by its longest leading run of words (at
    least 6 characters) that is."""
    kept = [(i, c) for i, c in enumerate(text) if not c.isspace()]
    squeezed, index = "".join(c for _, c in kept), [i for i, _ in kept]
    tokens = unicodedata.normalize("NFC", example).split()
    for k in range(len(tokens), 0, -1):
        needle = "".join(tokens[:k])
        if len(needle) < 6 and k < len(tokens):
            break
        spans, at = [], squeezed.find(needle) if needle else -1
        while at >= 0:
            spans.append((index[at], index[at + len(needle) - 1] + 1))
            at = squeezed.find(needle, at + 1)
        if spans:
            return spans
    return []


def recalling_signals(g: dict, signals: list[dict], starts: list[int]) -> list[str]:
    """The signals of the gold record's file that recall it (the matching rules are in the docstring)."""
    start = starts[g["line"] - 1]
    span = (start + g["start"], start + g["end"])
    found = []
    for s in signals:
        if s["signal"] in DOCUMENT_SIGNALS:
            hit = DOCUMENT_SIGNALS[s["signal"]](g)
        elif s["signal"] in PARAGRAPH_SIGNALS:
            hit = PARAGRAPH_SIGNALS[s["signal"]](g) and any(
                bisect.bisect_right(starts, a) == bisect.bisect_right(starts, span[0]) for a, _ in s["spans"]
            )
        else:
            hit = any(a < span[1] and span[0] < b for a, b in s["spans"])
        found += [s["signal"]] if hit else []
    return found


def score_gold(g: dict, seeds: Run, texts: dict[str, str], signals: dict, starts: dict) -> None:
    """Add to a gold record what recalled it (``how``) or, for a negative, what touched it."""
    line_no = g["line"] if isinstance(g["line"], int) else None  # "doc": a document-level record
    g["how"], g["line_removed"] = [], line_no in seeds.removed.get(g["file"], set())
    joins = [j for j in seeds.joins.get(g["file"], []) if j[0] == line_no and g["text"] in j[3]]
    if line_no is None:
        return
    if g["kind"] == "negative":
        raw_line = texts[g["file"]].split("\n")[line_no - 1]
        g["touched"] = [f"{kind} {before} → {after}" for _, kind, _, before, after in joins]
        g["alone"] = [f"{k} {b} → {a}" for k, _, b, a in repair_line(raw_line, "de", {}, {})[1] if g["text"] in b]
        spans_only = [s for s in signals[g["file"]] if s["signal"] not in PARAGRAPH_SIGNALS | DOCUMENT_SIGNALS]
        g["flagged"] = recalling_signals(g, spans_only, starts[g["file"]])
    elif g["kind"] == "missing_space_join":
        g["how"] = [f"{rule} {before} → {after}" for _, kind, rule, before, after in joins if kind == "join_repaired"]
    else:
        g["how"] = recalling_signals(g, signals[g["file"]], starts[g["file"]])


def recall_share(records: list[dict]) -> str:
    return pct(sum(bool(g["how"]) for g in records), len(records), 0)


def seed_part(section: Section, workdir: Path) -> tuple[dict, dict[str, float]]:
    """Writes part 1; returns the seeds' report.json (dqkit version and rules) and their mt_score."""
    seeds = Run(clean_outputs(SEEDS, workdir))
    texts = {
        p.name: unicodedata.normalize("NFC", p.read_text("utf-8").replace("\r\n", "\n"))
        for p in sorted(SEEDS.glob("*.txt"))
    }
    starts = {name: [0, *(i + 1 for i, c in enumerate(text) if c == "\n")] for name, text in texts.items()}
    signals = {
        name: [
            {**r, "spans": locate(r["example"], texts[name])}
            for r in (seeds.clean.get(name) or {}).get("mt_reasons") or []
            if r["signal"] != "model"  # the learned model names n-grams, not a span
        ]
        for name in texts
    }
    kinds = ("missing_space_join", "mt_artefact", "negative")
    gold = [g for g in read_jsonl(GOLD) if g["kind"] in kinds or g["subkind"] == "syndication_notice"]
    for g in gold:
        score_gold(g, seeds, texts, signals, starts)
    records = [g for g in gold if g["kind"] != "negative"]
    section.heading("1. Seed gold: recall per artefact class")
    groups = defaultdict(list)
    for g in records:
        groups[(g["kind"], g["subkind"])].append(g)
    rows = []
    for (kind, subkind), gs in sorted(
        groups.items(),
        key=lambda kv: (kv[0][0] != "missing_space_join", kv[0][0] != "mt_artefact", -len(kv[1]), kv[0][1]),
    ):
        how = Counter(h.split(" ")[0] for g in gs for h in g["how"])
        rows.append(
            [
                f"{kind} / {subkind}",
                len(gs),
                recall_share(gs),
                ", ".join(f"`{h}` {n}" for h, n in how.most_common()) or "–",
            ]
        )
    section.table("kind / subkind | n | recalled | by signal", rows)
    mt = [g for g in records if g["kind"] == "mt_artefact"]
    by_confidence = {c: [g for g in mt if g["confidence"] == c] for c in ("high", "medium", "low")}
    rows = [[c, len(gs), recall_share(gs)] for c, gs in [*by_confidence.items(), ("**all**", mt)]]
    section.table("MT artefacts by confidence | n | recalled", rows)
    gone = ", ".join(f"{g['file'][:3]}:{g['line']} {g['subkind']}" for g in mt if g["line_removed"]) or "none"
    section.text(f"MT-artefact gold spans on lines the rules removed (no signal can see them): {gone}.")
    section.text(
        "Every signal dqkit reported on the seeds and the gold it recalled (nothing: an artefact the gold "
        "does not name, or a false positive):"
    )
    rows = [
        [
            name[:3],
            f"`{s['signal']}`",
            s["count"],
            md(s["example"], 90),
            ", ".join(f"{g['line']}:{g['subkind']}" for g in records if g["file"] == name and s["signal"] in g["how"])
            or "**nothing**",
        ]
        for name, found in signals.items()
        for s in found
    ]
    section.table("file | signal | count | example | recalled", rows, left=2)
    unlocated = [
        f"{name[:3]} `{s['signal']}`"
        for name, found in signals.items()
        for s in found
        if not s["spans"] and s["signal"] not in DOCUMENT_SIGNALS
    ]
    section.text(f"Examples not found in the article as read: {', '.join(unlocated) or 'none'}.")
    negatives = [g for g in gold if g["kind"] == "negative"]
    rows = [
        [
            f"{g['file'][:3]}:{g['line']}",
            g["subkind"],
            md(g["text"]),
            "yes" if g["line_removed"] else "no",
            md("; ".join(g["touched"])) if g["touched"] else "none",
            md("; ".join(g["alone"])) if g["alone"] else "unchanged",
            ", ".join(g["flagged"]) or "none",
        ]
        for g in negatives
    ]
    section.table(
        "gold negative | subkind | text | line removed by a rule | join edits in `clean` | "
        "`repair_line` on the raw line | span MT signal",
        rows,
        left=7,
    )
    joins = [g for g in records if g["kind"] == "missing_space_join"]
    untouched = all(not (g["touched"] or g["alone"] or g["flagged"]) for g in negatives)
    section.text(
        f"Seed gold joins repaired: {recall_share(joins)}; MT artefacts recalled: "
        f"{pct(sum(bool(g['how']) for g in mt), len(mt))}; gold negatives untouched: "
        f"{'yes' if untouched else '**no**'}."
    )
    span_part(section, seeds, [g for g in gold if g["kind"] in ("mt_artefact", "negative")])
    return seeds.outputs.report, {name: row["mt_score"] for name, row in seeds.clean.items()}


def span_part(section: Section, seeds: Run, gold: list[dict]) -> None:
    """The issue-16 measure: a gold record is found when an ``mt_flagged`` span of
    edits.parquet lies on its line (numbered as read) and overlaps its offsets."""
    spans = [e for e in seeds.outputs.edits if e["kind"] == "mt_flagged" and e["start"] is not None]

    def overlapping(g: dict) -> list[str]:
        return [
            e["rule_id"]
            for e in spans
            if g["start"] is not None
            and (e["doc_id"], e["line_no"]) == (g["file"], g["line"])
            and e["start"] < g["end"]
            and g["start"] < e["end"]
        ]

    artefacts = [g for g in gold if g["kind"] == "mt_artefact"]
    found = [g for g in artefacts if overlapping(g)]
    negatives_hit = [g for g in gold if g["kind"] == "negative" and overlapping(g)]
    section.text(
        f"`mt_flagged` spans on the seeds: {len(spans)}; gold MT artefacts overlapped by one on the same line: "
        f"{len(found)} of {len(artefacts)} ("
        + ", ".join(f"{g['file'][:3]}:{g['line']} {g['subkind']} by {', '.join(overlapping(g))}" for g in found)
        + f"); gold negatives under a span: {len(negatives_hit)}."
    )
    section.goal(
        "≥ 12 of the 47 gold MT artefacts overlapped by a span", f"{len(found)} of {len(artefacts)}", len(found) >= 12
    )
    section.goal("no span on a gold negative", f"{len(negatives_hit)}", not negatives_hit)


# --- 2. human German ---------------------------------------------------------------------------


def read_review() -> dict[tuple[str, str], tuple[str, str]]:
    with REVIEW_FILE.open(encoding="utf-8", newline="") as handle:
        return {(r["document"], r["glued token"]): (r["verdict"], r["note"]) for r in csv.DictReader(handle)}


def corpus_counts(result: Run, records: list[dict], review: dict) -> Counter:
    """What part 2 counts in one corpus."""
    repairs = [(doc, e[3]) for doc, es in result.joins.items() for e in es if e[1] == "join_repaired"]
    verdicts = Counter(review.get(repair, ("unreviewed",))[0] for repair in repairs)
    return Counter(
        docs=len(records),
        words=sum(words(r["text"]) for r in records),
        rejected=len(result.outputs.rejects),
        repairs=len(repairs),
        wrong=verdicts["wrong"],
        real=verdicts["real"],
        unreviewed=verdicts["unreviewed"],
        flags=sum(e[1] == "join_flagged" for es in result.joins.values() for e in es),
        mt=signal_counts(result.clean.values())[0].total(),
        scored=sum(score > 0 for score in scores(list(result.clean.values()))),
        kept=len(result.clean),
    )


def counts_row(name: str, c: Counter) -> list:
    return [
        name,
        f"{c['docs']:,}",
        f"{c['words']:,}",
        c["rejected"],
        c["repairs"],
        c["wrong"],
        c["real"],
        c["unreviewed"],
        per10k(c["flags"], c["words"]),
        per10k(c["mt"], c["words"]),
        pct(c["scored"], c["kept"]),
    ]


def learned_rows(results: dict) -> list[list]:
    """Per human corpus: the mean learned probability and mt_score of its documents."""
    rows = []
    for name, (result, _) in results.items():
        p = [row["mt_probability"] for row in result.clean.values() if row.get("mt_probability") is not None]
        score = [row["mt_score"] for row in result.clean.values()]
        note = " (trained on: in-sample, see part 3b)" if name.startswith("WMT22") else ""
        mean = f"{statistics.mean(p):.3f}" if p else "–"
        rows.append([name + note, f"{len(p):,}", mean, f"{statistics.median(score):.3f}"])
    return rows


def seeds_above_median(section: Section, results: dict, seed_scores: dict[str, float]) -> None:
    """Goal: every seed article (all machine-translated) above the median human German
    document of the corpora the model was not trained on."""
    unseen = [
        row["mt_score"] for name, (r, _) in results.items() if not name.startswith("WMT22") for row in r.clean.values()
    ]
    median = statistics.median(unseen)
    lowest = min(seed_scores.values())
    section.text(
        "Seed articles' mt_score: " + ", ".join(f"{md(n, 40)} {v:.3f}" for n, v in sorted(seed_scores.items())) + "."
    )
    section.goal(
        "every seed article's mt_score above the median of human German (10kGNAD, Wikinews)",
        f"lowest seed {lowest:.3f}, median human {median:.3f}",
        lowest > median,
    )


def human_part(section: Section, workdir: Path, seed_scores: dict[str, float]) -> None:
    review, cache, results = read_review(), {}, {}
    for i, (name, (path, text_type)) in enumerate(HUMAN.items()):
        records = [r for r in cache.setdefault(path, read_jsonl(path)) if text_type in (None, r.get("text_type"))]
        result = run(german(records), workdir, f"human-{i}")
        results[name] = (result, corpus_counts(result, records, review))
        print(f"human German: {name}", flush=True)
    total = sum((c for _, c in results.values()), Counter())
    section.heading("2. Human German: wrong repairs and MT flags")
    headers = (
        "corpus | docs | words | rejected | join repairs | of them wrong | real missing spaces | not reviewed | "
        "join flags per 10k words (n) | MT flags per 10k words (n) | docs with an artefact signal"
    )
    section.table(headers, [*(counts_row(name, c) for name, (_, c) in results.items()), counts_row("**all**", total)])
    section.goal(
        "no wrong join repair on human German",
        f"{total['wrong']} wrong of {total['repairs']}, {total['unreviewed']} not reviewed",
        total["wrong"] == 0 and total["unreviewed"] == 0,
    )
    rate = total["mt"] / total["words"] * 1e4
    section.goal(
        f"≤ {GOAL_MT_FLAGS_PER_10K:g} MT flag per 10,000 words of human German, all",
        f"{rate:.2f}",
        rate <= GOAL_MT_FLAGS_PER_10K,
    )
    section.text("The learned probability (`mt_probability`, shipped German model) and `mt_score` of human German:")
    section.table("corpus | documents scored | mean mt_probability | median mt_score", learned_rows(results))
    seeds_above_median(section, results, seed_scores)
    counts = {name: (signal_counts(result.clean.values()), c["words"]) for name, (result, c) in results.items()}
    section.text("MT signal occurrences per 10,000 words (documents in brackets):")
    rows = [
        [
            f"`{signal}`",
            *(f"{per10k(occ[signal], n)} [{docs[signal]}]" for (occ, docs), n in counts.values()),
            per10k(sum(occ[signal] for (occ, _), _ in counts.values()), total["words"]),
        ]
        for signal in sorted({s for (occ, _), _ in counts.values() for s in occ})
    ]
    section.table(["signal", *results, "all"], rows)
    flags = {
        n: Counter(e[2] for es in r.joins.values() for e in es if e[1] == "join_flagged")
        for n, (r, _) in results.items()
    }
    rows = [[n, f.total(), ", ".join(f"`{k}` {c}" for k, c in f.most_common()) or "–"] for n, f in flags.items()]
    section.table("corpus | join flags | by reason", rows)
    repairs = sorted(
        (review.get((doc, e[3]), ("**not reviewed**", "")), name, doc, e)
        for name, (r, _) in results.items()
        for doc, es in r.joins.items()
        for e in es
        if e[1] == "join_repaired"
    )
    section.text(f"Every join repair on human German ({len(repairs)}), with its hand review:")
    rows = [
        [
            name,
            md(doc, 70),
            line_no,
            f"`{rule}`",
            f"{md(before)} → {md(after)}",
            f"**{verdict}**" if verdict == "wrong" else verdict,
            md(note, 200) if note else "",
        ]
        for (verdict, note), name, doc, (line_no, _, rule, before, after) in repairs
    ]
    section.table("corpus | document | line | rule | before → after | review | note", rows, left=2)
    for name, (result, _) in results.items():
        rows = [
            [
                f"`{e['rule_id']}`",
                md(e["doc_id"], 70),
                "–" if e["line_no"] is None else e["line_no"],
                md(e["before"] or ""),
            ]
            for e in result.outputs.edits
            if e["kind"] == "mt_flagged"
        ]
        section.listing(
            f"Every artefact span (`mt_flagged` edit) on {name}; a signal of the whole document has no line or text",
            "signal | document | line | flagged text",
            rows,
            MAX_SPANS,
        )


# --- 3. AUROC ----------------------------------------------------------------------------------


def auroc(positives: list[float], negatives: list[float]) -> float:
    """P(score of a random positive > a random negative), ties count half (Mann-Whitney U / n1 n2)."""
    labels = np.array([True] * len(positives) + [False] * len(negatives))
    return mt_training.auroc(np.array([*positives, *negatives]), labels) or 0.5


def scores(rows: list[dict], leave_out: str = "") -> list[float]:
    """The artefact signals' score of each row (``mt_score`` without the learned model, which
    was trained on these documents: part 3b measures it out of fold), or without one signal too."""
    dropped = {"model", leave_out}
    return [mt_score([x for x in row.get("mt_reasons") or [] if x["signal"] not in dropped]) for row in rows]


def auroc_row(label: str, positives: list[dict], negatives: list[dict]) -> list[str]:
    pos, neg = scores(positives), scores(negatives)
    above = [pct(sum(s > 0 for s in group), len(group)) for group in (pos, neg)]
    return [label, f"{len(pos):,}", f"{len(neg):,}", f"{auroc(pos, neg):.3f}", *above]


def auroc_part(section: Section, workdir: Path) -> dict[str, float]:
    """Writes part 3; returns each WMT document's artefact score."""
    records = read_jsonl(WMT)
    result = run(german(records), workdir, "wmt")
    by_type = defaultdict(list)  # text_type -> [(record, clean row)]
    for record in records:
        if record["id"] in result.clean:
            by_type[record["text_type"]].append((record, result.clean[record["id"]]))
    mt, human = by_type["machine_translation"], by_type["human_translation"]
    section.heading("3. wmt-de-dev: do the artefact signals separate MT output from human translation?")
    section.text(f"{len(records):,} documents, {len(result.outputs.rejects)} rejected; AUROC 0.5 is chance.")
    rows = [auroc_row("all", [r for _, r in mt], [r for _, r in human])]
    for key in ("langpair", "domain"):
        for value in sorted({m[key] for m, _ in human}):
            rows.append(
                auroc_row(
                    f"{key} {value}", [r for m, r in mt if m[key] == value], [r for m, r in human if m[key] == value]
                )
            )
    rows.append(
        auroc_row("MT vs German originals (other documents)", [r for _, r in mt], [r for _, r in by_type["original"]])
    )
    section.table("documents | MT n | human (or original) n | AUROC | MT with score > 0 | human with score > 0", rows)
    section.text("Signals per 10,000 words (share of documents with the signal in brackets):")
    groups = {"MT output": mt, "human translation": human, "German original": by_type["original"]}
    stats = {
        name: (sum(words(m["text"]) for m, _ in g), len(g), *signal_counts(r for _, r in g))
        for name, g in groups.items()
    }
    signals = sorted({s for _, _, occurrences, _ in stats.values() for s in occurrences})
    rows = [
        [f"`{s}`", *(f"{per10k(occ[s], n_words)} [{pct(docs[s], n)}]" for n_words, n, occ, docs in stats.values())]
        for s in signals
    ]
    section.table(["signal", *groups], rows)
    positives, negatives = [r for _, r in mt], [r for _, r in human]
    base = auroc(scores(positives), scores(negatives))
    section.text("AUROC (MT vs human translation, all) with one signal left out of `mt_score`:")
    rows = []
    for signal in signals:
        value = auroc(scores(positives, signal), scores(negatives, signal))
        rows.append([f"`{signal}`", f"{value:.3f}", f"{value - base:+.3f}"])
    section.table("left out | AUROC | change", rows)
    return dict(zip(result.clean, scores(list(result.clean.values())), strict=True))


# --- 3b. the learned model, cross-validated ------------------------------------------------------

BASELINE_CHARS = (1, 2, 3, 4)  # the baseline: a plain logistic regression on character n-grams


def char_counts(texts: list[str]):
    """Documents × buckets: hashed character n-gram counts (the baseline's features)."""
    rows, cols = [], []
    for i, text in enumerate(texts):
        grams = [text[j : j + n] for n in BASELINE_CHARS for j in range(len(text) - n + 1)]
        cols.extend(xxhash.xxh64_intdigest(g.encode()) % BUCKETS for g in grams)
        rows.extend([i] * len(grams))
    data = np.ones(len(cols))
    return sp.csr_matrix((data, (np.array(rows), np.array(cols))), shape=(len(texts), BUCKETS))


def learned_part(section: Section, artefacts: dict[str, float]) -> None:
    """Part 3b: AUROC out of fold (5 folds by ``langpair:doc_id``, as ``dqkit mt train``
    validates), MT output against human translations and originals: the character n-gram
    baseline, the learned probability, and mt_score (the probability with the artefacts)."""
    records = [r for r in read_jsonl(WMT) if r["id"] in artefacts]
    labels = ["mt" if r["text_type"] == "machine_translation" else "human" for r in records]
    groups = [f"{r['langpair']}:{r['doc_id']}" for r in records]
    texts = [r["text"] for r in records]
    y = np.array([label == "mt" for label in labels])
    trained = mt_training.train(texts, labels, groups, "de", {}, {})
    probability = trained.out_of_fold
    baseline = mt_training.out_of_fold_logits(char_counts(texts), y.astype(float), mt_training.fold_of(groups))
    artefact = np.array([artefacts[r["id"]] for r in records])
    combined = 1 - (1 - probability) * (1 - artefact)
    systems = {
        "character 1–4-gram logistic regression (baseline)": baseline,
        "artefact signals only (mt_score before the model)": artefact,
        "learned probability (mt_probability)": probability,
        "mt_score (probability with the artefacts)": combined,
    }
    section.heading("3b. wmt-de-dev: the learned model, cross-validated by source document")
    section.text(
        f"{len(records):,} documents ({int(y.sum()):,} MT; the model is trained with human translations and German "
        "originals as human), 5 folds by `langpair:doc_id`: every rendering of one source document is scored by "
        "a model that saw none of them (`dqkit.detect.mt_training`, as `dqkit mt train` validates). "
        "The baseline is the same logistic regression on hashed character 1–4-grams. AUROC 0.5 is chance."
    )
    # The measure of the issue: MT output against human translations (the originals are other
    # documents; their column is beside it).
    translated = np.array([r["text_type"] != "original" for r in records])
    original_or_mt = np.array([r["text_type"] != "human_translation" for r in records])
    domains = sorted({r["domain"] for r in records})
    masks = {
        "all": translated,
        **{d: translated & np.array([r["domain"] == d for r in records]) for d in domains},
        "MT vs originals": original_or_mt,
    }
    rows = [
        [name, *(f"{mt_training.auroc(score[m], y[m]):.3f}" for m in masks.values())] for name, score in systems.items()
    ]
    section.table(["score (MT against human translations)", *masks], rows)
    news = masks["news"]
    for name in ("mt_score (probability with the artefacts)", "learned probability (mt_probability)"):
        score = systems[name]
        on_news, on_all = mt_training.auroc(score[news], y[news]), mt_training.auroc(score[translated], y[translated])
        section.goal(f"{name}: AUROC ≥ 0.85 on news", f"{on_news:.3f}", on_news >= 0.85)
        section.goal(f"{name}: AUROC ≥ 0.80 over all documents", f"{on_all:.3f}", on_all >= 0.80)
    domain_out_part(section, texts, y, records, masks, domains)
    types = sorted({r["text_type"] for r in records})
    rows = [
        [
            t,
            f"{sum(r['text_type'] == t for r in records):,}",
            f"{probability[[r['text_type'] == t for r in records]].mean():.3f}",
        ]
        for t in types
    ]
    section.text("Mean out-of-fold probability by kind of text:")
    section.table("text type | documents | mean mt_probability", rows)


def domain_out_part(
    section: Section, texts: list[str], y: np.ndarray, records: list[dict], masks: dict, domains: list[str]
) -> None:
    """Each domain scored by a model fitted on the other domains only: nearer to what another
    year's documents (other topics, other sources) will meet than folds by source document."""
    folds = np.array([domains.index(r["domain"]) for r in records])
    features = {
        "character 1–4-gram logistic regression (baseline)": char_counts(texts),
        "learned model's features (hashed word 1–2-grams)": term_counts(texts),
    }
    rows = []
    for name, counts in features.items():
        logits = mt_training.out_of_fold_logits(counts, y.astype(float), folds)
        rows.append([name, *(f"{mt_training.auroc(logits[masks[d]], y[masks[d]]):.3f}" for d in domains)])
    section.text(
        "Each domain scored by a model fitted on the other three domains only (MT against human translations), "
        "a stand-in for documents of another year and other sources."
    )
    section.table(["features, fitted without the domain", *domains], rows)


# --- 4. injected joins ---------------------------------------------------------------------------

ABBREVIATIONS_TEXT = (  # sentence ends they are not
    "bzw usw etc mio mrd str chr vgl evtl ggf inkl zzgl prof abs geb gest sog jhd hrsg tel dipl ing mag min std sek "
    "jan feb apr aug sept okt nov dez allg betr engl franz lat griech ital österr ehem verh bspw insb ders dies zit "
    "bearb aufl anm orig ebd vs ca dr nr"
)
SENTENCE_END = regex.compile(r"(?<=\S)\. (?=\p{Lu}\p{Ll})")
IN_SENTENCE = regex.compile(r"(?<=\p{Ll}) (?=\p{Lu}\p{Ll})")
TYPES = ("lost_boundary_period", "lost_boundary_no_period", "in_sentence")
OUTCOMES = ("repaired correctly", "flagged only", "missed", "wrongly repaired")


@dataclass
class Case:
    stratum: str
    line: str  # the paragraph with the join injected
    core: str  # the glued token as repair_line sees it
    expected: str  # the glued token split where the space was lost


def boundary_stratum(left: str) -> str | None:
    """What ends the sentence before the period; None for an ordinal, abbreviation or initial."""
    word = left.lstrip(OUTER)
    if regex.search(r"[\p{L}\d][”“\"'»«)\]]+$", word):
        return "after a closing quote or bracket"
    if "." in word:
        return None
    if regex.fullmatch(r"\p{Lu}{2,}", word):
        return "after an acronym (USA.)"
    letters = regex.search(r"\p{L}+$", word)
    if (
        letters
        and regex.search(r"\p{Ll}{2}$", word)
        and len(letters.group()) >= 3
        and letters.group().lower() not in ABBREVIATIONS_TEXT.split()
    ):
        return "after a word (Ende.)"
    return None


def join_stratum(left: str, function_words: frozenset) -> str:
    word = regex.search(r"\p{L}+$", left).group()
    if word == left.lstrip(OUTER) and word.lower() in function_words and word.islower():
        return "left piece a function word (derPräsident)"
    if left.lstrip(OUTER)[:1].islower():
        return "left piece another lowercase word (meldeteMerkel)"
    return "left piece a capitalised word (BundeskanzlerinMerkel)"


def make_case(stratum: str, line: str, cut: int) -> Case | None:
    """The glued token around position ``cut`` of ``line`` and its expected split."""
    token = next((t for t in regex.finditer(r"\S+", line) if t.start() < cut < t.end()), None)
    core = token.group().strip(OUTER) if token else ""
    position = cut - token.start() - token.group().index(core) if core else 0
    if not 0 < position < len(core):
        return None
    return Case(stratum, line, core, core[:position] + " " + core[position:])


def inject(paragraphs: list[str], per_type: int, seed: int) -> tuple[dict[str, list[Case]], dict[str, int]]:
    """Per type, up to ``per_type`` cases drawn at random, each glued token once; and the population sizes."""
    function_words = load_lexicon("de").function_words
    population: dict[str, list[tuple]] = defaultdict(list)
    for p, line in enumerate(paragraphs):
        for match in SENTENCE_END.finditer(line):
            stratum = boundary_stratum(regex.search(r"\S+$", line[: match.start() + 1]).group()[:-1])
            if stratum:
                population["lost_boundary_period"].append((p, match.start(), stratum))
                population["lost_boundary_no_period"].append((p, match.start(), stratum))
        for match in IN_SENTENCE.finditer(line):
            population["in_sentence"].append(
                (p, match.start(), join_stratum(regex.search(r"\S+$", line[: match.start()]).group(), function_words))
            )
    rng, cases = random.Random(seed), {}
    for type_ in TYPES:
        pool = sorted(population[type_])
        rng.shuffle(pool)
        seen, cases[type_] = set(), []
        for p, at, stratum in pool:
            line = paragraphs[p]
            injected, cut = {
                "lost_boundary_period": (line[: at + 1] + line[at + 2 :], at + 1),
                "lost_boundary_no_period": (line[:at] + line[at + 2 :], at),
                "in_sentence": (line[:at] + line[at + 1 :], at),
            }[type_]
            case = make_case(stratum, injected, cut)
            if case and case.core not in seen:
                seen.add(case.core)
                cases[type_].append(case)
                if len(cases[type_]) == per_type:
                    break
    return cases, {t: len(population[t]) for t in TYPES}


def classify(changes: list[tuple], case: Case) -> tuple[str, int]:
    """The outcome of one case from its (kind, before, after) changes, and how many other repairs the line got."""
    on_token = [(k, a) for k, b, a in changes if b == case.core]
    others = sum(1 for k, b, _ in changes if k == "join_repaired" and b != case.core)
    if ("join_repaired", case.expected) in on_token:
        return "repaired correctly", others
    if any(k == "join_repaired" for k, _ in on_token):
        return "wrongly repaired", others
    return ("flagged only" if ("join_flagged", case.expected) in on_token else "missed"), others


def injection_outcomes(cases: list[Case], context: list[dict], workdir: Path, name: str) -> dict[str, list[tuple]]:
    """The outcome of every case in corpus (one ``dqkit clean`` over cases and context) and alone."""
    ids = [f"inj-{name}-{i:05d}" for i in range(len(cases))]
    records = [{"id": d, "text": c.line, "lang": "de"} for d, c in zip(ids, cases, strict=True)]
    result = run(context + records, workdir, f"inject-{name}")
    corpus = []
    for doc, case in zip(ids, cases, strict=True):
        if doc in result.outputs.rejects or 1 in result.removed.get(doc, set()):
            corpus.append(("line removed", 0))
        else:
            corpus.append(classify([(k, b, a) for ln, k, _, b, a in result.joins.get(doc, []) if ln == 1], case))
    alone = [classify([(k, b, a) for k, _, b, a in repair_line(c.line, "de", {}, {})[1]], c) for c in cases]
    return {"in corpus": corpus, "alone": alone}


def outcome_rows(type_: str, cases: list[Case], outcomes: dict[str, list[tuple]]) -> list[list]:
    """One row per stratum (all first, then the largest) and mode."""
    strata = Counter(c.stratum for c in cases)
    rows = []
    for stratum in ["all", *(s for s, _ in strata.most_common())]:
        index = [i for i, c in enumerate(cases) if stratum in ("all", c.stratum)]
        for mode, results in outcomes.items():
            got = Counter(results[i][0] for i in index)
            extra = f" (+{got['line removed']} line removed)" if got["line removed"] else ""
            label = f"**{type_}**" if stratum == "all" else type_
            rows.append([label, stratum + extra, f"{len(index):,}", mode, *(pct(got[o], len(index)) for o in OUTCOMES)])
    return rows


def injection_part(section: Section, workdir: Path, per_type: int, seed: int) -> None:
    context = german(read_jsonl(GNAD) + read_jsonl(WIKI))
    lines = (line.strip() for r in read_jsonl(WIKI) for line in r["text"].replace("\r\n", "\n").split("\n"))
    paragraphs = [unicodedata.normalize("NFC", line) for line in lines if line]
    cases, population = inject(paragraphs, per_type, seed)
    outcomes = {t: injection_outcomes(cases[t], context, workdir, t) for t in TYPES}
    section.heading("4. Join repair recall on joins injected into human German")
    section.text(
        f"{len(paragraphs):,} Wikinews paragraphs, `random.Random({seed})`, up to {per_type:,} cases per type "
        f"among (population) "
        + ", ".join(f"{t} {n:,}" for t, n in population.items())
        + f"; in corpus with {len(context):,} untouched articles."
    )
    rows = [row for t in TYPES for row in outcome_rows(t, cases[t], outcomes[t])]
    section.table(["type", "stratum", "n", "mode", *OUTCOMES], rows, left=4)
    for t in TYPES:
        repaired, n = sum(o[0] == "repaired correctly" for o in outcomes[t]["in corpus"]), len(cases[t])
        section.goal(
            f"≥ {GOAL_JOIN_RECALL:.0%} of injected {t} joins repaired correctly, in corpus",
            pct(repaired, n),
            n > 0 and repaired >= GOAL_JOIN_RECALL * n,
        )
    others = {t: [sum(o[1] for o in outcomes[t][mode]) for mode in ("in corpus", "alone")] for t in TYPES}
    section.text(
        "Other repairs on the injected lines (in corpus / alone): "
        + ", ".join(f"{t} {a} / {b}" for t, (a, b) in others.items())
        + "."
    )
    rows = []
    for t in TYPES:
        right = [regex.match(r"\p{L}*", c.expected.split(" ", 1)[1]).group() for c in cases[t]]
        failed = Counter(
            w for w, o in zip(right, outcomes[t]["in corpus"], strict=True) if o[0] != "repaired correctly"
        )
        rows.append(
            [t, f"{failed.total():,}", ", ".join(f"`{w}` {n}/{right.count(w)}" for w, n in failed.most_common(8))]
        )
    section.table(
        "type | not repaired in corpus | most frequent words after the lost space (not repaired / cases)", rows
    )
    for t in TYPES:
        misses = [
            (c, o[0])
            for c, o in zip(cases[t], outcomes[t]["in corpus"], strict=True)
            if o[0] in ("missed", "wrongly repaired")
        ]
        sample = sorted(random.Random(seed).sample(misses, min(MAX_MISSES, len(misses))), key=misses.index)
        if sample:
            section.text(f"{t}: {len(misses):,} missed or wrongly repaired in corpus; {len(sample)} drawn at random:")
            rows = [[outcome, c.stratum, md(c.core), md(c.expected)] for c, outcome in sample]
            section.table("outcome | stratum | glued token | expected", rows, left=4)


# --- 5. speed ------------------------------------------------------------------------------------

MODES = {"join repair on (default)": [], "--no-join-repair": ["--no-join-repair"]}
WORDFREQ_PROBE = (
    "import time; from dqkit.normalize.lexicon import frequent; t = time.perf_counter(); "
    "frequent('haus', 'de', 3); frequent('house', 'en', 3); print(time.perf_counter() - t)"
)


def wordfreq_load_seconds(repeats: int) -> float:
    """Median time wordfreq takes to load its German and English lists in a fresh process."""
    probe = [sys.executable, "-c", WORDFREQ_PROBE]
    env = {**os.environ, **ONE_THREAD}
    return statistics.median(
        float(subprocess.run(probe, capture_output=True, text=True, check=True, env=env).stdout) for _ in range(repeats)
    )


def speed_part(section: Section, workdir: Path, repeats: int) -> None:
    records = german(read_jsonl(GNAD) + read_jsonl(WIKI))
    source = write_jsonl(records, workdir / "speed.jsonl")
    runs = {mode: [] for mode in MODES}
    for _ in range(repeats):
        for mode, extra in MODES.items():
            result = timed_clean(source, workdir / "out", ["--no-dedup", *extra], prefix=pin_to_one_core())
            timings = result["timings"]  # the shard stages summed over the shards, then the driver's phases
            runs[mode].append(
                {**timings["shard_stage_seconds_summed"], **timings["seconds"], "wall": result["seconds"]}
            )
    section.heading("5. Speed of the join and MT-signal stages")
    section.text(
        f"German Wikinews + 10kGNAD test ({len(records):,} documents, `lang=de`: no language detection, "
        f"`--no-dedup`), pinned to one core, {repeats} runs per mode, alternating; median seconds of each stage "
        "(timings.json), of `total` and of the whole process (wall) with [min–max]."
    )
    stages = [k for k in runs["join repair on (default)"][0] if k not in ("total", "wall")]
    median = {
        mode: {k: statistics.median(r.get(k, 0.0) for r in rs) for k in [*stages, "total"]} for mode, rs in runs.items()
    }
    rows = [
        [
            mode,
            *(f"{median[mode][k]:.3f}" for k in stages),
            seconds_cell([r["total"] for r in rs]),
            seconds_cell([r["wall"] for r in rs]),
            f"{len(records) / median[mode]['total']:,.0f}",
        ]
        for mode, rs in runs.items()
    ]
    section.table(["mode", *(f"`{k}`" for k in stages), "`total`", "wall", "docs/s (total)"], rows)
    on, off = median["join repair on (default)"], median["--no-join-repair"]
    section.text(
        f"Join repair costs {on['total'] - off['total']:.2f} s of a {on['total']:.2f} s run (median totals side "
        f"by side); wordfreq loads its lists in {wordfreq_load_seconds(repeats):.2f} s (median of {repeats} fresh "
        "processes), in `joins` when join repair runs, otherwise in `mt_signals`."
    )


REUTERS = DATA / "reuters21578-en-news" / "reuters21578.jsonl.gz"
REUTERS_OPTIONS = ["--workers", "1", "--text-field", "body", "--id-field", "newid", "--no-langid"]
MT_STAGES = ("mt_signals", "mt_drop")
MT_SHARE_GOAL = 0.10


def mt_share_part(section: Section, workdir: Path, repeats: int, against: str) -> None:
    """Part 6: the MT stage's share of a Reuters ``--no-langid`` run, this tree beside ``against``."""
    base = workdir / "against"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), against], check=True, capture_output=True
    )
    trees = {f"`{against}` (before)": base, "this tree": ROOT}
    shares: dict[str, list[float]] = {name: [] for name in trees}
    seconds: dict[str, list[float]] = {name: [] for name in trees}
    try:
        for _ in range(repeats):
            for name, tree in trees.items():
                # The tree's own dqkit: it is first on the path from its own folder.
                prefix = [*pin_to_one_core(), "env", "-C", str(tree), f"PYTHONPATH={tree}"]
                shard = timed_clean(REUTERS, workdir / "share-out", REUTERS_OPTIONS, prefix=prefix)["timings"][
                    "shard_stage_seconds_summed"
                ]
                seconds[name].append(sum(shard.get(stage, 0.0) for stage in MT_STAGES))
                shares[name].append(seconds[name][-1] / sum(shard.values()))
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=True)
    section.heading("6. Speed of the MT stage on Reuters, side by side")
    section.text(
        f"`dqkit clean reuters21578.jsonl.gz {' '.join(REUTERS_OPTIONS)}`, pinned to one core, {repeats} runs per "
        f"tree, alternating: seconds of {', '.join(f'`{s}`' for s in MT_STAGES)} and their share of the summed "
        "shard stage seconds (timings.json), median [min–max]."
    )
    rows = [
        [
            name,
            seconds_cell(seconds[name]),
            f"{percent(statistics.median(shares[name]))} [{percent(min(shares[name]))}–{percent(max(shares[name]))}]",
        ]
        for name in trees
    ]
    section.table(["tree", "MT stage seconds", "share of the run"], rows)
    now = statistics.median(shares["this tree"])
    verdict = "met" if now <= MT_SHARE_GOAL else "NOT met"
    section.text(f"Goal: the MT stage at most {percent(MT_SHARE_GOAL, 0)} of the run: **{verdict}** ({percent(now)}).")


def percent(share: float, digits: int = 1) -> str:
    return f"{100 * share:.{digits}f} %"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-type", type=int, default=3000, help="injected joins per type")
    parser.add_argument("--seed", type=int, default=20241028)
    parser.add_argument("--repeats", type=int, default=3, help="speed runs per mode")
    parser.add_argument("--against", default="76336b1", help="the commit part 6 compares the MT stage's speed with")
    args = parser.parse_args()
    require(GOLD, GNAD, WIKI, WMT, REUTERS, *SEEDS.glob("*.txt"))
    section = Section("bench_mt", "MT-artefact signals and missing-space join repair", timing=True)
    section.text("Only parts 5 and 6 are timings; parts 1–4 are deterministic.")
    with tempfile.TemporaryDirectory() as tmp:
        report, seed_scores = seed_part(section, Path(tmp))
        human_part(section, Path(tmp), seed_scores)
        artefacts = auroc_part(section, Path(tmp))
        learned_part(section, artefacts)
        injection_part(section, Path(tmp), args.per_type, args.seed)
        speed_part(section, Path(tmp), args.repeats)
        mt_share_part(section, Path(tmp), args.repeats, args.against)
    section.text(
        f"dqkit {report['dqkit_version']}, {report['rules']['count']} rules (fingerprint "
        f"`{report['rules']['fingerprint']}`)."
    )
    section.write()


if __name__ == "__main__":
    main()
