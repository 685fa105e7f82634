"""Language identification on evidence: trust, the corpus prior, rescoping on positive
evidence only, the report, and determinism across shards and workers."""

from __future__ import annotations

import gzip
import json

import polars as pl
import pytest

from conftest import SHARED, read_outputs, write_jsonl
from dqkit.detect.langid import DETECTORS
from dqkit.detect.language import function_word_fits, identify, speaks_for, weigh
from dqkit.detect.language_prior import decide_prior

# English wire stories written for these tests, each with the agency's sign-off.
STORIES = [
    "The central bank said on Monday that it would keep interest rates unchanged for the rest of the year, "
    "citing a slowdown in consumer spending and weaker exports to its main trading partners.",
    "Shares of the airline rose sharply after the company reported a return to profit in the third quarter "
    "and said it expected demand for long-haul flights to remain strong through the winter.",
    "The government announced a new plan to build more than ten thousand homes in the capital over the next "
    "five years, and said that private developers would be asked to pay for part of the cost.",
    "Oil prices fell for a third day on Tuesday as traders worried that a mild winter in the north would cut "
    "the demand for heating fuel, while stocks in the main storage hubs were still rising.",
    "The union said its members had voted to accept the offer of a four per cent pay rise, ending a dispute "
    "that had closed two of the largest car plants in the country for more than a month.",
]
# An earnings table and a one-line stub: detectors call them Indonesian or Swedish.
TABLE = "Shr 1.10 dlrs vs 90 cts\nNet 5,623,000 vs 4,592,000\nRevs 113.2 mln vs 98.5 mln\nNine mths\nShr 3.20 dlrs vs 2.75"
STUB = "Qtly div 12 cts vs 12 cts prior"
GERMAN = (
    "Der Minister sagte am Montag in Berlin, die Regierung werde die Hilfen für die Landwirte verlängern. "
    '„We will not accept this deal", hatte der amerikanische Botschafter zuvor erklärt. Die Opposition '
    "kritisierte den Plan als zu teuer und verlangte eine Abstimmung im Bundestag noch vor der Sommerpause."
)
FRENCH = [
    "Le gouvernement a présenté mardi un projet de loi sur le logement qui prévoit la construction de "
    "nouveaux quartiers autour des grandes villes, avec des aides pour les familles modestes.",
    "Les syndicats ont appelé à une nouvelle journée de grève dans les transports publics de la région, "
    "après l'échec des négociations sur les salaires et les conditions de travail.",
]


def _run(dqkit, tmp_path, records, *args, name="out"):
    source = write_jsonl(tmp_path / f"{name}.jsonl", records)
    result = dqkit("clean", source, "-o", tmp_path / name, "--no-dedup", *args)
    assert result.code == 0, result.err
    return read_outputs(tmp_path / name)


def _wire(records):
    return [{"id": f"s{k}", "text": f"{text}\nReuter"} for k, text in enumerate(records)]


def test_tables_and_stubs_are_not_trusted_and_take_the_prior():
    found = identify([TABLE, STUB, STORIES[0], ""], "langdetect")
    assert found["trusted"].to_list() == [False, False, True, False]
    assert found["lang"].to_list()[2:] == ["en", "und"]


@pytest.mark.parametrize("detector", ["fasttext+py3langid", "langdetect"])
def test_a_table_like_english_document_and_a_short_stub_keep_their_english_rules(tmp_path, dqkit, detector):
    records = _wire(STORIES) + [{"id": "table", "text": f"{TABLE}\nReuter"}, {"id": "stub", "text": f"{STUB}\nReuter"}]
    outputs = _run(dqkit, tmp_path, records, "--langid", detector)
    clean = outputs["clean"]
    assert clean.height == len(records)
    assert not any(text.rstrip().endswith("Reuter") for text in clean["text"])  # the sign-off rule held everywhere
    langs = dict(zip(clean["id"], clean["lang"], strict=True))
    assert langs["table"] == "en" and langs["stub"] == "en"  # a guess of its own, or the prior of the file
    language_id = outputs["report"]["language_id"]
    by = language_id["by_language"]["en"]
    assert by["trusted"] == 5 and by.get("untrusted", 0) + by.get("prior", 0) == 2
    scores = dict(zip(clean["id"], clean["lang_score"], strict=True))
    assert all(0.8 <= scores[f"s{k}"] <= 1.0 for k in range(len(STORIES)))
    settled = language_id["priors"]
    if settled:  # langdetect calls the table Swedish: the file's prior settles it, with its share as score
        assert settled == [{"source": str(tmp_path / "out.jsonl"), "language": "en", "documents": by["prior"]}]
        assert scores["table"] == 1.0


def test_a_german_article_with_an_english_quote_stays_german(tmp_path, dqkit):
    outputs = _run(dqkit, tmp_path, [{"id": "de", "text": GERMAN}])
    assert outputs["clean"]["lang"].to_list() == ["de"]
    assert outputs["report"]["language_id"]["by_language"] == {"de": {"trusted": 1}}


RULES = """\
schema: dqkit/rules@1
lang: de
rules:
  - id: de.test.photo-credit
    title: Photo credit
    category: credits
    message: A photo credit line
    match:
      regex: '^Photos?\\s*:.*$'
    examples:
      match: ["Photo: dpa"]
      no_match: ["Das Photo zeigt den Hafen."]
"""


def test_a_french_page_loses_german_chrome_only_where_the_line_says_so(tmp_path, dqkit):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "credits.yaml").write_text(RULES, encoding="utf-8")
    page = "\n".join([FRENCH[0], "Photo : la mer et le ciel au-dessus du port", FRENCH[1], "Nach oben", "Zum Seitenanfang"])
    outputs = _run(dqkit, tmp_path, [{"id": "fr", "text": page}], "--rules", rules)
    clean = outputs["clean"]
    assert clean["lang"].to_list() == ["fr"]
    text = clean["text"][0]
    assert "Nach oben" not in text and "Zum Seitenanfang" not in text  # German lines: the German rule holds
    assert "Photo : la mer" in text  # a French line that the German pattern matched: undone
    rescope = outputs["report"]["stages"]["rescope"]
    assert rescope == {"hits_undone": 1, "hits_kept_on_line_evidence": 2}


def test_line_evidence_speaks_for_the_rule_language_only_on_its_own_words():
    lines = pl.DataFrame(
        {
            "line": ["Nach oben", "Photo : la mer et le ciel", "Vorheriger Artikel: Stadt plant neue Radwege"],
            "lang": ["fr", "fr", "en"],
            "rule_langs": [["de"], ["de"], ["de"]],
        }
    )
    assert speaks_for(lines, "langdetect").to_list() == [True, False, True]


def test_an_untrusted_document_keeps_the_rules_that_fired(tmp_path, dqkit):
    # A short German stub in an English file: too little to trust either way, so the
    # German rule that fired stays, and the prior (English) does not fit its words.
    stub = "Nach oben\nDie Wahl ist am Sonntag."
    outputs = _run(dqkit, tmp_path, _wire(STORIES) + [{"id": "stub", "text": stub}])
    row = outputs["clean"].filter(pl.col("id") == "stub").row(0, named=True)
    assert row["text"] == "Die Wahl ist am Sonntag."
    assert row["lang"] != "en"  # German function words fit better than English ones: no prior


def test_the_prior_is_per_source_field(tmp_path, dqkit):
    records = [{"id": f"e{k}", "text": t, "site": "wire.example"} for k, t in enumerate(STORIES)]
    records += [{"id": f"f{k}", "text": t, "site": "presse.example"} for k, t in enumerate(FRENCH)]
    records += [{"id": "t1", "text": TABLE, "site": "wire.example"}, {"id": "t2", "text": TABLE, "site": "presse.example"}]
    outputs = _run(dqkit, tmp_path, records, "--source-field", "site")
    langs = dict(zip(outputs["clean"]["id"], outputs["clean"]["lang"], strict=True))
    assert langs["t1"] == "en" and langs["t2"] == "fr"
    assert outputs["clean"]["site"].to_list()[-2:] == ["wire.example", "presse.example"]  # still carried


def test_a_missing_source_field_is_a_warning(tmp_path, dqkit):
    source = write_jsonl(tmp_path / "c.jsonl", _wire(STORIES))
    result = dqkit("clean", source, "-o", tmp_path / "out", "--source-field", "site")
    assert result.code == 0 and "no document has a --source-field 'site' value" in result.err


def test_rare_languages_are_warned_about(tmp_path, dqkit):
    # 200 English stories, 2 French and 1 German: each under 1 % of the corpus, together 1.5 %.
    records = _wire(STORIES * 40) + [{"id": "r", "text": text} for text in [*FRENCH, GERMAN]]
    records = [dict(r, id=f"{r['id']}-{n}") for n, r in enumerate(records)]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    run = dqkit("clean", source, "-o", tmp_path / "out", "--no-dedup")
    assert run.code == 0 and "dqkit: warning: 3 kept documents (1.5 %)" in run.err
    outputs = read_outputs(tmp_path / "out")
    language_id = outputs["report"]["language_id"]
    assert language_id["rare"] == {"languages": 2, "documents": 3}
    assert "3 kept documents" in language_id["warning"]
    assert "⚠️" in (tmp_path / "out" / "report.md").read_text() and 'data-warning="languages"' in (
        tmp_path / "out" / "report.html"
    ).read_text()


def test_the_prior_does_not_depend_on_shards_or_workers(tmp_path, dqkit):
    records = _wire(STORIES * 4) + [{"id": f"t{k}", "text": f"{TABLE} {k}\nReuter"} for k in range(6)]
    records = [dict(r, id=f"{r['id']}-{n}") for n, r in enumerate(records)]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    runs = {}
    for name, args in {
        "one": ("--workers", "1"),
        "shards": ("--workers", "1", "--shard-docs", "3"),
        "workers": ("--workers", "2", "--shard-docs", "4"),
    }.items():
        assert dqkit("clean", source, "-o", tmp_path / name, "--no-dedup", *args).code == 0
        runs[name] = [(tmp_path / name / f).read_bytes() for f in ("clean.jsonl", "report.json", "edits.parquet")]
    assert runs["one"] == runs["shards"] == runs["workers"]
    clean = pl.read_ndjson(tmp_path / "one" / "clean.jsonl")
    assert set(clean.filter(pl.col("id").str.starts_with("t"))["lang"]) == {"en"}


def test_a_cleaned_corpus_cleaned_again_keeps_its_languages_and_scores(tmp_path, dqkit):
    first = _run(dqkit, tmp_path, _wire(STORIES) + [{"id": "t", "text": TABLE}], name="first")["clean"]
    again = dqkit("clean", tmp_path / "first" / "clean.jsonl", "-o", tmp_path / "again", "--no-dedup")
    assert again.code == 0, again.err
    columns = ["id", "text", "lang", "lang_score"]  # dq_lines_removed counts this run's removals: 0 now
    assert read_outputs(tmp_path / "again")["clean"].select(columns).equals(first.select(columns))
    assert first["lang_score"].null_count() == 0


def test_the_prior_needs_a_majority():
    prior = decide_prior({"a": {"en": 3, "de": 3}, "b": {"de": 1}})
    assert prior.language("a") is None and prior.language("b") == "de"
    assert prior.corpus == "de"  # 4 of the 7 trusted documents
    assert decide_prior({}).corpus is None


PORTUGUESE = (
    "O governo anunciou hoje um novo plano para a construção de casas na capital, e disse que os promotores "
    "privados terão de pagar uma parte do custo das obras nos próximos cinco anos."
)


def test_function_words_must_agree_with_the_guess():
    guesses = pl.DataFrame(
        {
            "prefix": [STORIES[0], STORIES[0], PORTUGUESE, GERMAN],
            "lang": ["en", "sv", "pt", "zh"],
            "lang_score": [0.99] * 4,
        }
    )
    # English prose called Swedish has no Swedish words; Portuguese prose has Spanish
    # function words but more Portuguese ones; German called Chinese: no word list, and
    # the German lexicon fits clearly.
    assert weigh(guesses)["trusted"].to_list() == [True, False, True, False]


def test_function_word_fits_are_shares_of_words():
    fits = function_word_fits(pl.Series(["Die Katze und der Hund", "12 34", "le chat et le chien"]))
    assert fits.row(0, named=True)["de"] == pytest.approx(0.6)
    assert fits.row(1, named=True) == dict.fromkeys(fits.columns, 0.0)
    assert fits.row(2, named=True)["fr"] > fits.row(2, named=True)["de"]


@pytest.mark.parametrize("detector", sorted(DETECTORS))
def test_every_detector_is_deterministic_and_names_the_obvious(detector):
    texts = [STORIES[0], FRENCH[0], GERMAN]
    first = identify(texts, detector)
    assert first["lang"].to_list() == ["en", "fr", "de"]
    assert first["trusted"].to_list() == [True, True, True]
    assert identify(texts, detector).equals(first)


GNAD = SHARED / "data" / "german-news-human" / "dewikinews_1k.jsonl.gz"


@pytest.mark.skipif(not GNAD.exists(), reason="../shared/data/german-news-human is not here")
def test_human_german_news_is_all_german(tmp_path, dqkit):
    with gzip.open(GNAD, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle][:300]
    outputs = _run(dqkit, tmp_path, [{"id": r["id"], "text": r["text"]} for r in records])
    assert set(outputs["clean"]["lang"]) == {"de"}
