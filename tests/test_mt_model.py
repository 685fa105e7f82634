"""The learned MT probability: `dqkit mt train` / `dqkit mt eval`, the model file, `clean --mt-model` (issue 16)."""

from __future__ import annotations

import dataclasses
import json
import random

import polars as pl
import pytest
from conftest import read_outputs, write_jsonl

from dqkit.detect.mt_model import BUCKETS, FEATURES, default_model, load_model_file
from dqkit.detect.mt_training import auroc

# Two registers of German: "MT" sentences reuse a stiff phrasing, "human" ones another.
MT_PHRASES = ["Es ist wichtig zu beachten, dass", "In Bezug auf die Situation", "Dies ist aufgrund der Tatsache"]
HUMAN_PHRASES = ["Wie der Sprecher sagte,", "Dem Vernehmen nach", "Am Rande der Sitzung hieß es,"]
FILLERS = [
    "die Stadt den Haushalt beschlossen hat.",
    "der Verkehr in der Innenstadt zugenommen hat.",
    "die Schulen im Herbst renoviert werden.",
    "die Preise für Energie gestiegen sind.",
    "der Zug am Morgen ausgefallen ist.",
]


def labelled_records(n_groups: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    records = []
    for group in range(n_groups):
        fillers = rng.sample(FILLERS, 3)
        for label, phrases in (("mt", MT_PHRASES), ("human", HUMAN_PHRASES)):
            text = "\n".join(f"{rng.choice(phrases)} {filler}" for filler in fillers)
            domain = "news" if group % 2 else "web"
            records.append({"text": text, "label": label, "group": f"g{group}", "domain": domain})
    return records


@pytest.fixture
def trained(dqkit, tmp_path):
    source = write_jsonl(tmp_path / "train.jsonl", labelled_records(30, seed=1))
    result = dqkit("mt", "train", source, "-o", tmp_path / "model.json", "--lang", "de", "--by", "domain")
    assert result.code == 0, result.err
    return tmp_path / "model.json", result


def test_train_and_eval_round_trip(dqkit, tmp_path, trained):
    model_file, result = trained
    model = json.loads(model_file.read_text())
    assert model["features"] == FEATURES and model["lang"] == "de"
    validation = model["about"]["validation"]
    assert validation["all"]["documents"] == 60 and validation["all"]["auroc"] > 0.95
    assert set(validation["domain"]) == {"news", "web"}
    assert "AUROC" in result.out
    held_out = write_jsonl(tmp_path / "test.jsonl", labelled_records(10, seed=2))
    evaluated = dqkit("mt", "eval", held_out, "--model", model_file, "--by", "domain", "--json")
    assert evaluated.code == 0, evaluated.err
    figures = json.loads(evaluated.out)
    assert figures["all"]["auroc"] > 0.95 and figures["all"]["recall"] > 0.8
    assert figures["domain"]["news"]["documents"] == 10


def test_clean_uses_the_given_model_and_is_the_same_with_two_workers(dqkit, tmp_path, trained):
    model_file, _ = trained
    records = [{"id": f"d{i}", "text": r["text"], "lang": "de"} for i, r in enumerate(labelled_records(8, seed=3))]
    source = write_jsonl(tmp_path / "corpus.jsonl", records)
    outputs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        run = dqkit("clean", source, "-o", out, "-q", "--no-dedup", "--mt-model", model_file, "--workers", workers,
                    "--shard-docs", "3")
        assert run.code == 0, run.err
        outputs[workers] = read_outputs(out)["clean"].sort("id")
    clean = outputs["1"]
    columns = ["id", "mt_probability", "mt_score"]
    assert clean.select(columns).equals(outputs["2"].select(columns))
    labels = [r["label"] for r in labelled_records(8, seed=3)]
    by_id = dict(zip(clean["id"], clean["mt_probability"], strict=True))
    probabilities = [by_id[f"d{i}"] for i in range(len(labels))]
    assert auroc(pl.Series(probabilities).to_numpy(), pl.Series([x == "mt" for x in labels]).to_numpy()) > 0.95
    assert (clean["mt_score"] >= clean["mt_probability"]).all(), "the artefacts only add to the model's probability"


def test_a_model_whose_features_differ_from_the_code_is_refused(dqkit, tmp_path, trained):
    model_file, _ = trained
    model = json.loads(model_file.read_text())
    model["features"]["buckets"] = BUCKETS // 2
    (tmp_path / "old.json").write_text(json.dumps(model))
    source = write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": "Ein Satz.", "lang": "de"}])
    run = dqkit("clean", source, "-o", tmp_path / "out", "-q", "--mt-model", tmp_path / "old.json")
    assert run.code == 1
    assert "old.json" in run.err and "train it again" in run.err
    assert not (tmp_path / "out").exists(), "nothing is written"
    (tmp_path / "broken.json").write_text("{")
    run = dqkit("mt", "eval", source, "--model", tmp_path / "broken.json")
    assert run.code == 1 and "broken.json:1: not valid JSON" in run.err


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"text": "x", "label": "maybe", "group": "g"}, "label 'maybe' is none of mt, human"),
        ({"text": "x", "label": "mt"}, "field 'group' is missing"),
        ({"label": "mt", "group": "g"}, "text field 'text' is missing"),
        ("{not json", "not a JSON record"),
    ],
)
def test_a_bad_labelled_record_names_its_file_and_line(dqkit, tmp_path, line, message):
    good = labelled_records(1, seed=4)
    source = write_jsonl(tmp_path / "bad.jsonl", [*good, line])
    run = dqkit("mt", "train", source, "-o", tmp_path / "m.json", "--lang", "de")
    assert run.code == 1
    assert f"bad.jsonl:3: {message}" in run.err
    assert not (tmp_path / "m.json").exists()


def test_the_shipped_german_model_loads_and_records_its_validation():
    model = default_model("de")
    assert model is not None and model.lang == "de"
    validation = model.about["validation"]
    assert validation["all"]["documents"] > 1000 and validation["all"]["auroc"] > 0.8
    assert model.about["trained_by"] == "benchmarks/train_mt_model.py"


def test_every_artefact_is_an_mt_flagged_span_on_its_line_as_read(dqkit, tmp_path):
    text = "\n".join(
        [
            "Die Regierung teilte am Dienstag mit, dass sie neue Soldaten schicken werde.",
            "",
            "Nach Angaben des Ministeriums reisen sie im Winter. Am 23. Oktober die Vereinigten Staaten "
            "bestätigte die Entsendung. Am 24. Oktober die Regierung bestätigte den Plan.",
            "„Das ist gut“, sagte er. „Wir sind bereit, sagte ein Sprecher. „Wir warten.",
        ]
    )
    source = write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": text, "lang": "de"}])
    run = dqkit("clean", source, "-o", tmp_path / "out", "-q", "--no-dedup")
    assert run.code == 0, run.err
    outputs = read_outputs(tmp_path / "out")
    flagged = outputs["edits"].filter(pl.col("kind") == "mt_flagged")
    v2 = flagged.filter(pl.col("rule_id") == "mt.v2_violation").sort("start")
    assert v2["line_no"].to_list() == [3, 3], "numbered as read: the blank line counts"
    line = text.split("\n")[2]
    assert [line[s:e] for s, e in zip(v2["start"], v2["end"], strict=True)] == v2["before"].to_list()
    assert v2["before"].to_list() == ["Am 23. Oktober die Vereinigten", "Am 24. Oktober die Regierung"]
    whole = flagged.filter(pl.col("rule_id") == "mt.unbalanced_quotes")
    assert whole.height == 1 and whole["line_no"].is_null().all() and whole["start"].is_null().all()
    reasons = {r["signal"]: r for r in outputs["clean"]["mt_reasons"][0]}
    assert reasons["v2_violation"]["count"] == 2, "the summary counts what the spans list"
    others = outputs["edits"].filter(pl.col("kind") != "mt_flagged")
    assert others["start"].is_null().all() and others["end"].is_null().all()


def test_span_offsets_are_within_the_line_as_read(dqkit, tmp_path):
    """Normalising composes "e" + U+0301 into "é" and turns CRLF into LF: the offsets of
    a span still index the line as read; a span whose text normalising changed has none."""
    text = (
        "Die Cafe\u0301s in Köln öffnen wieder. Am 23. Oktober die Vereinigten Staaten bestätigte die Entsendung.\r\n"
        "Zweite Zeile.\r\n"
        "Dritte: Am 24. Oktober die Re\u0301gierung bestätigte den Plan."
    )
    source = write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": text, "lang": "de"}])
    assert dqkit("clean", source, "-o", tmp_path / "out", "-q", "--no-dedup").code == 0
    flagged = read_outputs(tmp_path / "out")["edits"].filter(pl.col("rule_id") == "mt.v2_violation").sort("line_no")
    lines = text.split("\r\n")
    first, changed = flagged.rows(named=True)
    assert (first["line_no"], first["before"]) == (1, "Am 23. Oktober die Vereinigten")
    assert lines[0][first["start"] : first["end"]] == first["before"], "offsets as read, not in the NFC line"
    assert (changed["line_no"], changed["before"]) == (3, "Am 24. Oktober die Régierung")
    assert changed["start"] is None and changed["end"] is None


def test_a_changed_mt_model_is_a_definition_change_in_dqkit_diff(dqkit, tmp_path):
    shipped = default_model("de")
    assert shipped is not None
    weights = shipped.weights.copy()
    weights[12345] += 0.5
    dataclasses.replace(shipped, about={"note": "copied"}).save(tmp_path / "same.json")
    dataclasses.replace(shipped, weights=weights).save(tmp_path / "moved.json")
    assert load_model_file(tmp_path / "same.json").definition_hash() == shipped.definition_hash(), "notes decide nothing"
    assert load_model_file(tmp_path / "moved.json").definition_hash() != shipped.definition_hash()

    records = [{"id": f"d{i}", "text": r["text"], "lang": "de"} for i, r in enumerate(labelled_records(2, seed=5))]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    outs = {}
    for name, args in (("base", ()), ("same", ("--mt-model", tmp_path / "same.json")),
                       ("head", ("--mt-model", tmp_path / "moved.json"))):
        outs[name] = tmp_path / name
        run = dqkit("clean", source, "-o", outs[name], "-q", "--no-dedup", *args)
        assert run.code == 0, run.err
    definitions = {n: json.loads((o / "report.json").read_text())["rules"]["definitions"] for n, o in outs.items()}
    assert definitions["base"]["mt.model.de"] == definitions["same"]["mt.model.de"] == shipped.definition_hash()
    assert definitions["head"]["mt.model.de"] != definitions["base"]["mt.model.de"]

    diff = json.loads(dqkit("diff", outs["base"], outs["head"], "--format", "json").out)
    assert diff["summary"]["definitions_changed"] == ["mt.model.de"]
    assert diff["rules"]["mt.model.de"]["definition_changed"] and diff["rules"]["mt.model.de"]["status"] == "unchanged"
    assert json.loads(dqkit("diff", outs["base"], outs["same"], "--format", "json").out)["summary"][
        "definitions_changed"
    ] == []
    markdown = dqkit("diff", outs["base"], outs["head"]).out
    assert "| mt.model.de | unchanged | changed |" in markdown


def test_logits_are_the_scipy_products_number_for_number():
    """MtModel.logits scores without scipy; the numbers are those of the sparse matrices
    the model is trained on: weighted(term_counts(texts), idf) @ weights + bias."""
    import numpy as np

    from conftest import SEEDS
    from dqkit.detect.mt_model import term_counts, weighted

    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    texts += ["", "123", "Ein Satz.", "Ein Satz. Ein Satz. Ein Satz."]
    texts += [r["text"] for r in labelled_records(20, seed=3)]
    model = default_model("de")
    rng = np.random.default_rng(0)
    sparse_idf = model.idf.copy()
    sparse_idf[rng.random(BUCKETS) < 0.3] = 0  # zero entries drop out of scipy's products
    for idf in (model.idf, sparse_idf):
        scored = dataclasses.replace(model, idf=idf)
        expected = np.asarray(weighted(term_counts(texts), idf) @ model.weights.astype(np.float64)).ravel() + model.bias
        assert scored.logits(texts).tobytes() == expected.tobytes()
