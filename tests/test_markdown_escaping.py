"""Markdown injection: report.md, ``dqkit diff`` and ``dqkit check --format md`` are shown
as GitHub step summaries and pull-request comments, so corpus text, ids, file names,
languages, rule ids and gate names in them must render as text: no image, no link, no tag.

The rendered checks use cmarkgfm (GitHub's cmark-gfm, in the test extra) with the GFM
extensions and raw HTML let through, so that anything not escaped would show as a tag.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import BODIES, write_jsonl, write_pack
from dqkit.report.markdown import LINE_BREAK, WORD_JOINER, escape_cell, render_markdown

try:
    import cmarkgfm
    from cmarkgfm.cmark import Options
except ImportError:  # not a dependency of dqkit; CI installs the test extra
    cmarkgfm = None
    if os.environ.get("CI"):
        raise

needs_gfm = pytest.mark.skipif(cmarkgfm is None, reason="cmarkgfm (pip install -e '.[test]') is not installed")

HOSTILE = [
    "![x](http://evil.example/x.png)",
    "[x](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "`code`",
    "| a | b |",
    "# heading",
    "> quote",
    "- item",
    "1. item",
    "**bold** _em_ ~~struck~~",
    "https://evil.example/",
    "www.evil.example",
    "<https://evil.example/auto>",
    "mail@evil.example @octocat #1",
    "[^1] [ ] $x$ :+1:",
    "&copy; &amp; &#60;b&#62;",
    "back\\slash \\* trailing\\",
    "    indented code",
    "two\nlines\r\nand\rmore",
    "---",
]
# the lines a rule can remove as they are (ftfy would decode the entities first)
LINES = [s for s in HOSTILE if s == s.strip() and not re.search("[\n\r&]", s)]
LANGS = ["de-" + s for s in HOSTILE[:3]]  # a given language is kept as given when it starts with a tag
FILES = ["[x](javascript:alert(1)).jsonl", "<img src=x onerror=alert(1)> **b**.jsonl", "www.evil.example `c`.jsonl"]
CLUSTERS = 5  # of exact duplicates, one body each; report.json lists the five largest
REPORT_TAGS = {"h1", "h2", "p", "strong", "table", "thead", "tbody", "tr", "th", "td", "ul", "li"}


def _rule_pack(lines: list[str]) -> str:
    """One rule a line, each removing exactly that line (JSON strings are YAML strings)."""
    rules = "".join(
        f"  - id: any.custom.h{n:02}\n    message: Hostile line {n}\n"
        f"    match: {{phrases: [{json.dumps(line)}], anchor: full_line}}\n"
        f"    examples: {{match: [{json.dumps(line)}], no_match: [\"Der Stadtrat tagt am Montag.\"]}}\n"
        for n, line in enumerate(lines)
    )
    return f"schema: dqkit/rules@1\nlang: [any]\nrules:\n{rules}"


def _hostile_corpus(tmp_path: Path) -> tuple[Path, Path]:
    """Every hostile string as a document id and (when it can be one line) as a line a rule
    removes; five clusters of exact duplicates (so every id is in the duplicates table), three
    hostile language codes, three hostile file names."""
    folder = tmp_path / "in"
    folder.mkdir()
    docs = [
        {
            "id": s,
            "text": (f"{s}\n" if s in LINES else "") + BODIES[n % CLUSTERS],
            "lang": LANGS[n % CLUSTERS] if n % CLUSTERS < len(LANGS) else "de",
        }
        for n, s in enumerate(HOSTILE)
    ]
    for n, name in enumerate(FILES):
        write_jsonl(folder / name, docs[n :: len(FILES)])
    write_pack(tmp_path, _rule_pack(LINES))
    return folder, tmp_path / "rules"


@pytest.fixture
def hostile_run(tmp_path, dqkit, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no settings file of the repo is picked up
    folder, rules = _hostile_corpus(tmp_path)
    out = tmp_path / "out"
    run = dqkit("clean", folder, "-o", out, "--no-builtin-rules", "--rules", rules, "-q")
    assert run.code == 0, run.err
    return out


class Rendered(HTMLParser):
    """The tags, link targets and visible text of rendered HTML (entities decoded)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        if data != "\n":  # what cmark puts between block tags
            self.text += data


def render(markdown: str) -> Rendered:
    """``markdown`` as GitHub renders it (tables, bare-URL autolinks, strikethrough, task
    lists, footnotes), but with raw HTML passed through instead of sanitised."""
    html = cmarkgfm.markdown_to_html_with_extensions(
        markdown,
        options=Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES,
        extensions=["table", "autolink", "strikethrough", "tasklist"],
    )
    return Rendered(html)


def shown(value: str) -> str:
    """What a reader should see for ``value``: its characters, line breaks as the marker."""
    return re.sub(r"\r\n|\r|\n", LINE_BREAK, value).replace("\x00", "\ufffd")


def visible(text: str) -> str:
    return text.replace(WORD_JOINER, "")  # invisible; escaping puts it after @ and #


def assert_raw_markdown_is_inert(markdown: str) -> None:
    """What can be checked without a renderer: no tag, no unescaped link bracket or code
    span, no bare URL, no mention."""
    assert "<" not in markdown
    assert not re.search(r"(?<!\\)[\[\]`]", markdown), re.search(r".{0,30}(?<!\\)[\[\]`].{0,30}", markdown)
    for bare in ("http://", "https://", "www."):
        assert bare not in markdown, bare
    assert re.findall("@(?!\u2060)", markdown) == []


def assert_renders_as_text(markdown: str, values: list[str], allowed: set[str]) -> Rendered:
    page = render(markdown)
    assert set(page.tags) <= allowed, sorted(set(page.tags) - allowed)  # no a, img, script, code, em, ...
    text = visible(page.text)
    missing = [v for v in values if visible(shown(v)) not in text]
    assert not missing, f"not shown as text: {missing}"
    return page


# ---------------------------------------------------------------------------- the escaping itself


@pytest.mark.parametrize("value", HOSTILE)
def test_escaped_hostile_text_keeps_no_markup_character_bare(value):
    escaped = escape_cell(value)
    assert "\n" not in escaped and "\r" not in escaped
    assert not re.search(r"(?<!\\)[\[\]`|*~<>]", escaped.replace("&lt;", "").replace("&gt;", ""))
    assert not re.search(r"^\s", escaped) and not re.search(r"\s$", escaped)  # never indentation, never trimmed


def test_a_word_keeps_its_underscores_and_a_leading_number_its_dot_unless_it_is_a_list():
    assert escape_cell("doc_id blank_line_folded") == "doc_id blank_line_folded"
    assert escape_cell("_em_ a__b") == "\\_em\\_ a\\_\\_b"
    assert escape_cell("0.1.0 18. Oktober") == "0.1.0 18. Oktober"
    assert escape_cell("18. Oktober") == "18\\. Oktober"
    assert escape_cell("-5 and -") == "-5 and -"
    assert escape_cell("- 5") == "\\- 5"


MARKUP = st.sampled_from(
    [*"\\`*_[]()!<>#|~{}+-.=:$@&;/ \t\n\r0123456789aw", "http://", "https://", "ftp://", "www.", "&amp;",
     "&#x41;", "1.", "1)", "- ", "> ", "# ", "    ", "\x00", "\u00a0", "\x0b", "\x0c", "\u2028", "mailto:",
     "a@b.co", "_a_", "a_b", "é", "\u0301", "<img src=x>", "](", "![", "[^", "-->", "<!--"]
)
PLACES = [  # how dqkit puts a value into its Markdown: (before, after, what the text shows around it, tags)
    ("| h |\n|---|\n| ", " |", ("h", ""), {"table", "thead", "tbody", "tr", "th", "td"}),
    ("", "", ("", ""), {"p"}),
    ("Text: ", " end.", ("Text: ", " end."), {"p"}),
    ("- ", "", ("", ""), {"ul", "li"}),
    ("# dqkit diff: ", " → b", ("dqkit diff: ", " → b"), {"h1"}),
]


@needs_gfm
@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(min_size=1), st.lists(MARKUP, min_size=1, max_size=12).map("".join)))
def test_an_escaped_value_renders_as_exactly_its_text_in_a_cell_a_paragraph_a_list_item_and_a_heading(value):
    for before, after, (lead, tail), allowed in PLACES:
        page = render(before + escape_cell(value) + after)
        assert set(page.tags) <= allowed, (before, value, page.tags)
        assert visible(page.text) == lead + visible(shown(value)) + tail, (before, value)


# ---------------------------------------------------------------------------- the three outputs


def test_report_md_of_a_hostile_corpus_is_inert(hostile_run):
    markdown = (hostile_run / "report.md").read_text(encoding="utf-8")
    report = json.loads((hostile_run / "report.json").read_text(encoding="utf-8"))
    # the corpus does reach report.md: every line as a rule's sample, every id, languages, file names
    samples = {s["samples"][0]["text"] for s in report["rule_hits"].values()}
    assert samples == set(LINES)
    ids = {i for c in report["dedup"]["largest_clusters"] for i in [c["kept"], *c["duplicates"]]}
    assert ids == set(HOSTILE)
    assert set(LANGS) <= set(report["languages"])
    assert_raw_markdown_is_inert(markdown)
    if cmarkgfm is not None:
        names = [f"in/{name}" for name in FILES]
        assert_renders_as_text(markdown, [*HOSTILE, *LANGS, *names], REPORT_TAGS)


@needs_gfm
def test_report_md_shows_hostile_rule_ids_reasons_and_counters_as_text(hostile_run):
    """Rule ids, reject reasons, edit kinds, stage counters and the version come from dqkit
    (a rule pack refuses such an id) but are report values all the same."""
    report = json.loads((hostile_run / "report.json").read_text(encoding="utf-8"))
    rule_hits = list(report["rule_hits"].values())
    report["rule_hits"] = {s: rule_hits[n % len(rule_hits)] for n, s in enumerate(HOSTILE)}
    report["documents"]["rejected_by_reason"] = {s: 1 for s in HOSTILE}
    report["edits_by_kind"] = {HOSTILE[0]: 1}
    report["stages"] = {HOSTILE[1]: {HOSTILE[2]: 1}}
    report["dqkit_version"] = HOSTILE[3]
    report["rules"]["fingerprint"] = HOSTILE[4]
    markdown = render_markdown(report)
    assert_raw_markdown_is_inert(markdown)
    assert_renders_as_text(markdown, HOSTILE, REPORT_TAGS)


def _with_hostile_rule_ids(report_dir: Path, out: Path) -> Path:
    """A copy of a report whose rule ids are the hostile strings: dqkit diff and check read
    report.json files that anyone may have edited."""
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    rename = {rule_id: HOSTILE[n] for n, rule_id in enumerate(sorted(report["rule_hits"]))}
    report["rule_hits"] = {rename[r]: s for r, s in report["rule_hits"].items()}
    report["rules"]["definitions"] = {rename.get(r, r): h for r, h in report["rules"]["definitions"].items()}
    out.mkdir(parents=True)
    (out / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return out


@pytest.fixture
def base_and_hostile_head(hostile_run, tmp_path, dqkit):
    """A baseline of the same rules on a harmless corpus, and the hostile run's report
    under a folder whose name is hostile too."""
    harmless = tmp_path / "harmless"
    harmless.mkdir()
    write_jsonl(harmless / "d.jsonl", [{"id": f"d{n}", "text": body} for n, body in enumerate(BODIES[:CLUSTERS])])
    base = tmp_path / "base"
    run = dqkit("clean", harmless, "-o", base, "--no-builtin-rules", "--rules", tmp_path / "rules", "-q")
    assert run.code == 0, run.err
    head = tmp_path / "![x](http:" / "evil.example" / "x.png) [y](www.evil.example)"
    head = _with_hostile_rule_ids(hostile_run, head)
    return base, head


def test_dqkit_diff_markdown_of_hostile_reports_is_inert(base_and_hostile_head, dqkit):
    base, head = base_and_hostile_head
    result = dqkit("diff", base, head)
    assert result.code == 0, result.err
    markdown = result.out
    assert "## New sample lines" in markdown and "## Rules" in markdown
    assert_raw_markdown_is_inert(markdown)
    if cmarkgfm is not None:
        rule_ids = HOSTILE[: len(LINES)]
        assert_renders_as_text(markdown, [*rule_ids, *LINES, str(head)], REPORT_TAGS)


def test_dqkit_check_markdown_of_hostile_reports_and_gates_is_inert(base_and_hostile_head, tmp_path, dqkit):
    base, head = base_and_hostile_head
    gate_id = "![g](http://evil.example/g.png) <b>gate</b> @octocat"
    (tmp_path / "dqkit.toml").write_text(
        f'[[gates]]\nid = {json.dumps(gate_id)}\nmetric = "rules.*.hits"\nerror_if = "delta > 0"\n', encoding="utf-8"
    )
    result = dqkit("check", head, "--baseline", base, "--format", "md")
    assert result.code == 1, result.out + result.err
    markdown = result.out
    assert markdown.count("❌") >= len(LINES)  # a failing row for each hostile rule id
    assert_raw_markdown_is_inert(markdown)
    if cmarkgfm is not None:
        metrics = [f"rules.{rule_id}.hits" for rule_id in HOSTILE[: len(LINES)]]
        assert_renders_as_text(markdown, [gate_id, *metrics, str(head), str(base)], REPORT_TAGS)
