"""Near-duplicate detection: verified, deterministic, measured on the syndication set."""

from __future__ import annotations

import gzip
import json

import polars as pl
import pytest

from conftest import SEEDS, SHARED, read_outputs, write_jsonl
from dqkit.dedup.evaluate import pair_scores

STORY = ("Die Stadtverwaltung hat am Dienstag beschlossen, die alte Brücke über den Fluss bis zum Herbst "
         "vollständig zu sanieren. Die Arbeiten sollen im Mai beginnen und rund zwölf Millionen Euro kosten. "
         "Anwohner hatten seit Jahren über Risse im Beton geklagt, sagte der Bürgermeister bei der Sitzung.")
OTHER = ("Der Sportverein feierte am Wochenende sein hundertjähriges Bestehen mit einem großen Fest auf dem "
         "Marktplatz. Mehr als tausend Gäste kamen, um mit den Mitgliedern zu feiern und alte Fotos anzusehen.")


def _records():
    return [
        {"id": "base", "text": STORY},
        {"id": "copy-footer", "text": "Lokales\n\n" + STORY + "\n\nFolgen Sie uns auf Facebook und Instagram"},
        {"id": "copy-trimmed", "text": STORY.rsplit(" Anwohner", 1)[0] + " Der Rat stimmte einstimmig zu."},
        {"id": "copy-mojibake", "text": STORY.replace("ü", "Ã¼").replace("ä", "Ã¤")},
        {"id": "other", "text": OTHER},
    ]


def test_copies_cluster_and_the_best_one_is_kept(tmp_path, dqkit):
    path = write_jsonl(tmp_path / "c.jsonl", _records())
    assert dqkit("clean", path, "-o", tmp_path / "out").code == 0
    result = read_outputs(tmp_path / "out")
    assert sorted(result["clean"]["id"]) == ["base", "other"]
    rejects = result["rejects"].sort("id")
    assert rejects["reason"].to_list() == ["exact_duplicate", "exact_duplicate", "near_duplicate"]
    assert set(rejects["dup_of"]) == {"base"}
    trimmed = rejects.filter(pl.col("id") == "copy-trimmed")["similarity"].item()
    assert 0.4 <= trimmed < 1.0
    assert result["report"]["dedup"]["clusters"] == 1
    assert result["report"]["dedup"]["largest_clusters"][0]["size"] == 4


def test_keep_policies_and_modes(tmp_path, dqkit):
    records = [{"id": "short", "text": STORY}, {"id": "long", "text": STORY + " Die Bauzeit beträgt acht Monate."}]
    path = write_jsonl(tmp_path / "c.jsonl", records)
    for keep, kept in (("earliest", "short"), ("longest", "long"), ("best", "long")):
        assert dqkit("clean", path, "-o", tmp_path / keep, "--keep", keep).code == 0
        assert read_outputs(tmp_path / keep)["clean"]["id"].to_list() == [kept]
    assert dqkit("clean", path, "-o", tmp_path / "exact", "--exact-only").code == 0
    assert read_outputs(tmp_path / "exact")["clean"].height == 2
    assert dqkit("clean", path, "-o", tmp_path / "none", "--no-dedup").code == 0
    assert read_outputs(tmp_path / "none")["clean"].height == 2


def test_the_five_seeds_are_not_duplicates(tmp_path, dqkit):
    assert dqkit("clean", SEEDS, "-o", tmp_path / "out", "--threshold", "0.1").code == 0
    assert read_outputs(tmp_path / "out")["clean"].height == 5


SYNDICATION = SHARED / "data" / "syndication-dev"


@pytest.mark.skipif(not SYNDICATION.exists(), reason="../shared/data/syndication-dev is not available")
def test_syndication_dev_clusters(tmp_path, dqkit):
    assert dqkit("clean", SYNDICATION / "docs.jsonl.gz", "-o", tmp_path / "out").code == 0
    result = read_outputs(tmp_path / "out")
    predicted = {i: i for i in result["clean"]["id"]}
    predicted.update(dict(result["rejects"].select("id", "dup_of").iter_rows()))
    truth = {json.loads(line)["id"]: json.loads(line)["cluster_id"]
             for line in (SYNDICATION / "truth.jsonl").read_text().splitlines()}
    assert set(predicted) == set(truth)
    scores = pair_scores(predicted, truth)
    assert scores["f1"] >= 0.95, scores
    negatives = [json.loads(line) for line in gzip.open(SYNDICATION / "pairs.jsonl.gz", "rt")]
    merged = [p for p in negatives if not p["duplicate"] and predicted[p["a"]] == predicted[p["b"]]]
    assert merged == []
