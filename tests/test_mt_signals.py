"""MT-artefact signals and mt_score: the seed artefacts are flagged, clean text is not."""

from __future__ import annotations

import polars as pl
import pytest

from conftest import SEEDS, read_outputs, write_jsonl
from dqkit.detect.mt_signals import DOUBLED_QUOTE, mt_score, mt_signals, occurrences


def _signals(text, lang="de", **kw):
    return {r["signal"]: r for r in mt_signals(text, lang, 0, **kw)}


@pytest.mark.parametrize(
    "text, signal",
    [
        ("Am 23. Oktober die Vereinigten Staaten bestätigte die Entsendung.", "v2_violation"),
        (
            "Auch Russland bestritt dies: am 23. Oktober der Sprecher des Ministeriums erklärte, es sei falsch.",
            "v2_violation",
        ),
        ("Nordkoreas erster offizieller Kommentar Zu den Enthüllungen kam am Montag.", "capitalised_function_word"),
        ("„Das verstößt gegen das Recht.“ “, sagte er.", "doubled_quote"),
        ("Die Regierung sagte, dass the results of the vote are clear.", "english_function_words"),
    ],
)
def test_seed_like_artefacts_are_flagged(text, signal):
    assert signal in _signals(text)


@pytest.mark.parametrize(
    "text, signal",
    [
        ("Er rief: „ „Nein!“", "doubled_quote"),
        ("Er sagte: “Ja.““, und ging.", "doubled_quote"),
        ("Sie schrieb ”” darunter.", "doubled_quote"),
        ("Das war »» alles.", "doubled_quote"),
        ("Il a dit «« non.", "doubled_quote"),
        ('Er sagte "ja" und schrieb «nein».', "mixed_quote_styles"),
        ('Er sagte "ja" und schrieb „nein“.', "mixed_quote_styles"),
    ],
)
def test_quote_signals_get_past_the_typographic_quote_check(text, signal):
    # Texts without a typographic quote skip the doubled-quote and mixed-style scans: each
    # alternative of the doubled-quote pattern, and each style, still reaches them.
    assert signal != "doubled_quote" or DOUBLED_QUOTE.search(text)
    assert signal in {o.signal for o in occurrences(text, "de")}


@pytest.mark.parametrize(
    "text",
    [
        "Am Montag der kommenden Woche erklärte die Ministerin ihren Rücktritt.",
        "Am 23. Oktober bestätigten die Vereinigten Staaten die Entsendung.",
        "Die Debatte über das Für und Wider dauerte bis zum Abend.",
        "Er las „The Guardian“ und sagte „I love it“ im Interview.",
        "„Wir sind bereit“, sagte sie. „Es gibt kein Zurück.“",
        "Der Bericht Zur Lage Der Nation",
        "Die Messe findet vom 1. bis 7. März das erste Mal in Köln statt.",
        "Für den Verein kam dennoch das Aus, sagte der Präsident.",
        "Das Spiel Rise of the Tomb Raider erscheint im Herbst auch für die Konsole.",
        "Die Serie Im Zentrum läuft am Sonntag.",
    ],
)
def test_clean_german_is_not_flagged(text):
    assert mt_signals(text, "de", 0) == []


def test_sentence_starters_are_not_capitalised_function_words():
    """A repaired lost boundary ("Service Nach einer") or a heading glued to the text
    ("Schuldenumstrukturierung Nach den Worten") puts a sentence start mid-line."""
    assert mt_signals("der National Intelligence Service Nach einer Sitzung gab Nordkorea bekannt", "de", 0) == []
    assert "capitalised_function_word" in _signals("offizieller Kommentar Zu den Enthüllungen")


def test_score_combines_signals():
    assert mt_score([]) == 0.0
    assert mt_score([{"signal": "mt_notice", "count": 1, "example": ""}]) == 0.9
    weak = mt_score([{"signal": "unbalanced_quotes", "count": 5, "example": ""}])
    assert 0 < weak < 0.5
    strong = mt_score(
        [{"signal": "v2_violation", "count": 1, "example": ""}, {"signal": "doubled_quote", "count": 1, "example": ""}]
    )
    assert strong == 0.75


def test_seeds_get_scores_and_reasons(tmp_path, dqkit):
    assert dqkit("clean", SEEDS, "-o", tmp_path / "out").code == 0
    clean = read_outputs(tmp_path / "out")["clean"]
    by_id = {row["id"]: row for row in clean.iter_rows(named=True)}
    worst = {r["signal"]: r for r in by_id["000_ce10d6b5d5891930.txt"]["mt_reasons"]}
    assert worst["v2_violation"]["count"] == 2 and worst["v2_violation"]["example"].startswith("Am 23. Oktober die")
    assert "Kommentar Zu den" in worst["capitalised_function_word"]["example"]
    assert "verstoßen.“ “," in worst["doubled_quote"]["example"]
    notice = by_id["002_cbc6447f6243eb96.txt"]["mt_reasons"]
    assert notice[0]["signal"] == "mt_notice" and "automatisch generierte Story" in notice[0]["example"]
    assert worst["number_scale"]["example"] == "12 Soldaten (12.000 Soldaten in 1 other version)"
    assert [r["signal"] for r in by_id["001_e633a6e676f29462.txt"]["mt_reasons"]] == ["article_gender"]
    plain = by_id["004_7ee17b8a224b4fef.txt"]
    assert [r["signal"] for r in plain["mt_reasons"]] == ["model"], "no artefact: the model alone"
    assert plain["mt_score"] == plain["mt_probability"]
    assert all(0 < row["mt_probability"] < 1 for row in by_id.values()), "German: the shipped model scores them"
    assert by_id["000_ce10d6b5d5891930.txt"]["mt_score"] > 0.9


def test_flags_never_drop_unless_asked(tmp_path, dqkit):
    text = "Am 23. Oktober die Vereinigten Staaten bestätigte die Entsendung von Truppen nach Russland."
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": text}])
    assert dqkit("clean", path, "-o", tmp_path / "kept").code == 0
    kept = read_outputs(tmp_path / "kept")["clean"].row(0, named=True)
    assert kept["mt_score"] == round(1 - (1 - kept["mt_probability"]) * (1 - 0.5), 4), "one V2 violation: 0.5"
    assert dqkit("clean", path, "-o", tmp_path / "dropped", "--drop-mt-above", "0.4").code == 0
    rejects = read_outputs(tmp_path / "dropped")["rejects"]
    assert rejects.select("id", "reason").rows() == [("a", "mt_score_above")]


def test_a_paragraph_in_another_language_is_flagged(tmp_path, dqkit):
    german = (
        "Die Regierung hat am Montag in Berlin neue Zahlen zur Lage im Osten des Landes veröffentlicht, "
        "und die Opposition hat die Zahlen sofort kritisiert, weil sie nicht mit den eigenen Daten übereinstimmen."
    )
    english = (
        "The results of the vote were announced on Monday by the electoral commission and the turnout "
        "was higher than in any election since the end of the war, officials said."
    )
    path = write_jsonl(
        tmp_path / "c.jsonl",
        [{"id": "a", "text": f"{german}\n\n{german}\n\n{english}"}, {"id": "b", "text": f"{german}\n\n{german}"}],
    )
    assert dqkit("clean", path, "-o", tmp_path / "out", "--no-dedup").code == 0
    clean = read_outputs(tmp_path / "out")["clean"]
    signals = {r["signal"]: r for r in clean["mt_reasons"][0]}
    assert signals["paragraph_language"]["example"].startswith("The results of the vote")
    assert clean["mt_reasons"][1].to_list() == []


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("Die Wahl findet am Oktober 18, 2024 statt.", "english_date_order"),
        ("18. Oktober, 2024", "english_date_order"),
        ("Die NATO sagte, dass dies „eine Eskalation“ bedeuten würde, sagte Rutte auf X.", "doubled_reporting_verb"),
        ("Ein Treffen zwischen dem Präsidenten, Yoon Suk Yeol, und der Generalsekretär der NATO.", "preposition_case"),
        ("Gespräche zwischen dem Berater der USA und ihre Kollegen aus Japan.", "preposition_case"),
        ("Das NIS bestätigte es nicht. Später sagte der NIS, es gebe Berichte. Das NIS schwieg.", "article_gender"),
        ("Am Montag gab Nordkorea bekannt, dass Nordkorea Truppen schicke.", "repeated_subject"),
    ],
)
def test_new_german_artefacts_are_found(text, signal):
    assert signal in _signals(text)


@pytest.mark.parametrize(
    "text",
    [
        "Die Wahl findet am 18. Oktober 2024 statt, sagte er.",  # German date order
        "Er sagte, dass dies eine Eskalation bedeuten würde. Rutte sagte das auch.",  # two sentences
        "Ein Treffen zwischen dem Präsidenten und der Kanzlerin, und die Minister warteten.",  # dative, then a clause
        "Der Streit zwischen dem Land und der Regierung hält an.",  # a feminine noun takes der
        "Die NATO tagte. Der Generalsekretär der NATO sprach, die NATO schwieg.",  # feminine: die and der
        "Das US Militär und die US Regierung stritten.",  # an acronym before a noun: a compound
        "Das BKA ermittelt. Ein Sprecher des BKA sagte, das BKA prüfe es.",  # neuter: das and des
        "Am Montag gab Nordkorea bekannt, dass es Truppen schicke.",  # the pronoun
        "Sie wissen schon, dass Sie gewonnen haben.",  # a pronoun repeated, not a name
    ],
)
def test_their_correct_german_neighbours_are_not(text):
    found = _signals(text)
    new = {"english_date_order", "doubled_reporting_verb", "preposition_case", "article_gender", "repeated_subject"}
    assert not new & set(found), found


def test_article_gender_flags_the_rarer_form():
    spans = [o for o in occurrences("Das NIS schwieg. Dann sagte der NIS etwas. Das NIS blieb dabei.", "de")]
    assert [
        (o.signal, "Das NIS schwieg. Dann sagte der NIS etwas. Das NIS blieb dabei."[o.start : o.end]) for o in spans
    ] == [("article_gender", "der NIS")]
    assert "2 × das NIS, 1 × der" in spans[0].example


def test_a_removed_dateline_keeps_its_english_date_order(tmp_path, dqkit):
    """The rules remove a dateline as chrome; its date order still tells of the translation,
    as a span on the removed line (numbered and cut as read)."""
    body = "Die Regierung hat am Montag neue Pläne vorgestellt, die im Parlament beraten werden."
    source = write_jsonl(tmp_path / "d.jsonl", [{"id": "d", "text": f"18. Oktober, 2024\n\n{body}", "lang": "de"}])
    assert dqkit("clean", source, "-o", tmp_path / "out", "-q", "--no-dedup").code == 0
    out = read_outputs(tmp_path / "out")
    edits = out["edits"]
    assert edits.filter(pl.col("kind") == "line_removed")["line_no"].to_list() == [1], "the dateline is removed"
    flagged = edits.filter(pl.col("kind") == "mt_flagged").select("line_no", "rule_id", "before", "start", "end")
    assert flagged.rows() == [(1, "mt.english_date_order", "Oktober, 2024", 4, 17)]
    assert [r["signal"] for r in out["clean"]["mt_reasons"][0]] == ["english_date_order"]
