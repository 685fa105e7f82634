"""Lines the boilerplate classifier and the repeated-line stage remove show in report.json,
report.html, report.md, ``dqkit diff`` and the gates as a rule's do (dqkit.report.detectors)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import polars as pl
import pytest
from conftest import read_outputs, write_jsonl
from markupsafe import escape
from test_boilerplate import MENU, PARAGRAPHS, SUBHEADING

from dqkit.detect.boilerplate import load_model
from dqkit.report import detectors
from dqkit.report.detectors import DETECTOR_IDS, detector_definitions
from dqkit.report.metrics import load_report

HOSTILE_ITEM = "Termine & <Orte>"  # a menu item the classifier takes (no rule names it)
PROMO = "Mehr aus dem Rathaus"


def _records() -> list[dict]:
    menu = [*MENU[:2], HOSTILE_ITEM, *MENU[3:]]
    pages = [
        {"id": f"p{i}", "text": "\n".join([*menu, PARAGRAPHS[0], SUBHEADING, PARAGRAPHS[1 + i % 2]]), "lang": "de"}
        for i in range(3)
    ]
    articles = [  # four articles of one source share the promo line
        {
            "id": f"a{i}",
            "text": f"{PARAGRAPHS[i % 3]} Meldung Nummer {i} aus dem Rathaus, geschrieben am Tag {i}.\n"
            f"{PROMO}\n{PARAGRAPHS[(i + 1) % 3]}",
            "lang": "de",
            "site": "site-a",
        }
        for i in range(4)
    ]
    return pages + articles


def _clean(dqkit, tmp_path: Path, name: str, *args) -> Path:
    source = tmp_path / "in.jsonl"
    if not source.exists():
        write_jsonl(source, _records())
    out = tmp_path / name
    result = dqkit("clean", source, "-o", out, "-q", "--no-dedup", "--source-field", "site", *args)
    assert result.code == 0, result.err
    return out


@pytest.fixture
def runs(tmp_path, dqkit, monkeypatch):
    """HEAD: the default --boilerplate (conservative); BASE: --boilerplate rules."""
    monkeypatch.chdir(tmp_path)  # no settings file of the repo is picked up
    return _clean(dqkit, tmp_path, "base", "--boilerplate", "rules"), _clean(dqkit, tmp_path, "head")


def test_every_detector_removal_is_a_rule_hit_with_its_score(runs):
    base, head = (read_outputs(out) for out in runs)
    report = head["report"]
    for rule_id in DETECTOR_IDS:
        edits = head["edits"].filter(pl.col("rule_id") == rule_id).sort("doc_id", "line_no")
        assert not edits.is_empty(), f"the corpus makes {rule_id} remove lines"
        stats = report["rule_hits"][rule_id]
        assert stats["lines_removed"] == stats["hits"] == edits.height
        assert stats["documents"] == edits["doc_id"].n_unique() and stats["spans_removed"] == 0
        assert (stats["action"], stats["category"]) == ("remove", "boilerplate") and stats["message"]
        first = edits.head(3).select("doc_id", "line_no", pl.col("before").alias("text"), "score").to_dicts()
        assert stats["samples"] == first, "the first removals in input order, each with its score"
        assert all(isinstance(s["score"], float) for s in stats["samples"])
    assert report["rule_hits"]["corpus.repeated-line"]["samples"][0]["text"] == PROMO
    assert HOSTILE_ITEM in [s["text"] for s in report["rule_hits"]["model.boilerplate"]["samples"]]

    definitions, rules_only = report["rules"]["definitions"], base["report"]["rules"]["definitions"]
    assert set(definitions) - set(rules_only) == set(DETECTOR_IDS), "the detectors the options switch on"
    assert not set(DETECTOR_IDS) & set(base["report"]["rule_hits"])
    assert "mt.model.de" in rules_only, "the shipped German MT model has a definition in every run"
    yaml_rules = set(rules_only) - {"mt.model.de"}
    assert report["rules"]["count"] == base["report"]["rules"]["count"] == len(yaml_rules), "YAML rules only"
    load_report(runs[1])  # check and diff read it: the samples' score is accepted


def test_diff_lists_the_detectors_as_appeared_and_a_gate_on_one_fails_when_exceeded(runs, dqkit, tmp_path):
    base, head = runs
    diff = dqkit("diff", base, head, "--format", "json")
    assert diff.code == 0, diff.err
    rules = json.loads(diff.out)["rules"]
    assert json.loads(diff.out)["summary"]["rules_appeared"] == sorted(DETECTOR_IDS)
    lines = len(read_outputs(head)["edits"].filter(pl.col("rule_id") == "model.boilerplate"))
    assert rules["model.boilerplate"]["lines_removed"] == {"base": None, "head": lines}
    assert rules["model.boilerplate"]["new_samples"][0]["score"] is not None
    markdown = dqkit("diff", base, head).out
    assert "| model.boilerplate | appeared |" in markdown and "spans cut |" in markdown

    settings = tmp_path / "gates.toml"
    for limit, code in ((lines - 1, 1), (lines, 0)):
        settings.write_text(
            f'[[gates]]\nid = "classifier"\nmetric = "rules.model.boilerplate.lines_removed"\nerror_if = "> {limit}"\n'
            '[[gates]]\nid = "detector-rise"\nmetric = "rules.corpus.*.lines_removed"\nwarn_if = "delta > 0"\n',
            encoding="utf-8",
        )
        check = dqkit("check", head, "--baseline", base, "--config", settings)
        assert check.code == code, check.out + check.err
    assert "WARN  detector-rise[rules.corpus.repeated-line.lines_removed]" in check.out, "absent in BASE: 0"


def test_report_html_and_md_show_the_detectors_examples_like_a_rules(runs):
    head = runs[1]
    html = (head / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<details class="rule" id="rule-') :]
    section = section[section.index('data-rule="model.boilerplate"') :]
    section = section[: section.index("</details>")]
    assert f'<del class="line">{escape(HOSTILE_ITEM)}</del>' in section and HOSTILE_ITEM not in html
    score = next(
        s["score"]
        for s in json.loads((head / "report.json").read_text())["rule_hits"]["model.boilerplate"]["samples"]
        if s["text"] == HOSTILE_ITEM
    )
    assert ">score</th>" in section and f'<td class="num">{score:.4f}</td>' in section
    assert 'href="#rule-' in html.split('<tr data-rule="model.boilerplate">')[1].split("</tr>")[0]
    markdown = (head / "report.md").read_text(encoding="utf-8")
    assert "| model.boilerplate | remove |" in markdown and "| corpus.repeated-line | remove |" in markdown


def test_a_refitted_model_is_a_definition_change_of_the_detectors(runs, dqkit, tmp_path, monkeypatch):
    model = load_model()
    options = {"boilerplate": "conservative"}
    shipped = detector_definitions(options)
    assert shipped != detector_definitions({"boilerplate": "aggressive"}), "the mode decides"
    monkeypatch.setattr(detectors, "load_model", lambda: dataclasses.replace(model, about={"fitted": "again"}))
    assert detector_definitions(options) == shipped, "provenance notes decide nothing"
    refitted = dataclasses.replace(model, repeated_threshold=model.repeated_threshold + 0.01)
    monkeypatch.setattr(detectors, "load_model", lambda: refitted)
    assert detector_definitions(options) != shipped

    refit = _clean(dqkit, tmp_path, "refit")  # the stage's own model is unchanged: only the definitions move
    diff = json.loads(dqkit("diff", runs[1], refit, "--format", "json").out)
    assert diff["summary"]["definitions_changed"] == sorted(DETECTOR_IDS)
    assert diff["summary"]["rules_changed"] == [] and diff["summary"]["rules_appeared"] == []
