"""report.html: self-contained, offline, escaped, deterministic, and it shows the run.

Unit tests read the HTML as text; browser tests open it in headless chromium
(tests/browser.py; skipped without playwright or /usr/bin/chromium unless
DQKIT_REQUIRE_BROWSER=1, which turns a missing browser into a failure).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from markupsafe import escape

from browser import browser_session, require_browser
from conftest import BODIES, REPO, write_jsonl, write_pack
from dqkit.report.html import diff_markup, render_html

CHARTS = ("rules", "languages", "mt", "lengths", "clusters")


def html_of(out_dir: Path) -> str:
    """The report.html that ``dqkit clean`` wrote into ``out_dir``."""
    return (out_dir / "report.html").read_text(encoding="utf-8")


def page_file(out_dir: Path) -> Path:
    """html_of(out_dir) as a file a browser can open."""
    path = out_dir.parent / f"{out_dir.name}-page.html"
    path.write_text(html_of(out_dir), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- corpora

HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>',
           "</textarea>", "{{ 7*7 }}"]

HOSTILE_RULES = """\
schema: dqkit/rules@1
lang: [any]
rules:
  - id: any.custom.hostile
    message: 'Hostile <script>alert(1)</script> & <b>markup</b>'
    match: {regex: 'alert\\(1\\)|</textarea>|\\{\\{ 7\\*7 \\}\\}'}
    where: {max_line_chars: 200}
    examples:
      match: ["<script>alert(1)</script>"]
      no_match: ["Der Stadtrat tagt am Montag."]
  - id: any.custom.flagged
    action: flag
    message: Flagged marker line
    match: {phrases: ["FLAGME"], anchor: line_start}
    where: {max_line_chars: 200}
    examples:
      match: ["FLAGME <b>bold</b>"]
      no_match: ["Der Stadtrat tagt am Montag."]
  - id: any.custom.dropdoc
    action: drop_doc
    message: Drop the document
    match: {phrases: ["DROPDOC"], anchor: line_start}
    where: {max_line_chars: 200}
    examples:
      match: ["DROPDOC now"]
      no_match: ["Der Stadtrat tagt am Montag."]
"""

FLAGGED_LINE = 'FLAGME <b>bold</b> &amp; "quoted"'
DROPPED_LINE = "DROPDOC <img src=y onerror=alert(2)>"  # drop_doc leaves no edit row: a report sample
MOJIBAKE_LINE = "Die GrÃ¶ÃŸe <iframe srcdoc=x> zählt für alle Menschen in der Stadt."
HOSTILE_LANG = "de-" + HOSTILE[1]  # a given language is kept as given when it starts with a tag


def hostile_corpus(tmp_path: Path) -> tuple[Path, Path]:
    """A folder with one JSONL file (itself named with markup) whose ids, lines and one
    language code are HTML/template injection attempts; and a rule folder that removes
    those lines (its message is markup too) and flags another."""
    folder = tmp_path / "in"
    folder.mkdir()
    docs = [{"id": s, "text": f"{s}\n\n{BODIES[i]}", "lang": "de"} for i, s in enumerate(HOSTILE)]
    docs.append({"id": "copy " + HOSTILE[1], "text": docs[0]["text"], "lang": "de"})  # a duplicate cluster
    docs.append({"id": "flagged", "text": f"{FLAGGED_LINE}\n{BODIES[5]}\n{MOJIBAKE_LINE}", "lang": HOSTILE_LANG})
    docs.append({"id": "dropped", "text": f"{DROPPED_LINE}\n{BODIES[4]} Ende.", "lang": "de"})
    write_jsonl(folder / f"{HOSTILE[1]}.jsonl", docs)
    write_pack(tmp_path, HOSTILE_RULES)
    return folder, tmp_path / "rules"


def run_hostile(dqkit, tmp_path: Path, name: str = "out") -> Path:
    folder, rules = (tmp_path / "in", tmp_path / "rules") if (tmp_path / "in").exists() else hostile_corpus(tmp_path)
    out = tmp_path / name
    run = dqkit("clean", folder, "-o", out, "--rules", rules, "-q")
    assert run.code == 0, run.err
    return out


def run_seeds(dqkit, tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(REPO)
    out = tmp_path / "seeds-out"
    run = dqkit("clean", "seeds", "-o", out, "-q")
    assert run.code == 0, run.err
    return out


class Tags(HTMLParser):
    """Every start tag with its attributes; the text of each <script>."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


# Every element the page is built from: anything else came from the corpus.
PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "nav", "a",
             "main", "section", "div", "span", "figure", "figcaption", "svg", "g", "rect", "text", "line", "table",
             "thead", "tbody", "tr", "th", "td", "code", "details", "summary", "del", "ins", "mark", "label",
             "input", "ul", "li", "footer", "script"}


def open_every_section(page) -> None:
    """Click open every closed <details> of the page, as a reader would (some are open already)."""
    for summary in page.locator("details > summary").all():
        if summary.evaluate("element => !element.parentElement.open"):
            summary.click()
    page.wait_for_timeout(200)


def chart_svg(html: str, chart: str) -> str:
    found = re.findall(rf'<svg [^>]*data-chart="{chart}".*?</svg>', html, flags=re.S)
    assert len(found) == 1, f"chart {chart}: {len(found)} svg elements"
    return found[0]


# ---------------------------------------------------------------------------- unit tests


def test_hostile_corpus_text_is_shown_escaped_never_as_markup(dqkit, tmp_path):
    out = run_hostile(dqkit, tmp_path)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    edits = pl.read_parquet(out / "edits.parquet")
    # the corpus does reach the report: removed lines, ids, a language code, a file name, a message
    assert report["rule_hits"]["any.custom.hostile"]["hits"] >= len(HOSTILE)
    assert set(HOSTILE) <= set(edits.filter(pl.col("kind") == "line_removed")["before"].to_list())
    assert HOSTILE_LANG in report["languages"]
    assert (edits["kind"] == "unicode_fixed").any() and (edits["kind"] == "line_flagged").any()
    assert report["rule_hits"]["any.custom.dropdoc"]["samples"][0]["text"] == DROPPED_LINE

    html = html_of(out)
    for raw in ("<script>alert", "<img src=", "<svg onload", "</textarea>", "<iframe", "<b>"):
        assert raw not in html, f"{raw!r} reached the page unescaped"
    for text in HOSTILE:
        assert str(escape(text)) in html, f"{text!r} is not shown"
    assert f'<del class="line">{escape(HOSTILE[0])}</del>' in html  # a removed line, wholly marked
    assert f'<mark class="line">{escape(FLAGGED_LINE)}</mark>' in html  # "&amp;" shown as typed
    assert "&lt;iframe srcdoc=x&gt;" in html and "<del>" in html and "<ins>" in html  # the unicode diff
    assert str(escape("Hostile <script>alert(1)</script> & <b>markup</b>")) in html  # rule message
    assert str(escape(f"{HOSTILE[1]}.jsonl")) in html  # file name
    assert str(escape(HOSTILE_LANG)) in chart_svg(html, "languages")  # language code
    assert f'<mark class="line">{escape(DROPPED_LINE)}</mark>' in html  # a drop_doc rule's sample
    assert '<del class="line">{{ 7*7 }}</del>' in html and ">49<" not in html  # no template evaluation

    tags = Tags(html)
    assert {tag for tag, _ in tags.tags} <= PAGE_TAGS
    assert len(tags.scripts) == 1
    assert not [(tag, name) for tag, attrs in tags.tags for name in attrs if name.startswith("on")]


def test_rendering_is_deterministic_offline_and_the_csp_admits_only_the_inline_script(dqkit, tmp_path):
    first, second = run_hostile(dqkit, tmp_path, "one"), run_hostile(dqkit, tmp_path, "two")
    html = html_of(first)
    assert html == html_of(first) == html_of(second)

    tags = Tags(html)
    for tag, attrs in tags.tags:
        for name in ("src", "href", "action", "srcset", "xlink:href", "poster", "data", "formaction"):
            value = (attrs.get(name) or "").strip().lower()
            assert "http:" not in value and "https:" not in value and "//" not in value, (tag, name, value)
        if tag == "a":
            assert attrs["href"].startswith("#"), attrs
        assert tag not in ("link", "img", "iframe", "object", "embed", "base"), tag
    assert "http://" not in html and "https://" not in html
    assert "@import" not in html and "url(" not in html

    metas = [attrs for tag, attrs in tags.tags
             if tag == "meta" and attrs.get("http-equiv", "").lower() == "content-security-policy"]
    assert len(metas) == 1
    policy = dict(part.strip().split(" ", 1) for part in metas[0]["content"].split(";") if part.strip())
    assert policy["default-src"] == "'none'"
    assert policy["style-src"] == "'unsafe-inline'"
    (script,) = tags.scripts
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert policy["script-src"] == f"'sha256-{digest}'"
    assert "unsafe-inline" not in policy["script-src"]


def test_the_compiled_template_is_cached_and_renders_the_same(dqkit, tmp_path, monkeypatch):
    """The template compiled by one run is loaded by the next (a fresh environment, as in a
    new process) and renders the very same page; a cache that cannot be written is passed over."""
    from dqkit.report import html as report_html

    report = json.loads((run_hostile(dqkit, tmp_path, "one") / "report.json").read_text())
    monkeypatch.setenv("DQKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(report_html, "_ENV", None)
    fresh = render_html(report, pl.DataFrame())
    (cached,) = (tmp_path / "cache" / "templates").iterdir()
    monkeypatch.setattr(report_html, "_ENV", None)
    compiled = []
    monkeypatch.setattr(report_html.jinja2.Environment, "compile", lambda *a, **k: compiled.append(a))
    assert render_html(report, pl.DataFrame()) == fresh
    assert not compiled and cached.stat().st_size > 1000
    monkeypatch.undo()
    monkeypatch.setenv("DQKIT_CACHE_DIR", str(tmp_path / "cache"))
    cached.write_bytes(cached.read_bytes()[:100])  # a damaged entry: compiled again
    monkeypatch.setattr(report_html, "_ENV", None)
    assert render_html(report, pl.DataFrame()) == fresh
    blocked = tmp_path / "a file"
    blocked.write_text("")
    monkeypatch.setenv("DQKIT_CACHE_DIR", str(blocked))
    monkeypatch.setattr(report_html, "_ENV", None)
    assert render_html(report, pl.DataFrame()) == fresh
    monkeypatch.setattr(report_html, "_ENV", None)


def test_a_run_where_nothing_fires_renders_no_data_placeholders(dqkit, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_jsonl(folder / "plain.jsonl", [{"id": f"d{i}", "text": body} for i, body in enumerate(BODIES[:3])])
    out = tmp_path / "out"
    assert dqkit("clean", folder, "-o", out, "--no-dedup", "--no-langid", "-q").code == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["rule_hits"] == {} and report["dedup"]["clusters"] == 0

    html = html_of(out)
    for chart in ("rules", "clusters"):
        assert "no data" in chart_svg(html, chart) and "<rect" not in chart_svg(html, chart)
    assert "<rect" in chart_svg(html, "lengths") and "no data" not in chart_svg(html, "lengths")
    assert "no data: no rule fired." in html and "no data: no document was rejected." in html
    assert report["mt"]["top_documents"] == [], "no language, so no model, and no artefact: every mt_score is 0"
    assert "no data: no kept document has an mt_score above 0." in html

    bare = render_html({}, pl.DataFrame())  # every key missing, no edits at all
    for chart in CHARTS:
        assert "no data" in chart_svg(bare, chart), chart
    edits = pl.read_parquet(out / "edits.parquet").clear()
    assert "no data" in chart_svg(render_html(report, edits), "rules")


def test_length_chart_draws_every_bucket_before_and_after(dqkit, tmp_path, monkeypatch):
    report = json.loads((run_seeds(dqkit, tmp_path, monkeypatch) / "report.json").read_text(encoding="utf-8"))
    lengths = report["lengths"]
    svg = chart_svg(render_html(report, pl.DataFrame()), "lengths")
    labels = re.findall(r'<text class="label"[^>]*>([^<]*)</text>', svg)
    assert labels == [str(escape(label)) for label in lengths["buckets"]]
    counts = [int(n.replace(",", "")) for n in re.findall(r'<text class="count"[^>]*>([^<]*)</text>', svg)]
    assert counts == [n for pair in zip(lengths["before"], lengths["after"]) for n in pair]
    del report["lengths"]
    assert "no data" in chart_svg(render_html(report, pl.DataFrame()), "lengths")


def test_examples_diff_by_character_and_long_lines_are_cut_after_diffing():
    assert str(diff_markup("JakeSullivan", "Jake Sullivan")) == "Jake<ins> </ins>Sullivan"
    long_before = "x" * 2000 + "GrÃ¶ÃŸe <b>" + "y" * 2000
    shown = str(diff_markup(long_before, long_before.replace("GrÃ¶ÃŸe", "Größe")))
    assert "<del>" in shown and "<ins>" in shown and "&lt;b&gt;" in shown
    visible = re.sub(r"<[^>]+>", "", shown).replace("&lt;", "<").replace("&gt;", ">")
    assert len(visible) <= 520 and visible.startswith("…") and visible.endswith("…")
    edits = pl.DataFrame({"doc_id": ["d"] * 30, "line_no": list(range(1, 31)), "kind": ["line_removed"] * 30,
                          "rule_id": ["any.x.y"] * 30, "before": [f"line {i} " + "z" * 900 for i in range(30)],
                          "after": [None] * 30}, schema_overrides={"line_no": pl.Int32, "after": pl.String})
    html = render_html({"rule_hits": {"any.x.y": {"action": "drop_line", "hits": 30}}}, edits, examples_per_rule=5)
    rows = re.findall(r'<del class="line">([^<]*)</del>…', html)
    assert [row.split(" ")[1] for row in rows] == ["0", "1", "2", "3", "4"]  # first five, in frame order
    assert all(len(row) == 500 for row in rows)


# ---------------------------------------------------------------------------- browser tests


@pytest.fixture(scope="module")
def browser():
    require_browser()
    with browser_session() as session:
        yield session


def test_seed_report_opens_offline_with_charts_and_examples(dqkit, tmp_path, monkeypatch, browser):
    out = run_seeds(dqkit, tmp_path, monkeypatch)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    edits = pl.read_parquet(out / "edits.parquet")
    info = browser.open(page_file(out))
    page = info.page

    assert info.errors == [] and info.console_errors == []
    assert info.other_requests == [] and info.failed_requests == []
    for chart in CHARTS:
        assert page.locator(f'svg[data-chart="{chart}"]').count() == 1, chart
        assert page.locator(f'svg[data-chart="{chart}"] > title').count() == 1, chart
    for chart in ("rules", "languages", "lengths"):
        svg = page.locator(f'svg[data-chart="{chart}"]')
        assert svg.locator("rect").count() > 0 and "no data" not in svg.inner_html(), chart
        assert svg.is_visible()
    assert page.locator('svg[data-chart="rules"] g.bar').count() == len(report["rule_hits"])
    assert "no data" in page.locator('svg[data-chart="clusters"]').inner_html()  # no duplicates in seeds/

    sections = page.eval_on_selector_all("details[data-rule]", "els => els.map(e => e.dataset.rule)")
    assert set(report["rule_hits"]) <= set(sections)
    removed = set(edits.filter(pl.col("kind") == "line_removed")["before"].to_list())
    rules = page.locator("details[data-rule]")
    assert [rules.nth(k).get_attribute("open") is not None for k in range(4)] == [True, True, True, False]
    assert rules.first.locator("del.line").first.is_visible()  # the rules with the most hits are open
    fourth = rules.nth(3)
    highlighted = fourth.locator("del.line").first
    assert not highlighted.is_visible()  # the others are closed until the reader opens them (no script needed)
    fourth.locator("summary").click()
    assert highlighted.is_visible() and highlighted.inner_text() in removed

    box = page.locator("#rule-filter")  # the script runs under the CSP: the filter box shows
    assert box.is_visible()
    box.fill("nav")
    visible = page.eval_on_selector_all("details[data-rule]", "els => els.filter(e => !e.hidden).map(e => e.dataset.rule)")
    assert visible and all("nav" in rule for rule in visible)
    assert len(visible) == len([rule for rule in sections if "nav" in rule])

    no_js = browser.open(page_file(out), javascript=False)
    assert not no_js.page.locator("#rule-filter").is_visible()
    assert no_js.page.locator("details[data-rule]").count() == len(sections)
    assert no_js.page.locator("details[open] del.line").first.is_visible()

    png = browser.screenshot(page_file(out), tmp_path / "seeds.png")
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24])[0] == 1280


def test_hostile_report_runs_no_corpus_script_and_shows_the_text(dqkit, tmp_path, browser):
    out = run_hostile(dqkit, tmp_path)
    info = browser.open(page_file(out))
    page = info.page
    open_every_section(page)

    assert info.dialogs == []
    assert info.errors == [] and info.console_errors == []
    assert info.other_requests == [] and info.failed_requests == []
    assert page.locator("script").count() == 1
    assert page.locator("[onerror],[onload],[onmouseover]").count() == 0
    assert page.locator("img, iframe, textarea, svg script, object, embed").count() == 0
    text = page.inner_text("body")
    for hostile in [*HOSTILE, FLAGGED_LINE, DROPPED_LINE, "<iframe srcdoc=x>", f"{HOSTILE[1]}.jsonl", "copy " + HOSTILE[1]]:
        assert hostile in text, hostile


def test_require_browser_skips_without_chromium_unless_ci_requires_it(monkeypatch, tmp_path):
    import browser as helper

    monkeypatch.setattr(helper, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv(helper.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium"):
        helper.require_browser()
    monkeypatch.setenv(helper.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="DQKIT_REQUIRE_BROWSER=1"):
        helper.require_browser()
