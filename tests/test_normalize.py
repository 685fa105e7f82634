"""Unicode repair and language detection."""

from __future__ import annotations

import json

import polars as pl
import pytest

from conftest import SHARED, read_outputs, write_jsonl
from dqkit.detect.language import identify
from dqkit.normalize.unicode import MAY_NEED_FTFY, normalise_documents

GERMAN = "Die Regierung hat am Montag neue Zahlen zur Lage im Osten des Landes veröffentlicht."


def _normalise(*texts):
    docs = pl.DataFrame({"_doc": list(range(len(texts))), "text": list(texts)})
    return normalise_documents(docs)


def test_mojibake_is_fixed_and_the_fix_recorded():
    fixed, edits = _normalise("Zeile eins\nDie BrÃ¼cke in KÃ¶ln\nZeile drei")
    assert fixed["text"].item() == "Zeile eins\nDie Brücke in Köln\nZeile drei"
    assert edits.select("line_no", "kind", "rule_id", "before", "after").rows() == [
        (2, "unicode_fixed", "ftfy:encode:latin-1,decode:utf-8", "Die BrÃ¼cke in KÃ¶ln", "Die Brücke in Köln")]


def test_german_quotes_and_clean_text_are_left_alone():
    text = "Er sagte: „Das ist gut.“ – und ging. Ähnliche Fälle: 5 € ≈ 5,40 $; naïve café 10 °C"
    fixed, edits = _normalise(text)
    assert fixed["text"].item() == text and edits.is_empty()


def test_nfc_and_line_endings():
    fixed, edits = _normalise("Cafe\u0301\r\nzwei\rdrei")
    assert fixed["text"].item() == "Café\nzwei\ndrei"
    assert edits["kind"].to_list() == ["newlines_normalized", "unicode_normalized"]


def test_nfc_only_off_ascii_gives_what_nfc_of_every_text_gives():
    # NFC runs on the texts that are not pure ASCII only: beside ASCII ones, the others
    # (decomposed, compatibility forms NFC keeps, Hangul jamo, already composed) come out as
    # NFC of every text would make them, and only they get unicode_normalized edits.
    texts = ["plain ascii\r\nline", "Cafe\u0301 au lait\nzwei", "\ufb01ne \u2126 \u1100\u1161", "ok", "",
             "Stra\u00dfe\nA\u030a", "tab\tand  spaces"]
    fixed, edits = _normalise(*texts)
    expected = pl.Series([t.replace("\r\n", "\n") for t in texts]).str.normalize("NFC")
    assert fixed["text"].to_list() == expected.to_list()
    assert edits.filter(pl.col("kind") == "unicode_normalized").select("_doc", "line_no").rows() == [
        (1, 1), (2, 1), (5, 2)]


def test_html_entities_are_unescaped():
    fixed, edits = _normalise("Tom &amp; Jerry")
    assert fixed["text"].item() == "Tom & Jerry" and edits["rule_id"].item() == "ftfy:unescape_html"


@pytest.mark.skipif(not (SHARED / "data" / "ftfy-test-cases").exists(), reason="../shared/data is not available")
def test_the_pre_check_lets_every_known_mojibake_case_through_to_ftfy():
    """The cheap gate must not hide mojibake from ftfy: every in-the-wild case that ftfy
    itself fixes must pass the gate."""
    import ftfy

    cases = json.loads((SHARED / "data" / "ftfy-test-cases" / "in-the-wild.json").read_text())
    texts = [c["original"] for c in cases if c.get("expect") == "pass"
             and ftfy.fix_text(c["original"], uncurl_quotes=False, fix_character_width=False,
                               fix_latin_ligatures=False, fix_line_breaks=False) != c["original"]]
    assert len(texts) > 20
    gated = pl.Series(texts).str.contains(MAY_NEED_FTFY)
    missed = [t for t, g in zip(texts, gated) if not g]
    assert not missed, missed[:5]


def test_language_detection_is_seeded_and_repeatable():
    texts = [GERMAN, "The government published new figures on Monday about the situation.",
             "Le gouvernement a publié lundi de nouveaux chiffres sur la situation."]
    first = identify(texts, "langdetect")
    assert first["lang"].to_list() == ["de", "en", "fr"]
    assert identify(texts, "langdetect").equals(first)


def test_a_rule_of_another_language_is_undone_once_the_language_is_known(tmp_path, dqkit):
    english = ("International\n\nGeosystems Corp, a subsidiary of Golden Tech Resources, said recent orders "
               "of its word processing system have brought sales to more than 2,900,000 dlrs.")
    german = "Politik\n\n" + GERMAN + " " + GERMAN
    write_jsonl(tmp_path / "c.jsonl", [{"id": "en", "text": english}, {"id": "de", "text": german}])
    assert dqkit("clean", tmp_path / "c.jsonl", "-o", tmp_path / "out").code == 0
    clean = read_outputs(tmp_path / "out")["clean"]
    assert clean.select("id", "lang").rows() == [("en", "en"), ("de", "de")]
    assert clean["text"].to_list() == [english, GERMAN + " " + GERMAN]


@pytest.mark.parametrize("lang", ["de", "en", "fr", "bg", "af", "pt-BR"])
def test_word_frequencies_are_wordfreqs_own(lang):
    """The compact lookup answers as wordfreq does down to RAREST_ZIPF, and below it for
    rarer words: words from every centibel of the list (a sample), words it lacks, and
    words it splits into tokens, weighs digits in or folds."""
    import wordfreq

    from dqkit.normalize.frequencies import RAREST_ZIPF, zipf_frequency

    listed = list(wordfreq.iter_wordlist(lang))[::97]
    others = ["xqzzyv", "Straße", "STRASSE", "rock'n'roll", "can’t", "e-mail", "U.S.", "1985", "2,000", "3rd", "Ωμέγα"]
    for word in listed + others + [w + "zz" for w in listed[:200]]:
        theirs, ours = wordfreq.zipf_frequency(word, lang), zipf_frequency(word, lang)
        assert ours == theirs if theirs >= RAREST_ZIPF else ours < RAREST_ZIPF, word


def test_no_stage_may_ask_about_rarer_words_than_the_lists_hold():
    from dqkit.normalize.frequencies import RAREST_ZIPF
    from dqkit.normalize.lexicon import frequent

    assert frequent("der", "de", RAREST_ZIPF)
    with pytest.raises(ValueError):
        frequent("der", "de", RAREST_ZIPF - 0.5)


def test_a_language_without_a_word_list_is_a_lookup_error():
    from dqkit.normalize.frequencies import zipf_frequency

    with pytest.raises(LookupError):
        zipf_frequency("the", "und")


def test_a_cached_word_list_answers_as_the_built_one(tmp_path, monkeypatch):
    """The cache holds the very lookup that was built: the same answers for listed words,
    rare ones and absent ones, memory-mapped from the files of an earlier run."""
    import wordfreq

    from dqkit.normalize import frequencies

    path = wordfreq.available_languages("best")["de"]
    built = frequencies.FrequencyList.from_wordfreq(path)
    built.save(tmp_path / "de")
    loaded = frequencies.FrequencyList.load(tmp_path / "de")
    words = list(wordfreq.iter_wordlist("de"))[::211] + ["xqzzyv", "", "Straße"]
    assert [loaded.frequency(w) for w in words] == [built.frequency(w) for w in words]
    assert loaded.frequency("der") == built.frequency("der") is not None


def test_the_word_list_cache_is_written_once_and_a_damaged_one_rebuilt(tmp_path, monkeypatch):
    import wordfreq

    from dqkit.normalize import frequencies

    monkeypatch.setenv("DQKIT_CACHE_DIR", str(tmp_path))
    path = wordfreq.available_languages("best")["en"]
    first = frequencies._read.__wrapped__(path)
    (folder,) = (tmp_path / "wordfreq").iterdir()
    assert sorted(p.name for p in folder.iterdir()) == ["firsts.npy", "keys.npy", "offsets.npy", "text.bin"]
    (folder / "text.bin").write_bytes(b"cut short")  # a damaged cache: read as inconsistent, built again
    again = frequencies._read.__wrapped__(path)
    assert again.frequency("the") == first.frequency("the") is not None
    assert (folder / "text.bin").stat().st_size > 1000
    assert not list((tmp_path / "wordfreq").glob("*.partial"))


def test_no_word_list_cache_when_it_is_switched_off_or_cannot_be_written(tmp_path, monkeypatch):
    import wordfreq

    from dqkit.normalize import frequencies

    path = wordfreq.available_languages("best")["en"]
    monkeypatch.setenv("DQKIT_CACHE_DIR", "")
    assert frequencies._read.__wrapped__(path).frequency("the") is not None
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    monkeypatch.setenv("DQKIT_CACHE_DIR", str(blocked))
    assert frequencies._read.__wrapped__(path).frequency("the") is not None
    assert blocked.read_text() == ""
