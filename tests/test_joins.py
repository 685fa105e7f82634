"""Missing-space joins: repaired only on strong evidence, flagged otherwise, brands untouched."""

from __future__ import annotations

import polars as pl
import pytest

from conftest import read_outputs, write_jsonl
from dqkit.normalize.joins import repair_joins, repair_line


@pytest.mark.parametrize("line, expected, reason", [
    ("der National Intelligence ServiceNach einer Sitzung", "der National Intelligence Service Nach einer Sitzung",
     "sentence_boundary"),
    ("teilte Kim Jong-gyuDer amtlichen Agentur mit", "teilte Kim Jong-gyu Der amtlichen Agentur mit", "sentence_boundary"),
    ("Sicherheitsberater der USA, JakeSullivan, und", "Sicherheitsberater der USA, Jake Sullivan, und", "name"),
    ("Das war das Ende.Der Tag begann früh.", "Das war das Ende. Der Tag begann früh.", "punctuation"),
    ("Er hat gesagt,dass es gut ist.", "Er hat gesagt, dass es gut ist.", "punctuation"),
    ("Die Meldung steht imInternet bereit.", "Die Meldung steht im Internet bereit.", "function_word"),
    ("Das wurde gemeldet.Es gab Tote.", "Das wurde gemeldet. Es gab Tote.", "punctuation"),
    ("Er verlorIn Berlin das Spiel.", "Er verlor In Berlin das Spiel.", "sentence_boundary"),
    ("Wegen der starkenRauchentwicklung wurde evakuiert.", "Wegen der starken Rauchentwicklung wurde evakuiert.",
     "in_sentence"),
])
def test_repairs(line, expected, reason):
    repaired, changes = repair_line(line, "de", {}, {})
    assert repaired == expected
    assert [(kind, why) for kind, why, _, _ in changes] == [("join_repaired", reason)]


@pytest.mark.parametrize("line", [
    "Updates auf WhatsApp, LinkedIn und YouTube, das neue iPhone und die BahnCard in der HafenCity.",
    "Alle LehrerInnen und Patient:innen, General MacArthur und Ron DeSantis.",
    "Mehr unter www.Beispiel.de/NeuesAngebot oder Max.Mustermann@Firma.de, #MeToo und @JoeBiden.",
    "Die Funktion getElementById, z.B. in U.S.-Dollar, kostet 3,5 Prozent von 12.000 Euro.",
    "Er las den Spiegel.",
    "Die Facebook-Seite HRS.freie.Woche wurde gesperrt.",
    "Alle LehrerIn und LehrerInnen.",
])
def test_protected_tokens_are_left_alone(line):
    assert repair_line(line, "de", {}, {}) == (line, [])


@pytest.mark.parametrize("line, token, split", [
    ("Der NetworkManager verwaltet die Verbindung.", "NetworkManager", "Network Manager"),
    ("Mit cacheAsBitmap wird das Bild zwischengespeichert.", "cacheAsBitmap", "cache AsBitmap"),
])
def test_unsure_joins_are_flagged_not_changed(line, token, split):
    repaired, changes = repair_line(line, "de", {}, {})
    assert repaired == line
    assert [(kind, before, after) for kind, _, before, after in changes] == [("join_flagged", token, split)]


def test_corpus_evidence_and_recurring_names():
    assert repair_line("Die DeutscheTelekom wächst.", "de", {"Deutsche Telekom": 4}, {"DeutscheTelekom": 1})[0] == \
        "Die Deutsche Telekom wächst."
    # A glued name that recurs is how the corpus spells it: flagged, not split.
    repaired, changes = repair_line("MaxMara zeigt neue Mode.", "de", {}, {"MaxMara": 5})
    assert repaired == "MaxMara zeigt neue Mode." and changes[0][1] == "recurring_camel_case"


def test_repair_joins_over_a_line_table():
    lines = pl.DataFrame({"_doc": [0, 0, 1], "line_no": [1, 3, 1],
                          "line": ["Kein Fehler hier.", "Es endete.Die Leute gingen.", "Alles gut."],
                          "lang": ["de", "de", "de"]}, schema_overrides={"line_no": pl.Int32})
    changed, edits = repair_joins(lines)
    assert changed.rows() == [(0, 3, "Es endete. Die Leute gingen.")]
    assert edits.select("_doc", "line_no", "kind", "rule_id", "before", "after").rows() == [
        (0, 3, "join_repaired", "join.punctuation", "endete.Die", "endete. Die")]


def test_clean_records_repairs_and_can_skip_them(tmp_path, dqkit):
    text = "Die Regierung tagte am Montag in Berlin.Die Opposition kritisierte den Plan scharf und deutlich."
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": text}])
    assert dqkit("clean", path, "-o", tmp_path / "out").code == 0
    result = read_outputs(tmp_path / "out")
    assert result["clean"]["text"].item() == text.replace("Berlin.Die", "Berlin. Die")
    assert result["edits"].select("kind", "before", "after").rows() == [
        ("join_repaired", "Berlin.Die", "Berlin. Die")]
    assert dqkit("clean", path, "-o", tmp_path / "raw", "--no-join-repair").code == 0
    assert read_outputs(tmp_path / "raw")["clean"]["text"].item() == text
