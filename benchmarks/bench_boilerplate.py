"""Boilerplate quality of ``dqkit clean``: labelled web pages and clean human German news.

    python benchmarks/bench_boilerplate.py [--out benchmarks/RESULTS.md]

1. trafilatura-eval-dev: the ``raw_text`` of 482 real web pages (one block per line)
   with hand-picked snippets per page that must be kept (``with``) or removed
   (``without``). A ``with`` snippet survives when it still occurs in the page's cleaned
   text; a ``without`` snippet is removed when it no longer occurs. Only snippets the
   data marks as found in ``raw_text`` are scored.
2. german-news-human: 1,028 DER STANDARD articles (10kGNAD test) and 998 German
   Wikinews articles, human-written and clean: every line dqkit removes is a false
   positive candidate and is listed.

Each corpus goes through the real command, a fresh ``python -m dqkit clean TMP.jsonl -o
OUT -q`` run in a temporary folder (so no ``dqkit.toml`` applies: built-in rules only),
once as the data comes (no ``lang`` field: dqkit detects the language) and once with the
language the data tells (``lang=de`` for the pages the data's heuristic marks German and
for the German news; the other pages stay without). The data is read from
../shared/data and never copied into the repository; the script exits with a message
when it is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from results import replace_section

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
PAGES = DATA / "trafilatura-eval-dev" / "trafilatura_eval.pairs.jsonl.gz"
NEWS = {
    "10kGNAD test (DER STANDARD)": DATA / "german-news-human" / "10kgnad_test.jsonl.gz",
    "German Wikinews": DATA / "german-news-human" / "dewikinews_1k.jsonl.gz",
}
MODES = ("detected", "given")  # language detected by dqkit / given in the input where the data tells it
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")  # blank like dqkit's matcher
GOAL_WITH_KEPT = 0.99
GOAL_NEWS_REMOVED = 0.002
MAX_FALSE_POSITIVES = 30
MAX_NEWS_LINES = 50


# --- running dqkit ---------------------------------------------------------------------------

@dataclass
class Run:
    clean: dict[str, dict]  # id -> clean row
    rejects: dict[str, dict]  # id -> reject row
    removed: dict[str, dict[int, str]]  # id -> line_no -> rule id (line_removed)
    repaired: dict[str, dict[int, str]]  # id -> line_no -> unicode fix (unicode_fixed / _normalized)
    flagged: int
    seconds: float
    report: dict = field(default_factory=dict)


def run_dqkit(records: list[dict], workdir: Path, name: str) -> Run:
    """Write ``records`` as JSONL in ``workdir``, run ``python -m dqkit clean`` on it there."""
    import polars as pl

    source, out = workdir / f"{name}.jsonl", workdir / f"{name}-out"
    with source.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    command = [sys.executable, "-m", "dqkit", "clean", source.name, "-o", out.name, "-q"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"dqkit failed ({done.returncode}): {' '.join(command)}\n{done.stderr}")
    clean = {row["id"]: row for row in map(json.loads, (out / "clean.jsonl").read_text("utf-8").splitlines())}
    rejects = {row["id"]: row for row in map(json.loads, (out / "rejects.jsonl").read_text("utf-8").splitlines())}
    removed: dict[str, dict[int, str]] = defaultdict(dict)
    repaired: dict[str, dict[int, str]] = defaultdict(dict)
    edits = pl.read_parquet(out / "edits.parquet")
    for doc_id, line_no, kind, rule_id in edits.select("doc_id", "line_no", "kind", "rule_id").iter_rows():
        if kind == "line_removed":
            removed[doc_id][line_no] = rule_id
        elif kind in ("unicode_fixed", "unicode_normalized"):
            repaired[doc_id][line_no] = rule_id or kind
    report = json.loads((out / "report.json").read_text("utf-8"))
    return Run(clean, rejects, removed, repaired, int((edits["kind"] == "line_flagged").sum()), seconds, report)


# --- matching ----------------------------------------------------------------------------------

def norm(text: str) -> str:
    """How snippets and lines are compared: NFC, every run of white space one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def is_blank(line: str) -> bool:
    for char in ZERO_WIDTH:
        line = line.replace(char, "")
    return not line.strip()


def pct(part: int, whole: int, digits: int = 1) -> str:
    return f"{100 * part / whole:.{digits}f} % ({part:,}/{whole:,})" if whole else "– (0/0)"


def md(text: str, limit: int = 160) -> str:
    """Corpus text for a markdown table cell: escaped, one line, bounded."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    for char in "\\`*_[]<>|#~":
        text = text.replace(char, "\\" + char)
    return text or "(blank)"


# --- trafilatura pages --------------------------------------------------------------------------

@dataclass
class Snippet:
    page: str
    kind: str  # with | without
    text: str
    german: bool
    gone: bool = False  # no longer in the cleaned text (or the page was rejected)
    cause: str = ""  # why gone: rule ids of the lines that held it, a reject reason, a unicode fix
    lines: list[str] = field(default_factory=list)  # the raw lines that held it


def load_pages() -> list[dict]:
    with gzip.open(PAGES, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def page_records(pages: list[dict], mode: str) -> list[dict]:
    records = []
    for page in pages:
        record = {"id": page["id"], "text": page["raw_text"]}
        if mode == "given":
            record["lang"] = "de" if page["is_german_heuristic"] else None
        records.append(record)
    return records


def score_pages(pages: list[dict], run: Run) -> list[Snippet]:
    snippets = []
    for page in pages:
        raw_lines = page["raw_text"].split("\n")
        raw_norm = [norm(line) for line in raw_lines]
        rejected = run.rejects.get(page["id"])
        cleaned = "\n".join(norm(line) for line in run.clean[page["id"]]["text"].split("\n")) if not rejected else ""
        for kind in ("with", "without"):
            for text, found in zip(page[kind], page[f"{kind}_found_in_raw_text"]):
                if not found:
                    continue
                needle = norm(text)
                holders = [i + 1 for i, line in enumerate(raw_norm) if needle in line]
                if not holders:  # the data found it verbatim; white space or NFC must not lose it
                    raise SystemExit(f"{page['id']}: snippet {text!r} not found in raw_text after normalisation")
                snippet = Snippet(page["id"], kind, text, page["is_german_heuristic"],
                                  lines=[raw_lines[i - 1] for i in holders])
                removed = run.removed.get(page["id"], {})
                rules = sorted({removed[i] for i in holders if i in removed})
                if rejected:
                    snippet.gone = True
                    snippet.cause = " + ".join([f"reject:{rejected['reason']}", *rules])
                elif needle not in cleaned:
                    snippet.gone = True
                    if all(i in removed for i in holders):
                        snippet.cause = " + ".join(rules)
                    else:  # a line that held it was kept but changed
                        fixes = sorted({run.repaired.get(page["id"], {}).get(i, "?") for i in holders if i not in removed})
                        snippet.cause = "changed: " + " + ".join(fixes)
                elif rules:
                    snippet.cause = "partly: " + " + ".join(rules)  # some copies removed, one kept
                snippets.append(snippet)
    return snippets


def snippet_rows(snippets: list[Snippet], groups: dict[str, callable]) -> list[str]:
    rows = []
    for label, member in groups.items():
        chosen = [s for s in snippets if member(s)]
        with_ = [s for s in chosen if s.kind == "with"]
        without = [s for s in chosen if s.kind == "without"]
        pages = len({s.page for s in chosen})
        rows.append(f"| {label} | {pages:,} | {pct(sum(not s.gone for s in with_), len(with_))} | "
                    f"{pct(sum(s.gone for s in without), len(without))} |")
    return rows


# --- German news --------------------------------------------------------------------------------

def load_news() -> dict[str, list[dict]]:
    corpora = {}
    for name, path in NEWS.items():
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            corpora[name] = [json.loads(line) for line in handle if line.strip()]
    return corpora


def score_news(corpora: dict[str, list[dict]], run: Run) -> tuple[dict[str, tuple[int, int, int]], list[tuple]]:
    """Per corpus (documents, non-blank lines, removed non-blank lines); every removed line
    as (corpus, doc id, line no, rule id or reject reason, line)."""
    counts, removed_lines = {}, []
    for name, docs in corpora.items():
        total = removed = 0
        for doc in docs:
            lines = doc["text"].replace("\r\n", "\n").split("\n")
            reject = run.rejects.get(doc["id"])
            gone = run.removed.get(doc["id"], {})
            for line_no, line in enumerate(lines, 1):
                if is_blank(line):
                    continue
                total += 1
                if reject or line_no in gone:
                    removed += 1
                    cause = f"reject:{reject['reason']}" if reject else gone[line_no]
                    removed_lines.append((name, doc["id"], line_no, cause, line))
        counts[name] = (len(docs), total, removed)
    return counts, removed_lines


# --- the section -------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    args = parser.parse_args()
    missing = [str(p) for p in (PAGES, *NEWS.values()) if not p.exists()]
    if missing:
        raise SystemExit(f"evaluation data not found ({', '.join(missing)}): nothing measured. "
                         f"It is expected in {DATA} (outside the repository).")
    pages, news = load_pages(), load_news()
    page_runs, news_runs = {}, {}
    with tempfile.TemporaryDirectory(prefix="dqkit-bench-boilerplate-") as tmp:
        for mode in MODES:
            page_runs[mode] = run_dqkit(page_records(pages, mode), Path(tmp), f"pages-{mode}")
            records = [{"id": d["id"], "text": d["text"], **({"lang": "de"} if mode == "given" else {})}
                       for docs in news.values() for d in docs]
            news_runs[mode] = run_dqkit(records, Path(tmp), f"news-{mode}")
            print(f"ran dqkit ({mode} language): pages {page_runs[mode].seconds:.1f} s, "
                  f"news {news_runs[mode].seconds:.1f} s", flush=True)
    page_scores = {mode: score_pages(pages, run) for mode, run in page_runs.items()}
    news_scores = {mode: score_news(news, run) for mode, run in news_runs.items()}
    section = render(pages, page_runs, page_scores, news, news_runs, news_scores)
    replace_section(args.out, "bench_boilerplate", section)
    for mode in MODES:
        snippets = page_scores[mode]
        with_ = [s for s in snippets if s.kind == "with"]
        without = [s for s in snippets if s.kind == "without"]
        counts = news_scores[mode][0].values()
        print(f"{mode:8}  with kept {pct(sum(not s.gone for s in with_), len(with_), 2)}  "
              f"without removed {pct(sum(s.gone for s in without), len(without))}  "
              f"news lines removed {pct(sum(c[2] for c in counts), sum(c[1] for c in counts), 3)}")
    print(f"wrote {args.out}")


def rejects_text(run: Run) -> str:
    reasons = Counter(row["reason"] for row in run.rejects.values())
    if not reasons:
        return "none"
    return ", ".join(f"{n} {reason}" for reason, n in reasons.most_common())


def render(pages, page_runs, page_scores, news, news_runs, news_scores) -> str:
    import polars

    first = page_runs["detected"].report
    german = sum(p["is_german_heuristic"] for p in pages)
    found = {kind: sum(sum(p[f"{kind}_found_in_raw_text"]) for p in pages) for kind in ("with", "without")}
    listed = {kind: sum(len(p[kind]) for p in pages) for kind in ("with", "without")}
    out = [
        "## Boilerplate quality: labelled web pages and clean German news",
        "",
        "Command: `python benchmarks/bench_boilerplate.py` — each corpus is written to a temporary "
        "JSONL (`id`, `text`, and `lang` in the second mode) outside the repository and cleaned by "
        "`python -m dqkit clean TMP.jsonl -o OUT -q`, run in that temporary folder (built-in rules only, "
        "no `dqkit.toml`); the script reads `OUT/clean.jsonl`, `OUT/rejects.jsonl` and `OUT/edits.parquet`.",
        f"dqkit {first['dqkit_version']}, {first['rules']['count']} rules (fingerprint "
        f"`{first['rules']['fingerprint']}`), polars {polars.__version__}, default options "
        f"(`--max-removed {first['options']['max_removed_fraction']}`, exact dedup on).",
        "",
        "Two modes: **detected** — no `lang` field, dqkit detects the language (langdetect on the cleaned "
        "text); **given** — `lang=de` for the pages the data's `is_german_heuristic` marks German and for "
        "all German news (the data names no other language: the other pages have no `lang` and are "
        "detected). The first is how a crawl without metadata is cleaned and is the headline number.",
        "",
        "### Web pages (trafilatura-eval-dev)",
        "",
        f"`../shared/data/trafilatura-eval-dev/trafilatura_eval.pairs.jsonl.gz`: {len(pages)} pages "
        f"({german} German by the data's heuristic, {len(pages) - german} not), `raw_text` = one block per "
        "line. Joined on `id` (one record per page holds the text and its snippets). Scored: the snippets "
        f"the data marks as found in `raw_text` — {found['with']:,} of {listed['with']:,} `with`, "
        f"{found['without']:,} of {listed['without']:,} `without`.",
        "Matching: snippet and cleaned text are compared after NFC and collapsing every run of white "
        "space to one space, line by line (every scored snippet lies inside one `raw_text` line). A "
        "`with` snippet survives if it still occurs in the page's cleaned text; a `without` snippet is "
        "removed if it occurs nowhere in it (a snippet printed on several lines must lose all of them). "
        "A rejected page counts as having lost every snippet.",
        "",
        f"Goal: ≥ {GOAL_WITH_KEPT * 100:g} % of `with` snippets survive.",
        "",
        "| mode | pages with scored snippets | `with` kept | `without` removed |",
        "|---|---:|---:|---:|",
    ]
    groups = {"all": lambda s: True, "German (heuristic)": lambda s: s.german,
              "not German (heuristic)": lambda s: not s.german}
    for mode in MODES:
        for row in snippet_rows(page_scores[mode], groups):
            label, rest = row[2:].split(" | ", 1)
            out.append(f"| {mode}: {label} | {rest}")
    verdicts = []
    for mode in MODES:
        with_ = [s for s in page_scores[mode] if s.kind == "with"]
        share = sum(not s.gone for s in with_) / len(with_)
        verdicts.append(f"{mode}: {share:.2%} — {'**met**' if share >= GOAL_WITH_KEPT else '**not met**'}")
    out += ["", f"Goal `with` ≥ {GOAL_WITH_KEPT * 100:g} %: " + "; ".join(verdicts) + ".",
            "Rejected pages: " + "; ".join(f"{m}: {rejects_text(page_runs[m])}" for m in MODES) + "."]

    # By the language dqkit assigned (detected mode).
    run, snippets = page_runs["detected"], page_scores["detected"]
    lang_of = {pid: (row.get("lang") or "und") for pid, row in run.clean.items()}
    lang_of.update({pid: "rejected" for pid in run.rejects})
    common = Counter(lang_of.values())
    named = [lang for lang, n in common.most_common() if n >= 10 and lang != "rejected"]
    by_lang = {lang: (lambda s, lang=lang: lang_of[s.page] == lang) for lang in named}
    by_lang["other / rejected"] = lambda s: lang_of[s.page] not in named
    mismatched = Counter(lang_of[p["id"]] for p in pages if p["is_german_heuristic"] and lang_of[p["id"]] != "de")
    out += ["", f"Pages the data's heuristic calls German that dqkit detected as another language: "
            f"{sum(mismatched.values())} ({', '.join(f'{lang} {n}' for lang, n in mismatched.most_common()) or '–'}); "
            "on those dqkit undoes the German rules that fired (rescope), which is what the given mode "
            "avoids.", "", "Detected mode, by the language dqkit assigned to the page:", "",
            "| language | pages with scored snippets | `with` kept | `without` removed |", "|---|---:|---:|---:|",
            *snippet_rows(snippets, by_lang)]

    # Which rules touched labelled snippets, next to everything each rule removed.
    out += ["", "Rules on the pages (detected mode): labelled snippets each removed (a snippet on lines "
            "removed by two rules counts for both) and all lines it removed, labelled or not (labels are "
            "sparse, about three of each kind per page: most removed lines carry no label).", "",
            "| rule / cause | `with` lost | `without` removed | lines removed (pages) |", "|---|---:|---:|---:|"]
    per_cause: dict[str, Counter] = defaultdict(Counter)
    for s in snippets:
        if s.gone:
            for cause in s.cause.split(" + "):
                per_cause[cause.removeprefix("changed: ")][s.kind] += 1
    lines_by_rule, pages_by_rule = Counter(), defaultdict(set)
    for pid, removed in run.removed.items():
        for rule_id in removed.values():
            lines_by_rule[rule_id] += 1
            pages_by_rule[rule_id].add(pid)
    for cause in set(lines_by_rule) - set(per_cause):
        per_cause[cause] = Counter()
    for cause, n in sorted(per_cause.items(), key=lambda kv: (-kv[1]["with"], -kv[1]["without"],
                                                               -lines_by_rule[kv[0]], kv[0])):
        removed = f"{lines_by_rule[cause]:,} ({len(pages_by_rule[cause])})" if cause in lines_by_rule else "–"
        out.append(f"| `{cause}` | {n['with']} | {n['without']} | {removed} |")

    for mode in MODES:
        lost = [s for s in page_scores[mode] if s.kind == "with" and s.gone]
        if mode == "given":
            seen = {(s.page, s.text) for s in page_scores["detected"] if s.kind == "with" and s.gone}
            lost_here = {(s.page, s.text) for s in lost}
            out += ["", f"`with` snippets lost in given mode: {len(lost)} "
                    f"({len(lost_here - seen)} not lost in detected mode, {len(seen - lost_here)} lost only there)."]
            lost = [s for s in lost if (s.page, s.text) not in seen]
            if not lost:
                continue
            out += ["", "Lost only in given mode:"]
        else:
            out += ["", f"`with` snippets that did not survive (detected mode), the false positives: "
                    f"{len(lost)}{f', first {MAX_FALSE_POSITIVES}' if len(lost) > MAX_FALSE_POSITIVES else ''}."]
            if lost:
                out += ["`changed:` marks a kept line that a unicode repair changed; `reject:` a rejected page."]
        if not lost:
            continue
        out += ["", "| page | removed by | snippet | raw line(s) |", "|---|---|---|---|"]
        for s in lost[:MAX_FALSE_POSITIVES]:
            raw = " ⏎ ".join(s.lines[:3]) + (f" (+{len(s.lines) - 3} more)" if len(s.lines) > 3 else "")
            out.append(f"| {md(s.page, 60)} | `{s.cause}` | {md(s.text, 80)} | {md(raw)} |")

    # German news.
    out += ["", "### Clean human German news (german-news-human)", "",
            "`../shared/data/german-news-human/`: `10kgnad_test.jsonl.gz` and `dewikinews_1k.jsonl.gz`, "
            "`id` and `text` passed on (in given mode also `lang=de`). Share removed = non-blank lines "
            "removed (by a rule, or because their document was rejected) / all non-blank lines. Caveat: a "
            "10kGNAD article is a single line (title and body joined by the dataset), so there a removed line "
            "is a removed article.", "",
            f"Goal: ≤ {GOAL_NEWS_REMOVED * 100:g} % of lines removed.", "",
            "| mode | corpus | documents | non-blank lines | removed |", "|---|---|---:|---:|---:|"]
    verdicts = []
    for mode in MODES:
        counts, _ = news_scores[mode]
        for name, (docs, total, removed) in counts.items():
            out.append(f"| {mode} | {name} | {docs:,} | {total:,} | {pct(removed, total, 2)} |")
        docs = sum(c[0] for c in counts.values())
        total, removed = sum(c[1] for c in counts.values()), sum(c[2] for c in counts.values())
        out.append(f"| {mode} | **both** | {docs:,} | {total:,} | {pct(removed, total, 2)} |")
        parts = [("both", removed, total)] + [(name, c[2], c[1]) for name, c in counts.items()]
        verdicts.append(f"{mode}: " + ", ".join(
            f"{name} {part / whole:.2%} {'met' if part / whole <= GOAL_NEWS_REMOVED else '**not met**'}"
            for name, part, whole in parts))
    out += ["", f"Goal lines removed ≤ {GOAL_NEWS_REMOVED * 100:g} %: " + "; ".join(verdicts) + ".",
            "Rejected documents: " + "; ".join(f"{m}: {rejects_text(news_runs[m])}" for m in MODES)
            + "; lines flagged (kept): " + ", ".join(f"{m}: {news_runs[m].flagged}" for m in MODES) + "."]
    for mode in MODES:
        _, lines = news_scores[mode]
        if mode == "given":
            if lines == news_scores["detected"][1]:
                out += ["", "Removed lines in given mode: the same as in detected mode."]
                continue
            title = "Removed lines in given mode"
        else:
            title = "Removed lines (detected mode), for review"
        more = f", first {MAX_NEWS_LINES}" if len(lines) > MAX_NEWS_LINES else ""
        out += ["", f"{title}: {len(lines)}{more}.", "",
                "| corpus | document | line | removed by | line text |", "|---|---|---:|---|---|"]
        for corpus, doc_id, line_no, cause, line in lines[:MAX_NEWS_LINES]:
            out.append(f"| {corpus} | {md(doc_id, 60)} | {line_no} | `{cause}` | {md(line)} |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
