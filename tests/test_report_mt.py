"""The documents with the highest mt_score in report.json (``mt.top_documents``), and in
report.html with their spans marked in their clean lines, and in report.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
from conftest import BODIES, read_outputs, write_jsonl
from markupsafe import escape

from dqkit.report.html import render_html

V2_LINE = "Nach Angaben des Ministeriums reisen sie im Winter. Am 23. Oktober die Vereinigten Staaten bestätigte {}."
V2_SPAN = "Am 23. Oktober die Vereinigten"
HOSTILE_LINE = "Der Minister sagte, dass A & B <gut> seien, sagte er am Abend in Berlin vor Journalisten."
HOSTILE_SPAN = "sagte, dass A & B <gut> seien, sagte er"


def _records() -> list[dict]:
    return [
        # A rule removes line 1, so the flagged lines 4 and 5 are the clean text's third and
        # fourth; both hold the same flagged text at the same place.
        {
            "id": "v2",
            "lang": "de",
            "text": "\n".join(
                ["Meistgelesen", BODIES[0], "", V2_LINE.format("die Entsendung"), V2_LINE.format("den Abzug")]
            ),
        },
        {"id": "hostile", "lang": "de", "text": f"{BODIES[1]}\n{HOSTILE_LINE}"},
        {"id": "many", "lang": "de", "text": " ".join(f"Am {i}. Mai die Regierung bestätigte den Plan." for i in range(1, 26))},
        # No learned model for English: the artefacts alone, and a signal of the whole document.
        {"id": "english", "lang": "en", "text": "The council approved the budget on Monday after a debate.\n"
                                                "He said ”” that the plan would go ahead, the mayor's office said."},
        *(
            {"id": f"plain{i}", "lang": "de", "text": f"{BODIES[i % 6]} {('Meldung', 'Bericht')[i // 6]} {i}."}
            for i in range(12)
        ),
        {"id": "no-model", "lang": "en", "text": "The library opens on Saturday afternoons in winter, the city said."},
    ]


@pytest.fixture
def run(dqkit, tmp_path) -> Path:
    source = write_jsonl(tmp_path / "in.jsonl", _records())
    result = dqkit("clean", source, "-o", tmp_path / "out", "-q", "--no-dedup")
    assert result.code == 0, result.err
    return tmp_path / "out"


def test_top_documents_are_the_highest_mt_scores_with_their_reasons(run):
    outputs = read_outputs(run)
    top = outputs["report"]["mt"]["top_documents"]
    clean = outputs["clean"].filter(pl.col("mt_score") > 0).sort(["mt_score", "id"], descending=[True, False])
    assert outputs["clean"].filter(pl.col("mt_score") > 0).height > 10, "more candidates than are listed"
    assert [d["id"] for d in top] == clean["id"].head(10).to_list()
    assert [d["mt_score"] for d in top] == sorted((d["mt_score"] for d in top), reverse=True)
    assert top[0]["id"] == "many" and "no-model" not in [d["id"] for d in top], "mt_score 0 is never listed"
    by_id = {row["id"]: row for row in outputs["clean"].to_dicts()}
    for document in top:
        assert set(document) == {"id", "mt_score", "mt_probability", "mt_reasons"}
        assert document["mt_reasons"] == by_id[document["id"]]["mt_reasons"]
        assert document["mt_probability"] == by_id[document["id"]]["mt_probability"]
    english = next(d for d in top if d["id"] == "english")
    assert english["mt_probability"] is None
    assert [r["signal"] for r in english["mt_reasons"]] == ["doubled_quote", "unbalanced_quotes"]


def _mt_section(html: str, doc_id: str) -> str:
    section = html[html.index(f'<details class="rule" id="mt-doc-') :]
    section = section[section.index(f'data-mt-doc="{escape(doc_id)}"') :]
    return section[: section.index("</details>")]


def test_report_html_marks_each_span_escaped_in_its_clean_line(run):
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "<gut>" not in html, "corpus text reached the page unescaped"
    hostile = _mt_section(html, "hostile")
    assert f"Der Minister <mark>{escape(HOSTILE_SPAN)}</mark> am Abend" in hostile
    assert "<mark>sagte, dass A &amp; B &lt;gut&gt; seien, sagte er</mark>" in hostile

    v2 = _mt_section(html, "v2")
    rows = re.findall(r'<tr data-signal="v2_violation">(.*?)</tr>', v2)
    assert len(rows) == 2
    for row, line_no, tail in zip(rows, (4, 5), ("die Entsendung", "den Abzug"), strict=True):
        assert f'<td class="num">{line_no}</td>' in row, "numbered as read (the removed line 1 counts)"
        assert f"<mark>{V2_SPAN}</mark> Staaten bestätigte {tail}." in row, "each span in its own clean line"

    english = _mt_section(html, "english")
    assert "probability –" in english
    assert '<mark>””</mark> that the plan' in english
    whole = re.search(r'<tr data-signal="unbalanced_quotes">(.*?)</tr>', english).group(1)
    assert '<td class="num"></td>' in whole and "<mark>" not in whole, "a signal of the whole document: no line"
    row = html.split('<tr data-mt-doc="english">')[1].split("</tr>")[0]
    assert '<td class="num">0.5500</td><td class="num">–</td>' in row, "no model: the probability is –"

    many = _mt_section(html, "many")
    assert many.count('<tr data-signal="v2_violation">') == 20 and "and 5 more in edits.parquet." in many
    assert "mt_score 0.9" in many and "25 spans" in many

    markdown = (run / "report.md").read_text(encoding="utf-8")
    assert "| document | mt_score | probability | signals |" in markdown
    assert "| english | 0.5500 | – | doubled_quote ×1, unbalanced_quotes ×1 |" in markdown


def test_the_model_reason_names_its_ngrams_and_the_empty_cases_say_so(run):
    report = json.loads((run / "report.json").read_text(encoding="utf-8"))
    document = {"id": "d<1>", "mt_score": 0.9, "mt_probability": 0.83,
                "mt_reasons": [{"signal": "model", "count": 1, "example": "0.83: „<b>“, „&“, „Es ist“"}]}
    html = render_html({**report, "mt": {**report["mt"], "top_documents": [document]}}, pl.DataFrame())
    section = _mt_section(html, "d<1>")
    assert "The model's strongest n-grams: <span class=\"text\">„&lt;b&gt;“, „&amp;“, „Es ist“</span>" in section
    assert "spans not shown" in section and "<b>" not in html

    spans = pl.DataFrame({"doc_id": ["d<1>"], "line_no": [1], "rule_id": ["mt.v2_violation"],
                          "before": ["<x>"], "start": [0], "end": [3]})
    section = _mt_section(render_html({"mt": {"top_documents": [document]}}, None, mt_spans=spans,
                                      mt_texts={"d<1>": "a line that no longer holds it"}), "d<1>")
    assert "<mark>&lt;x&gt;</mark></td>" in section, "a span no clean line holds is shown alone"

    empty = render_html({"mt": {"score_histogram": {}, "signals": {}, "top_documents": []}}, pl.DataFrame())
    assert "no data: no kept document has an mt_score above 0." in empty
    assert "no data: no machine-translation signal in the kept documents." in empty
