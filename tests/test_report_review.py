"""report.html made for review: duplicates with their diffs and how they joined, MT spans,
examples in context, log-scale charts, the language-mix warning, counts in words.

The browser test cleans a fixture written here (near-duplicates, one joining through
another copy; the seed articles, machine-translated and with missing-space joins; hostile
markup in the text) and opens its report.html in headless chromium (tests/browser.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
from markupsafe import escape

from browser import browser_session, require_browser
from conftest import SEEDS, chained_copies, write_jsonl
from dqkit.report.html import bar_chart, column_chart, render_html, scale
from dqkit.report.languages import language_summary
from dqkit.report.markdown import render_markdown
from dqkit.report.review import CONTEXT_WORDS, DIFF_CHARS, word_diff
from test_report_html import PAGE_TAGS, Tags, open_every_section

HOSTILE = '<script>alert("diff")</script><img src=x onerror=alert(3)>'


def review_corpus(tmp_path: Path) -> Path:
    """The chained copies (the second and third carry hostile markup in one sentence), the
    five seed articles and a document whose removed line sits between hostile lines."""
    copies = chained_copies()
    for copy in copies[1:]:
        copy["text"] = copy["text"].replace("neuen Trainer", f"neuen Trainer {HOSTILE}")
    seeds = [{"id": path.name, "text": path.read_text(encoding="utf-8")} for path in sorted(SEEDS.glob("*.txt"))]
    framed = {"id": "framed <b>", "text": f"Vorher {HOSTILE} steht hier.\nFolgen Sie uns auf Facebook\nNachher <i>kursiv</i>."
              f"\n\n{seeds[0]['text'][:600]}"}
    return write_jsonl(tmp_path / "review.jsonl", [*copies, *seeds, framed])


@pytest.fixture
def review_run(dqkit, tmp_path) -> Path:
    """The fixture cleaned, kept copies chosen by input order (so that the first is kept)."""
    out = tmp_path / "out"
    run = dqkit("clean", review_corpus(tmp_path), "-o", out, "--keep", "earliest", "-q")
    assert run.code == 0, run.err
    return out


# ---------------------------------------------------------------------------- units


def test_a_word_diff_marks_changed_words_and_cuts_long_unchanged_stretches():
    kept = " ".join(f"w{i}" for i in range(300))
    copy = kept.replace("w150 ", "neu <b> ").replace("w3 ", "")
    shown = str(word_diff(kept, copy))
    assert "<del>w150</del><ins>neu &lt;b&gt;</ins>" in shown and "<del> w3</del>" in shown
    gaps = re.findall(r'<span class="gap">… ([\d,]+) words the same …</span>', shown)
    assert gaps == ["122", "137"]  # 146 and 149 unchanged words, less the context shown beside the changes
    before = re.search(r"</span>(.*?) <del>w150", shown).group(1).split()
    assert before == [f"w{k}" for k in range(150 - CONTEXT_WORDS, 150)]
    assert "w299" not in shown  # the end after the last change is left out
    assert str(word_diff("a b\nc", "a  b c")) == '<span class="gap">the same words as the kept copy</span>'


def test_a_long_diff_is_cut_and_says_how_many_changes_are_left():
    kept = " ".join(f"wort{i}" for i in range(3000))
    copy = " ".join(f"wort{i}" if i % 40 else f"anders{i}" for i in range(3000))
    shown = str(word_diff(kept, copy))
    left = int(re.search(r"diff cut: (\d+) more changes", shown).group(1))
    assert len(re.sub(r"<[^>]+>", "", shown)) < DIFF_CHARS + 400
    assert shown.count("<ins>") + left == 75


def test_charts_turn_to_a_log_scale_when_one_bar_dwarfs_the_others():
    share, note = scale([20_780, 3, 0, 1])
    assert note == "log scale: the largest bar is 20,780 times the smallest" and 0.05 < share(1) < share(3) < 1
    assert scale([40, 1])[1] == "" and scale([])[1] == ""
    mt = str(column_chart("mt", "mt", ["0.0-0.1", "0.6-0.7"], [("documents", [20_780, 1])], axis="mt_score"))
    assert "mt_score · log scale: the largest bar is 20,780 times the smallest" in mt
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', mt)]
    assert heights[1] > 0.05 * heights[0]  # on a linear scale it would be 1/20,780 of it
    bars = str(bar_chart("languages", "languages", [("en", 5000), ("it", 4)]))
    assert "log scale" in bars and "log scale" not in str(bar_chart("rules", "rules", [("a", 5), ("b", 4)]))


def test_the_language_mix_warning_rules():
    def warning(counts: dict[str, int], detector: str | None = "fasttext") -> str | None:
        frame = pl.DataFrame({"lang": list(counts), "_lang_by": ["untrusted"] * len(counts),
                              "_source": [None] * len(counts), "n": list(counts.values())})
        return language_summary(frame, detector).get("warning")

    # Reuters: 20,772 English, 10 documents in six other languages (0.05 %): many rare languages
    reuters = {"en": 20_772, "it": 4, "es": 2, "da": 1, "de": 1, "fr": 1, "nl": 1, "und": 1}
    assert warning(reuters).startswith("10 kept documents (0.05 %) are in 6 languages that hold under 1 %")
    assert warning({"en": 20_772, "it": 4, "es": 2, "fr": 1, "und": 1}) is None  # three: not many, 0.03 %
    assert warning({"en": 90, "und": 10}).startswith("10 kept documents (10.0 %) have no language (und)")
    assert warning({"en": 96, "und": 4}) is None
    assert warning({"und": 10}, detector=None) is None  # --no-langid: no language is no surprise
    both = warning({"en": 850, "und": 100, "it": 9, "es": 9, "fr": 8, "nl": 8, "sv": 8, "da": 8})
    assert "languages that hold under 1 %" in both and "; 100 kept documents (10.0 %) have no language" in both


def test_counts_read_as_words_in_report_html_and_report_md():
    one = {"action": "drop_line", "hits": 1, "documents": 1, "lines_removed": 1, "spans_removed": 0}
    report = {"rule_hits": {"any.x.one": one, "any.x.two": {**one, "hits": 2, "documents": 2, "lines_removed": 2}}}
    html = render_html(report, pl.DataFrame())
    assert "1 hit · 1 document · 1 line removed" in html and "2 hits · 2 documents · 2 lines removed" in html
    assert not re.search(r"\b1 (hits|documents|lines|files|edits|spans)\b", html)
    assert "(s)" not in html and "(es)" not in html
    markdown = render_markdown(json.loads((Path(__file__).parent.parent / "reports/seeds/report.json").read_text()))
    assert "(s)" not in markdown and "(es)" not in markdown and "from 13 files" in markdown


# ---------------------------------------------------------------------------- the fixture's report


def test_report_json_and_rejects_say_through_which_copy_a_copy_joined(review_run):
    report = json.loads((review_run / "report.json").read_text(encoding="utf-8"))
    (cluster,) = report["dedup"]["all_clusters"]
    via = {c["id"]: (c["linked_via"], c["linked_via_similarity"]) for c in cluster["copies"]}
    assert cluster["kept"] == "a-kept" and via["b-direct"] == (None, None) and via["c-via-b"][0] == "b-direct"
    rejects = pl.read_ndjson(review_run / "rejects.jsonl", infer_schema_length=None)
    row = rejects.filter(pl.col("id") == "c-via-b").row(0, named=True)
    assert row["linked_via"] == "b-direct" and row["similarity"] < 0.5 <= row["linked_via_similarity"]
    markdown = (review_run / "report.md").read_text(encoding="utf-8")
    assert "1 near duplicate joined its cluster through another copy" in markdown
    assert report["dedup"]["joined_through"] == {"copies": 1, "lowest_similarity": row["similarity"]}
    assert report["dedup"]["clusters_not_listed"] == 0


def test_report_json_lists_the_largest_clusters_up_to_its_limit(monkeypatch):
    """At most MAX_LISTED_CLUSTERS clusters are listed, the largest; the others are counted,
    and the copies that joined through another copy are counted over all of them."""
    from dqkit.report import summary

    monkeypatch.setattr(summary, "MAX_LISTED_CLUSTERS", 2)
    dups = pl.DataFrame({
        "id": ["a2", "b2", "b3", "c2", "d2", "d3", "d4"],
        "dup_of": ["a", "b", "b", "c", "d", "d", "d"],
        "reason": ["near_duplicate"] * 7,
        "similarity": [0.9, 0.8, 0.4, 0.7, 0.9, 0.9, 0.3],
        "linked_via": [None, None, "b2", None, None, None, "d2"],
        "linked_via_similarity": [None, None, 0.6, None, None, None, 0.7],
    })
    rejected = pl.DataFrame({"reason": ["near_duplicate"], "n": [7]})
    dedup = summary._dedup_summary({"dedup": "near", "near": {}}, rejected, dups)
    assert [c["kept"] for c in dedup["all_clusters"]] == ["d", "b"]
    assert dedup["clusters"] == 4 and dedup["clusters_not_listed"] == 2
    assert dedup["joined_through"] == {"copies": 2, "lowest_similarity": 0.3}


def test_report_html_of_the_fixture_is_inert(review_run):
    html = (review_run / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src" not in html and "<b>" not in html and "<i>kursiv" not in html
    assert str(escape(HOSTILE)) in html
    tags = Tags(html)
    assert {tag for tag, _ in tags.tags} <= PAGE_TAGS and len(tags.scripts) == 1
    assert not [(tag, name) for tag, attrs in tags.tags for name in attrs if name.startswith("on")]
    report = json.loads((review_run / "report.json").read_text(encoding="utf-8"))
    examples = pl.read_parquet(review_run / "edits.parquet")
    again = render_html(report, examples)  # without the texts: the same sections, no diffs
    assert "no text to compare in this run" in again and "<script>alert" not in again


def test_report_html_shows_the_review_sections_in_chromium(review_run):
    require_browser()
    with browser_session() as browser:
        info = browser.open(review_run / "report.html")
        page = info.page
        assert info.errors == [] and info.console_errors == [] and info.dialogs == []
        assert info.other_requests == [] and info.failed_requests == []

        # duplicates: the cluster is open, the copy that joined through another says so, the diffs mark words
        cluster = page.locator('#dedup details[data-cluster="a-kept"]')
        assert cluster.get_attribute("open") is not None and cluster.is_visible()
        chained = cluster.locator('tr[data-copy="c-via-b"]')
        assert chained.get_attribute("data-linked-via") == "b-direct"
        assert "through b-direct" in chained.inner_text() and "with the kept copy" in chained.inner_text()
        assert chained.locator("td.diff del").count() > 0 and chained.locator("td.diff ins").count() > 0
        assert any(HOSTILE in text for text in chained.locator("td.diff ins").all_inner_texts())  # shown as text
        assert "matched the kept copy" in cluster.locator('tr[data-copy="b-direct"]').inner_text()

        # examples: the first three rules open, a removed line between its neighbours, a join as before -> after
        rules = page.locator("details[data-rule]")
        assert all(rules.nth(k).get_attribute("open") is not None for k in range(3))
        open_every_section(page)
        framed = page.locator('tr:has(td.doc code:text-is("framed <b>"))').first
        assert framed.locator('[data-context="above"]').inner_text() == f"Vorher {HOSTILE} steht hier."
        assert framed.locator('[data-context="below"]').inner_text() == "Nachher <i>kursiv</i>."
        join = page.locator('tr[data-kind="join_repaired"]').first
        assert join.locator("del.token").inner_text() + " → " + join.locator("ins.token").inner_text() in join.inner_text()
        assert join.locator('[data-context="line"] mark').count() == 1

        # MT: the top documents' spans are marked in their lines, with the reasons
        top = page.locator('#mt details[data-mt-doc="000_ce10d6b5d5891930.txt"]')
        assert top.locator("td.text mark").count() >= 5 and top.locator("[data-mt-reasons] li").count() >= 5
        assert page.locator("script").count() == 1 and page.locator("img, iframe").count() == 0
        assert HOSTILE in page.inner_text("body")


def test_the_model_s_strongest_ngrams_are_marked_where_they_stand():
    """A document flagged by the learned model alone has no span: its strongest n-grams are
    marked in the clean lines where they first stand (hostile text stays text)."""
    reasons = [{"signal": "model", "count": 1, "example": '0.84: „Ihren“, „sagte ,“, „nirgends“'}]
    report = {"mt": {"top_documents": [{"id": "m1", "mt_score": 0.84, "mt_probability": 0.84, "mt_reasons": reasons}]}}
    text = "Titel <b>fett</b>\nEr sagte, dass Ihren Antrag niemand las."
    html = render_html(report, pl.DataFrame(), mt_spans=pl.DataFrame(), mt_texts={"m1": text})
    table = html[html.index('data-mt-ngrams="m1"'):]
    table = table[: table.index("</table>")]
    assert re.findall(r"<code>([^<]*)</code>", table) == ["Ihren", "sagte ,"]  # "nirgends" is not in the text
    assert "<mark>sagte,</mark>" in table.replace("\n", "") and "<mark>Ihren</mark>" in table
    assert "(its n-grams are marked above)" in html and "<b>fett" not in html
