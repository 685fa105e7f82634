"""Boilerplate quality of ``dqkit clean`` per ``--boilerplate`` mode: labelled web pages, clean German news.

    python benchmarks/bench_boilerplate.py

Web pages are measured on the *measuring* side of the by-site split of
``boilerplate_data.py``: the classifier was fitted on the other side, and no site is on both.

1. trafilatura-eval-dev: the ``raw_text`` of real web pages (one block per line) with
   hand-picked snippets per page that must be kept (``with``) or removed (``without``).
   Only snippets the data marks as found in ``raw_text`` are scored. Snippet and cleaned
   text are compared after NFC and collapsing every run of white space to one space: a
   ``with`` snippet survives if it still occurs in the page's cleaned text, a ``without``
   snippet is removed if it occurs nowhere in it (printed on several lines, it must lose
   all of them); a rejected page loses every snippet. Goals: default mode (conservative)
   keeps at least 99 % of ``with`` snippets and removes at least 50 % of ``without`` ones;
   aggressive mode reaches F (harmonic mean of the two shares) 0.90.
   The same pages are also cleaned from their HTML (``--html-field html``: trafilatura's main
   text, then dqkit's stages) and scored on the same snippets, beside the text-only figures
   and trafilatura's text alone (dqkit's extraction before its stages).
2. web-boilerplate-gold-dev (CleanEval dev, Mozilla Readability pages): the kept text's word
   tokens against the gold main text (bag of words: precision, recall, F1), beside no
   cleaning. Goals: default never below no cleaning; aggressive above jusText on the text
   alone (figures of the whole dev set, from the issue).
3. german-news-human: 1,028 DER STANDARD articles (10kGNAD test, one line each: there a
   removed line is a removed article) and 998 German Wikinews articles, human-written and
   clean. Share removed = non-blank lines removed (by a rule, the classifier or the
   repeated lines, or with their rejected document) / all non-blank lines; every removed
   line is listed. Goal: at most 0.2 % in default mode.

Each corpus is written to a temporary JSONL and cleaned by a fresh ``python -m dqkit clean``
(built-in rules only, default options but ``--boilerplate``; the language is detected).
"""

from __future__ import annotations

import argparse
import json
import lzma
import re
import tempfile
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from boilerplate_data import GOLD_PAGES, MEASURE, gold_pages, snippet_pages
from results import DATA, CleanOutputs, Section, clean_outputs, md, pct, read_jsonl, require, write_jsonl

PAGES = DATA / "trafilatura-eval-dev" / "trafilatura_eval.pairs.jsonl.gz"
PAGES_HTML = DATA / "trafilatura-eval-dev" / "trafilatura_eval.html.jsonl.xz"
NEWS = {
    "10kGNAD test (DER STANDARD)": DATA / "german-news-human" / "10kgnad_test.jsonl.gz",
    "German Wikinews": DATA / "german-news-human" / "dewikinews_1k.jsonl.gz",
}
MODES = ("rules", "conservative", "aggressive")  # --boilerplate
DEFAULT = "conservative"
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))  # blank, as dqkit's matcher sees them
GOAL_WITH_KEPT = 0.99
GOAL_WITHOUT_REMOVED = 0.50
GOAL_AGGRESSIVE_F = 0.90
# Token F1 on the whole dev sets (the issue): no cleaning, jusText on the text alone, trafilatura with the HTML.
REFERENCE_F1 = {
    "cleaneval-dev": {"no cleaning": 0.927, "jusText, text alone": 0.940, "trafilatura, HTML": 0.769},
    "readability": {"no cleaning": 0.839, "jusText, text alone": 0.845, "trafilatura, HTML": 0.960},
}
GOAL_NEWS_REMOVED = 0.002
MAX_LISTED = 50


@dataclass
class Run:
    """One dqkit run, with its line edits by document and line number."""

    outputs: CleanOutputs
    removed: dict[str, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))  # rule id
    repaired: dict[str, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))  # unicode fix

    def __post_init__(self):
        for edit in self.outputs.edits:
            if edit["kind"] == "line_removed":
                self.removed[edit["doc_id"]][edit["line_no"]] = edit["rule_id"]
            elif edit["kind"] in ("unicode_fixed", "unicode_normalized"):
                self.repaired[edit["doc_id"]][edit["line_no"]] = edit["rule_id"] or edit["kind"]


def run(records: list[dict], workdir: Path, name: str, mode: str, extra: tuple[str, ...] = ()) -> Run:
    path = write_jsonl(records, workdir / f"{name}.jsonl")
    return Run(clean_outputs(path, workdir, ["--boilerplate", mode, *extra]))


def norm(text: str) -> str:
    """How snippets and lines are compared: NFC, every run of white space one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def rejects_text(result: Run) -> str:
    reasons = Counter(row["reason"] for row in result.outputs.rejects.values())
    return ", ".join(f"{n} {reason}" for reason, n in reasons.most_common()) or "none"


# --- web pages --------------------------------------------------------------------------------


@dataclass
class Snippet:
    page: str
    kind: str  # with | without
    text: str
    german: bool
    lines: list[str]  # the raw lines that hold it
    gone: bool = False  # not in the cleaned text (or the page was rejected)
    cause: str = ""  # rule ids of the lines that held it, a reject reason, or a unicode fix


def score_page(page: dict, result: Run) -> list[Snippet]:
    raw_lines = page["raw_text"].split("\n")
    raw_norm = [norm(line) for line in raw_lines]
    rejected = result.outputs.rejects.get(page["id"])
    cleaned = "" if rejected else "\n".join(map(norm, result.outputs.clean[page["id"]]["text"].split("\n")))
    removed = result.removed.get(page["id"], {})
    snippets = []
    for kind in ("with", "without"):
        for text, found in zip(page[kind], page[f"{kind}_found_in_raw_text"], strict=True):
            if not found:
                continue
            holders = [i + 1 for i, line in enumerate(raw_norm) if norm(text) in line]
            if not holders:  # the data found it verbatim; white space or NFC must not lose it
                raise SystemExit(f"{page['id']}: snippet {text!r} not in raw_text after normalisation")
            snippet = Snippet(page["id"], kind, text, page["is_german_heuristic"], [raw_lines[i - 1] for i in holders])
            rules = sorted({removed[i] for i in holders if i in removed})
            if rejected:
                snippet.gone, snippet.cause = True, " + ".join([f"reject:{rejected['reason']}", *rules])
            elif norm(text) not in cleaned:
                snippet.gone = True
                if all(i in removed for i in holders):
                    snippet.cause = " + ".join(rules)
                else:  # a line that held it was kept but changed
                    fixes = {result.repaired.get(page["id"], {}).get(i, "?") for i in holders if i not in removed}
                    snippet.cause = "changed: " + " + ".join(sorted(fixes))
            snippets.append(snippet)
    return snippets


def snippet_row(label: str, snippets: list[Snippet]) -> list[str]:
    with_ = [s for s in snippets if s.kind == "with"]
    without = [s for s in snippets if s.kind == "without"]
    kept, removed = sum(not s.gone for s in with_), sum(s.gone for s in without)
    return [label, f"{len({s.page for s in snippets}):,}", pct(kept, len(with_)), pct(removed, len(without))]


SNIPPET_HEADERS = ["pages with scored snippets", "`with` kept", "`without` removed"]


def pages_part(section: Section, pages: list[dict], runs: dict[str, Run]) -> None:
    scores = {mode: [s for page in pages for s in score_page(page, result)] for mode, result in runs.items()}
    groups: dict[str, Callable[[Snippet], bool]] = {
        "all": lambda s: True,
        "German (heuristic)": lambda s: s.german,
        "not German (heuristic)": lambda s: not s.german,
    }
    section.heading("Web pages (trafilatura-eval-dev)")
    german = sum(p["is_german_heuristic"] for p in pages)
    section.text(f"{len(pages)} pages, {german} German by the data's heuristic.")
    rows = [snippet_row(f"{mode}: {label}", [s for s in scores[mode] if member(s)])
            for mode in MODES for label, member in groups.items()]  # fmt: skip
    section.table(["mode", *SNIPPET_HEADERS], rows)
    for mode in MODES:
        with_ = [s for s in scores[mode] if s.kind == "with"]
        without = [s for s in scores[mode] if s.kind == "without"]
        kept, removed = sum(not s.gone for s in with_), sum(s.gone for s in without)
        if mode == DEFAULT:
            section.goal(
                f"≥ 99 % of `with` snippets kept, {mode}", pct(kept, len(with_), 2), kept >= GOAL_WITH_KEPT * len(with_)
            )
            section.goal(
                f"≥ 50 % of `without` snippets removed, {mode}",
                pct(removed, len(without), 2),
                removed >= GOAL_WITHOUT_REMOVED * len(without),
            )
        if mode == "aggressive":
            f = f_score(scores[mode])
            section.goal(f"F of the two shares ≥ {GOAL_AGGRESSIVE_F}, {mode}", f"{f:.3f}", f >= GOAL_AGGRESSIVE_F)
    section.text("Rejected pages: " + "; ".join(f"{m}: {rejects_text(runs[m])}" for m in MODES) + ".")
    language_part(section, pages, runs[DEFAULT], scores[DEFAULT])
    rules_part(section, runs[DEFAULT], scores[DEFAULT])
    for mode in MODES:
        lost = [s for s in scores[mode] if s.kind == "with" and s.gone]
        rows = [[md(s.page, 60), f"`{s.cause}`", md(s.text, 80), md(" ⏎ ".join(s.lines[:3]))] for s in lost]
        section.listing(
            f"`with` snippets lost, {mode} mode", "page | removed by | snippet | raw line(s)", rows, MAX_LISTED, 4
        )


def language_part(section: Section, pages: list[dict], result: Run, snippets: list[Snippet]) -> None:
    lang_of = {pid: row.get("lang") or "und" for pid, row in result.outputs.clean.items()}
    lang_of.update(dict.fromkeys(result.outputs.rejects, "rejected"))
    named = [lang for lang, n in Counter(lang_of.values()).most_common() if n >= 10 and lang != "rejected"]
    mismatched = Counter(lang_of[p["id"]] for p in pages if p["is_german_heuristic"] and lang_of[p["id"]] != "de")
    section.text(
        f"Pages the heuristic calls German that dqkit detected as another language: {mismatched.total()} "
        f"({', '.join(f'{lang} {n}' for lang, n in mismatched.most_common()) or '–'}). Default mode, by the "
        "language dqkit assigned:"
    )
    rows = [snippet_row(lang, [s for s in snippets if lang_of[s.page] == lang]) for lang in named]
    rows.append(snippet_row("other / rejected", [s for s in snippets if lang_of[s.page] not in named]))
    section.table(["language", *SNIPPET_HEADERS], rows)


def rules_part(section: Section, result: Run, snippets: list[Snippet]) -> None:
    """Labelled snippets each rule removed, next to all lines it removed, labelled or not."""
    per_cause: dict[str, Counter] = defaultdict(Counter)
    for s in snippets:
        for cause in s.cause.split(" + ") if s.gone else []:
            per_cause[cause.removeprefix("changed: ")][s.kind] += 1
    lines, pages = Counter(), defaultdict(set)
    for pid, removed in result.removed.items():
        for rule_id in removed.values():
            lines[rule_id] += 1
            pages[rule_id].add(pid)
    causes = sorted(
        set(per_cause) | set(lines), key=lambda c: (-per_cause[c]["with"], -per_cause[c]["without"], -lines[c], c)
    )
    section.text("Default mode, by rule or detector (a snippet on lines of two rules counts for both):")
    rows = [
        [f"`{c}`", per_cause[c]["with"], per_cause[c]["without"], f"{lines[c]:,} ({len(pages[c])})"] for c in causes
    ]
    section.table("rule / cause | `with` lost | `without` removed | lines removed (pages)", rows)


def snippets_in(page: dict, cleaned: str | None) -> list[Snippet]:
    """The page's scored snippets (those found in its ``raw_text``) against a text cleaned
    from elsewhere (its HTML); None: the page was rejected, every snippet is gone."""
    text = None if cleaned is None else "\n".join(map(norm, cleaned.split("\n")))
    return [
        Snippet(page["id"], kind, snippet, page["is_german_heuristic"], [], text is None or norm(snippet) not in text)
        for kind in ("with", "without")
        for snippet, found in zip(page[kind], page[f"{kind}_found_in_raw_text"], strict=True)
        if found
    ]


def f_score(snippets: list[Snippet]) -> float:
    """The harmonic mean of the share of ``with`` snippets kept and of ``without`` snippets removed."""
    with_ = [s for s in snippets if s.kind == "with"]
    without = [s for s in snippets if s.kind == "without"]
    a, b = sum(not s.gone for s in with_) / len(with_), sum(s.gone for s in without) / len(without)
    return 2 * a * b / (a + b) if a + b else 0.0


def html_part(section: Section, pages: list[dict], text_runs: dict[str, Run], html_runs: dict[str, Run],
              extracted: dict[str, str | None]) -> None:  # fmt: skip
    section.heading("The same pages from their HTML (trafilatura-eval-dev, `--html-field html`)")
    section.text(
        "The measuring pages' HTML (`trafilatura_eval.html.jsonl.xz`) cleaned with `--html-field html`: "
        "trafilatura's main text (dqkit's settings: balanced, no comments, one block a line), then dqkit's "
        "stages. Scored on the same snippets as above (those the data found in `raw_text`); a snippet counts "
        "as kept when it is on one line of the cleaned text. *trafilatura alone* is the extracted text before "
        "dqkit's stages."
    )
    rows = []
    for label, scores in [
        *((f"text (`raw_text`), {m}", [s for p in pages for s in score_page(p, text_runs[m])]) for m in MODES),
        ("HTML, trafilatura alone", [s for p in pages for s in snippets_in(p, extracted[p["id"]])]),
        *((f"HTML, trafilatura + dqkit {m}",
           [s for p in pages for s in snippets_in(p, cleaned_text(html_runs[m], p["id"]))]) for m in MODES),
    ]:  # fmt: skip
        rows.append([*snippet_row(label, scores), f"{f_score(scores):.3f}"])
    section.table(["input, system", *SNIPPET_HEADERS, "F"], rows)
    section.text(
        "Rejected pages from the HTML: " + "; ".join(f"{m}: {rejects_text(html_runs[m])}" for m in MODES) + "."
    )


def cleaned_text(result: Run, page_id: str) -> str | None:
    row = result.outputs.clean.get(page_id)
    return None if row is None else row["text"]


def html_pages(pages: list[dict]) -> list[dict]:
    """``{id, html}`` of ``pages``, in their order."""
    wanted = {page["id"] for page in pages}
    with lzma.open(PAGES_HTML, "rt", encoding="utf-8") as handle:
        found = {r["id"]: r["html"] for r in map(json.loads, handle) if r["id"] in wanted}
    return [{"id": page["id"], "html": found[page["id"]]} for page in pages]


# --- gold main texts --------------------------------------------------------------------------


def tokens(text: str) -> Counter:
    return Counter(re.findall(r"\w+", (text or "").lower()))


def token_scores(pages: list, texts: dict[str, str]) -> tuple[float, float, float]:
    """Precision, recall and F1 of the kept texts' word tokens against the gold (bags of words, summed)."""
    tp = fp = fn = 0
    for page in pages:
        gold, kept = tokens(page.page["gold_text"]), tokens(texts.get(page.id, ""))
        both = sum((gold & kept).values())
        tp, fp, fn = tp + both, fp + sum(kept.values()) - both, fn + sum(gold.values()) - both
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)


def gold_part(section: Section, gold: dict[str, list], runs: dict[str, dict[str, Run]]) -> None:
    section.heading("Web pages with a gold main text (web-boilerplate-gold-dev)")
    section.text(
        "Measuring side of the split only. Word tokens (`\\w+`, lower-cased) of the kept text against the gold "
        "main text, as bags of words summed over the pages; the reference rows are the issue's figures on the "
        "whole dev set (jusText and trafilatura are not run here; `../shared/tools/gold_tokens.py` measures them)."
    )
    rows = []
    for subset, pages in gold.items():
        baseline = token_scores(pages, {p.id: p.raw_text for p in pages})
        scores = {mode: token_scores(pages, {i: r["text"] for i, r in runs[subset][mode].outputs.clean.items()})
                  for mode in MODES}  # fmt: skip
        rows.append([subset, "no cleaning", len(pages), *(f"{x:.3f}" for x in baseline)])
        rows += [[subset, f"dqkit {mode}", len(pages), *(f"{x:.3f}" for x in scores[mode])] for mode in MODES]
        rows += [
            [subset, f"{name} (whole dev set)", "", "", "", f"{f1:.3f}"] for name, f1 in REFERENCE_F1[subset].items()
        ]
        section.goal(
            f"{subset}: default F1 not below no cleaning",
            f"{scores[DEFAULT][2]:.3f} vs {baseline[2]:.3f}",
            scores[DEFAULT][2] >= baseline[2],
        )
        justext = REFERENCE_F1[subset]["jusText, text alone"]
        section.goal(
            f"{subset}: aggressive F1 above jusText on the text alone",
            f"{scores['aggressive'][2]:.3f} vs {justext:.3f}",
            scores["aggressive"][2] > justext,
        )
    section.table("corpus | system | pages | precision | recall | F1", rows, left=2)


# --- German news ---------------------------------------------------------------------------------


def removed_news_lines(docs: list[dict], result: Run) -> tuple[int, list[tuple]]:
    """Non-blank lines, and every removed one as (doc id, line no, cause, line)."""
    total, removed = 0, []
    for doc in docs:
        reject = result.outputs.rejects.get(doc["id"])
        gone = result.removed.get(doc["id"], {})
        for line_no, line in enumerate(doc["text"].replace("\r\n", "\n").split("\n"), 1):
            if not line.translate(ZERO_WIDTH).strip():
                continue
            total += 1
            if reject or line_no in gone:
                removed.append((doc["id"], line_no, f"reject:{reject['reason']}" if reject else gone[line_no], line))
    return total, removed


def news_part(section: Section, news: dict[str, list[dict]], runs: dict[str, Run]) -> None:
    section.heading("Clean human German news (german-news-human)")
    rows, listed, goals = [], {}, []
    for mode, result in runs.items():
        counts = {name: removed_news_lines(docs, result) for name, docs in news.items()}
        listed[mode] = [(name, *line) for name, (_, lines) in counts.items() for line in lines]
        for name, (total, lines) in counts.items():
            rows.append([mode, name, f"{len(news[name]):,}", f"{total:,}", pct(len(lines), total, 2)])
        total, removed = sum(c[0] for c in counts.values()), len(listed[mode])
        rows.append([mode, "**both**", f"{sum(map(len, news.values())):,}", f"{total:,}", pct(removed, total, 2)])
        if mode == DEFAULT:
            goals.append(
                (
                    f"≤ {GOAL_NEWS_REMOVED:.1%} of lines removed, {mode}, both",
                    pct(removed, total, 2),
                    removed <= GOAL_NEWS_REMOVED * total,
                )
            )
    section.table("mode | corpus | documents | non-blank lines | removed", rows, left=2)
    for goal in goals:
        section.goal(*goal)
    section.text(
        "Rejected documents: " + "; ".join(f"{m}: {rejects_text(runs[m])}" for m in MODES) + ". Lines flagged "
        "(kept): "
        + ", ".join(f"{m} {sum(e['kind'] == 'line_flagged' for e in runs[m].outputs.edits)}" for m in MODES)
        + "."
    )
    for mode in MODES:
        rows = [
            [corpus, md(doc, 60), line_no, f"`{cause}`", md(line)] for corpus, doc, line_no, cause, line in listed[mode]
        ]
        section.listing(
            f"Removed lines, {mode} mode", "corpus | document | line | removed by | line text", rows, MAX_LISTED
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    require(PAGES, PAGES_HTML, *NEWS.values(), *GOLD_PAGES.values())
    section = Section(
        "bench_boilerplate", "Boilerplate quality: labelled web pages and clean German news", timing=False
    )
    pages = [p.page for p in snippet_pages() if p.side == MEASURE]
    gold = {subset: [p for p in gold_pages(subset) if p.side == MEASURE] for subset in GOLD_PAGES}
    news = {name: read_jsonl(path) for name, path in NEWS.items()}
    news_records = [{"id": d["id"], "text": d["text"]} for docs in news.values() for d in docs]
    html = html_pages(pages)
    from dqkit.io.web import extract_page  # the extraction dqkit runs, without its stages

    extracted = {record["id"]: extract_page(record["html"]).text for record in html}
    page_runs, html_runs, news_runs, gold_runs = {}, {}, {}, {subset: {} for subset in gold}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in MODES:
            page_runs[mode] = run([{"id": p["id"], "text": p["raw_text"]} for p in pages], Path(tmp), "pages", mode)
            html_runs[mode] = run(html, Path(tmp), "html-pages", mode, ("--html-field", "html"))
            for subset, subset_pages in gold.items():
                records = [{"id": p.id, "text": p.raw_text} for p in subset_pages]
                gold_runs[subset][mode] = run(records, Path(tmp), subset, mode)
            news_runs[mode] = run(news_records, Path(tmp), "news", mode)
            print(f"ran dqkit, --boilerplate {mode}", flush=True)
    report = page_runs[DEFAULT].outputs.report
    section.text(
        f"dqkit {report['dqkit_version']}, {report['rules']['count']} rules "
        f"(fingerprint `{report['rules']['fingerprint']}`), boilerplate model definition "
        f"`{report['rules']['definitions'].get('model.boilerplate', '–')}`."
    )
    pages_part(section, pages, page_runs)
    html_part(section, pages, page_runs, html_runs, extracted)
    gold_part(section, gold, gold_runs)
    news_part(section, news, news_runs)
    section.write()


if __name__ == "__main__":
    main()
