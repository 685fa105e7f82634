"""The labelled web pages the boilerplate classifier is fitted and measured on, and the split.

Two developer sets of ``../shared/data``:

- trafilatura-eval-dev: per page a few hand-picked snippets that must be kept (``with``) or
  removed (``without``). A ``raw_text`` line holding a found ``with`` snippet is content, one
  holding a ``without`` snippet boilerplate; the other lines are unlabelled.
- web-boilerplate-gold-dev (CleanEval dev, Mozilla Readability pages): a gold main text per
  page. A line is content when most of its word 4-grams are in the gold text (a line of
  fewer than four words: when it is a whole gold line), boilerplate when none of its words'
  sequence is there; lines in between are unlabelled (the gold is edited: fuzzy).

**The split is by site**: a page is on the *fitting* side iff
``sha256("dqkit-boilerplate:" + site) % 2 == 0``, where the site is the data's ``site`` field
(trafilatura) or the host of the page's URL (the id where there is none). Pages of one site
are never on both sides; the benchmark measures the other side.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
SNIPPET_PAGES = DATA / "trafilatura-eval-dev" / "trafilatura_eval.pairs.jsonl.gz"
GOLD_PAGES = {
    "cleaneval-dev": DATA / "web-boilerplate-gold-dev" / "cleaneval-dev.pairs.jsonl.gz",
    "readability": DATA / "web-boilerplate-gold-dev" / "readability.pairs.jsonl.gz",
}
FIT, MEASURE = "fit", "measure"
TOKEN = re.compile(r"\w+")
CONTENT_SHARE = 0.5  # of a line's 4-grams in the gold: content
CHROME_SHARE = 0.0  # and none of them (nor its short sequence): boilerplate


def side(site: str) -> str:
    """``fit`` or ``measure`` for every page of ``site``."""
    digest = int(hashlib.sha256(f"dqkit-boilerplate:{site}".encode()).hexdigest(), 16)
    return FIT if digest % 2 == 0 else MEASURE


def gold_site(page: dict) -> str:
    return urlsplit(page["url"]).hostname or page["id"] if page.get("url") else page["id"]


@dataclass
class Page:
    id: str
    site: str
    corpus: str  # trafilatura-eval-dev | cleaneval-dev | readability
    raw_text: str
    labels: dict[int, int]  # 1-based line number -> 1 content, 0 boilerplate
    page: dict  # the record as read

    @property
    def side(self) -> str:
        return side(self.site)


def _read(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _norm(text: str) -> str:
    return " ".join(text.split())


def snippet_labels(page: dict) -> dict[int, int]:
    labels: dict[int, int] = {}
    lines = [_norm(line) for line in page["raw_text"].split("\n")]
    for kind, label in (("without", 0), ("with", 1)):  # a line holding both counts as content
        for text, found in zip(page[kind], page[f"{kind}_found_in_raw_text"], strict=True):
            if found:
                for no, line in enumerate(lines, 1):
                    if _norm(text) in line:
                        labels[no] = label
    return labels


def _grams(tokens: list[str], n: int = 4) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def gold_labels(page: dict) -> dict[int, int]:
    gold_tokens = TOKEN.findall(page["gold_text"].lower())
    gold_grams = _grams(gold_tokens)
    gold_lines = {" ".join(TOKEN.findall(line.lower())) for line in page["gold_text"].split("\n")}
    gold_joined = " " + " ".join(gold_tokens) + " "
    labels = {}
    for no, line in enumerate(page["raw_text"].split("\n"), 1):
        tokens = TOKEN.findall(line.lower())
        if not tokens:
            continue
        if len(tokens) >= 4:
            grams = _grams(tokens)
            share = sum(g in gold_grams for g in grams) / len(grams)
            if share >= CONTENT_SHARE:
                labels[no] = 1
            elif share <= CHROME_SHARE:
                labels[no] = 0
        elif " ".join(tokens) in gold_lines:
            labels[no] = 1
        elif f" {' '.join(tokens)} " not in gold_joined:
            labels[no] = 0
    return labels


def snippet_pages() -> list[Page]:
    return [
        Page(p["id"], p["site"], "trafilatura-eval-dev", p["raw_text"], snippet_labels(p), p)
        for p in _read(SNIPPET_PAGES)
    ]


def gold_pages(subset: str) -> list[Page]:
    return [Page(p["id"], gold_site(p), subset, p["raw_text"], gold_labels(p), p) for p in _read(GOLD_PAGES[subset])]


def all_pages() -> list[Page]:
    return snippet_pages() + [page for subset in GOLD_PAGES for page in gold_pages(subset)]
