"""Boilerplate no rule names: the line classifier and the lines a source repeats (issue 15)."""

from __future__ import annotations

import json

import polars as pl
import pytest
from conftest import read_outputs, write_jsonl

MENU = ["Startseite", "Nachrichten", "Termine", "Köpfe", "Kontakt"]
PARAGRAPHS = [
    "Der Stadtrat hat am Montag den Haushalt für das kommende Jahr beschlossen. Die Mehrheit stimmte nach einer "
    "langen Debatte für den Entwurf der Verwaltung, die Opposition kritisierte die hohen Ausgaben für den Verkehr.",
    "Die neue Brücke über den Fluss soll im Herbst fertig werden. Bis dahin müssen die Fahrer einen Umweg über die "
    "Altstadt nehmen, was zu den Stoßzeiten zu langen Staus führt, wie die Polizei am Dienstag mitteilte.",
    "Nach Angaben der Verwaltung sind die Kosten für das Projekt in den vergangenen zwei Jahren um ein Drittel "
    "gestiegen. Der Bürgermeister sagte, die Stadt werde die Mehrkosten aus den Rücklagen bezahlen.",
]
SUBHEADING = "Kosten steigen"
TABLE = [
    "Jahr      Einnahmen    Ausgaben",
    "2022      1.200        1.150",
    "2023      1.310        1.290",
    "2024      1.420        1.400",
]


def clean(dqkit, tmp_path, records, *args, name="out"):
    source = write_jsonl(tmp_path / f"{name}.jsonl", records)
    result = dqkit("clean", source, "-o", tmp_path / name, "-q", "--no-dedup", *args)
    assert result.code == 0, result.err
    return read_outputs(tmp_path / name)


def removed(outputs, rule_id):
    edits = outputs["edits"].filter(pl.col("rule_id") == rule_id)
    return list(zip(edits["doc_id"], edits["before"], strict=True))


def page(i=0):
    return "\n".join([*MENU, PARAGRAPHS[0], SUBHEADING, PARAGRAPHS[1 + i % 2], "Teilen: Facebook | X | E-Mail"])


def test_menu_at_the_top_goes_and_a_subheading_between_paragraphs_stays(dqkit, tmp_path):
    outputs = clean(dqkit, tmp_path, [{"id": "p", "text": page(), "lang": "de"}])
    text = outputs["clean"]["text"][0].split("\n")
    assert not set(MENU) & set(text), "rules name some menu items, the classifier takes the rest"
    assert removed(outputs, "model.boilerplate")
    assert SUBHEADING in text and PARAGRAPHS[0] in text and PARAGRAPHS[1] in text
    edits = outputs["edits"].filter(pl.col("rule_id") == "model.boilerplate")
    assert edits["kind"].unique().to_list() == ["line_removed"]
    assert edits["score"].is_not_null().all() and (edits["score"] < 0.5).all()


def test_rules_mode_is_todays_behaviour(dqkit, tmp_path):
    outputs = clean(dqkit, tmp_path, [{"id": "p", "text": page(), "lang": "de"}], "--boilerplate", "rules")
    assert removed(outputs, "model.boilerplate") == []
    assert "Termine" in outputs["clean"]["text"][0].split("\n"), "no rule names it"


def test_a_table_of_figures_in_a_news_story_stays(dqkit, tmp_path):
    story = "\n".join([PARAGRAPHS[0], *TABLE, PARAGRAPHS[2]])
    outputs = clean(dqkit, tmp_path, [{"id": "s", "text": story, "lang": "de"}])
    assert outputs["clean"]["text"][0] == story


def test_a_line_repeated_across_articles_of_a_source_goes_but_not_in_copies_of_one_article(dqkit, tmp_path):
    promo = "Mehr aus dem Rathaus"
    articles = [
        f"{PARAGRAPHS[i % 3]} Meldung Nummer {i} aus dem Rathaus, geschrieben von der Redaktion am Tag {i}.\n"
        f"{promo}\n{PARAGRAPHS[(i + 1) % 3]}"
        for i in range(4)
    ]
    records = [{"id": f"a{i}", "text": text, "lang": "de", "site": "site-a"} for i, text in enumerate(articles)]
    # Four copies of one syndicated article share their lines: one article, nothing repeated.
    copy = f"{PARAGRAPHS[0]} Eine einzige Meldung.\n{promo}\n{PARAGRAPHS[1]}"
    records += [{"id": f"c{i}", "text": copy, "lang": "de", "site": "site-b"} for i in range(4)]
    outputs = clean(dqkit, tmp_path, records, "--source-field", "site")
    gone = removed(outputs, "corpus.repeated-line")
    assert sorted(doc for doc, _ in gone) == ["a0", "a1", "a2", "a3"]
    assert {line for _, line in gone} == {promo}
    kept = dict(zip(outputs["clean"]["id"], outputs["clean"]["text"], strict=True))
    assert all(promo in kept[f"c{i}"] for i in range(4))


@pytest.mark.parametrize("args", [("--workers", "2"), ("--shard-docs", "3"), ("--workers", "2", "--shard-docs", "2")])
def test_the_outcome_does_not_depend_on_shards_or_workers(dqkit, tmp_path, args):
    promo = "Mehr aus dem Rathaus"
    records = [
        {"id": f"a{i}", "text": f"{page(i)}\n{promo}\nMeldung {i}: {PARAGRAPHS[2]} {PARAGRAPHS[1]}", "lang": "de"}
        for i in range(7)
    ]
    files = ("clean.jsonl", "edits.parquet")  # report.json names the output folder
    base = clean(dqkit, tmp_path, records, "--workers", "1", name="one")
    other = clean(dqkit, tmp_path, records, *args, name="other")
    assert removed(base, "corpus.repeated-line"), "the promo line is repeated across seven articles"
    for name in files:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "other" / name).read_bytes(), name
    reports = [json.loads((tmp_path / name / "report.json").read_text()) for name in ("one", "other")]
    assert reports[0]["rules"] == reports[1]["rules"] and reports[0]["documents"]["in"] == 7
    assert base["clean"].height == other["clean"].height


def _stage_outcome(docs, *, survey_first, change=None):
    """The boilerplate stage's edits on ``docs``, with or without the survey's scores; ``change``
    edits the kept lines between the survey and the stage (as rescoping may)."""
    from dqkit.assemble import clean_lines
    from dqkit.options import CleanOptions
    from dqkit.rules.loading import load_rules
    from dqkit.stages.base import Batch, StageContext
    from dqkit.stages.boilerplate import RemoveBoilerplate, ScoreLines

    rules = load_rules([])
    context = StageContext(rules=rules, options=CleanOptions())
    batch = Batch(docs=docs)
    batch.lines = clean_lines(docs.with_columns(pl.lit(None, dtype=pl.String).alias("_lang_hint")), rules.rules)
    if survey_first:
        ScoreLines().run(batch, context)
    if change is not None:
        batch.lines = change(batch.lines)
    scored = RemoveBoilerplate()._scores(batch, context.options.boilerplate)
    RemoveBoilerplate().run(batch, context)
    edits = batch.lines.edits.filter(pl.col("rule_id") == "model.boilerplate").select("_doc", "line_no")
    return edits.sort("_doc", "line_no"), scored


def test_survey_scores_are_reused_only_for_unchanged_documents():
    from dqkit.assemble import LineOutcome

    texts = [page(0), "\n".join([*MENU, PARAGRAPHS[2], PARAGRAPHS[0]])]
    docs = pl.DataFrame(
        {"_doc": [0, 1], "text": texts, "lang": ["de", "de"], "_source": [None, None]},
        schema_overrides={"_doc": pl.Int64, "_source": pl.String},
    )
    fresh, fresh_scores = _stage_outcome(docs, survey_first=False)
    assert not fresh.is_empty()
    reused, reused_scores = _stage_outcome(docs, survey_first=True)
    assert reused.equals(fresh)
    assert reused_scores.sort("_doc", "line_no").equals(fresh_scores.sort("_doc", "line_no"))

    def keep_only_prose(lines: LineOutcome) -> LineOutcome:  # document 1 loses its menu after the survey
        prose = pl.col("_doc") == 1
        texts = lines.texts.with_columns(
            pl.when(prose).then(pl.lit("\n".join([PARAGRAPHS[2], PARAGRAPHS[0]]))).otherwise("text").alias("text"),
            pl.when(prose).then(pl.lit([6, 7], dtype=pl.List(pl.Int32))).otherwise("line_nos").alias("line_nos"),
        )
        return LineOutcome(lines.hits, lines.doc_drops, texts, lines.edits)

    changed, changed_scores = _stage_outcome(docs, survey_first=True, change=keep_only_prose)
    assert changed.equals(_stage_outcome(docs, survey_first=False, change=keep_only_prose)[0])
    assert changed.filter(pl.col("_doc") == 1).is_empty()
    rescored = changed_scores.filter(pl.col("_doc") == 1)["line_no"].sort().to_list()
    assert rescored == [6, 7], "document 1 is scored again on its kept lines, not given its survey scores"


def test_a_table_heading_and_a_label_between_rows_stay(dqkit, tmp_path):
    table = [
        "    WHEAT",
        "  Europe       62.2     66.2",
        "  Japan       445.8    484.1",
        "  Western",
        "  Hemisphere   99.6     69.5",
    ]
    story = "\n".join([PARAGRAPHS[0], *table, PARAGRAPHS[2]])
    outputs = clean(dqkit, tmp_path, [{"id": "s", "text": story, "lang": "de"}])
    text = outputs["clean"]["text"][0].split("\n")
    assert all(line in text for line in table), removed(outputs, "model.boilerplate")


def _decided(texts: list[str], scores: list[float]) -> list[bool]:
    """``decide``'s ``_chrome`` for one document of ``texts`` given their content ``scores``."""
    from dqkit.detect.boilerplate import SCORE, decide

    lines = pl.DataFrame(
        {"_doc": [0] * len(texts), "line_no": range(1, len(texts) + 1), "line": texts, SCORE: scores},
        schema_overrides={"line_no": pl.Int32},
    )
    return decide(lines, threshold=0.2, prose=0.5)["_chrome"].to_list()


def test_teaser_headlines_of_a_web_page_do_not_shelter_the_chrome_after_them():
    # One block per line, paragraphs far wider than a wrap width: long lines without a full
    # stop are headlines, and the line after one is not its continuation.
    teasers = [
        "Neue Radwege für die Innenstadt sollen im kommenden Frühjahr gebaut werden",
        "Mehr lesen",
        "Stadtwerke erhöhen die Preise für Strom und Gas ab dem ersten Januar",
        "Mehr lesen",
    ]
    texts = [PARAGRAPHS[0], PARAGRAPHS[1], *teasers]
    assert _decided(texts, [0.9, 0.9, 0.1, 0.1, 0.1, 0.1]) == [False, False, True, True, True, True]


def test_lines_of_a_hard_wrapped_story_stay_even_when_scored_low():
    wrapped = [
        "The company said on Tuesday that its profit for the first",
        "quarter rose by a third, helped by higher prices for copper",
        "and a weaker dollar, and that it expected the rest of the",
        "year to be as good. Shares rose two pct in early trade.",
    ]
    assert _decided(wrapped, [0.9, 0.1, 0.1, 0.9]) == [False] * 4
    # The same sentence pieces at the width of a web page's paragraphs are not a wrapped document.
    wide = [PARAGRAPHS[0], wrapped[0], "Mehr lesen", PARAGRAPHS[1]]
    assert _decided(wide, [0.9, 0.1, 0.1, 0.9]) == [False, True, True, False]
