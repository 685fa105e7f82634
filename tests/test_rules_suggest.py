"""dqkit rules suggest weighs the boilerplate classifier's evidence; the rule tools name a missing text field."""

from __future__ import annotations

import yaml

from conftest import write_jsonl

TOWNS = ["Aston", "Barford", "Clifton", "Dunmore", "Elmstead", "Fairley", "Glenrock", "Hartwell"]


def _article(i: int, town: str) -> str:
    """A news page: a menu line, prose, a table of figures, a wrapped paragraph whose last
    line is "said.", and a footer."""
    return "\n".join(
        [
            "Contact",
            f"{town} bridge shut",
            f"The council of {town} said on Monday that it would close the old bridge over the river to all "
            f"traffic for the whole of the summer, because the engineers who inspected it in {2000 + i} found cracks.",
            f"The bridge in {town} was built in the year {1850 + i} and has carried the main road since then.",
            f"Most of the people who live in {town} will have to drive a long way round while it is shut.",
            f"Revs {10 + i}.{i} mln vs {20 + i}.{i} mln",
            f"Net {3 + i}.{i} mln vs {5 + i}.{i} mln",
            f"Shr {12 + i} cts vs {9 + i} cts",
            f"The work on the piers of the bridge in {town} is expected to take until the end of",
            "August, when the town hopes that the traffic in the centre will be lighter, the mayor",
            "said.",
            "Share on Facebook",
            "Privacy policy",
        ]
    )


def test_suggest_leaves_out_table_rows_and_sentence_ends_but_keeps_chrome(tmp_path, dqkit):
    records = [{"id": f"doc{i}", "lang": "en", "text": _article(i, town)} for i, town in enumerate(TOWNS)]
    path = write_jsonl(tmp_path / "c.jsonl", records)
    run = dqkit("rules", "suggest", path, "-o", tmp_path / "s.yaml")
    assert run.code == 0, run.err
    text = (tmp_path / "s.yaml").read_text()
    suggested = {r["examples"]["match"][0] for r in yaml.safe_load(text)["rules"]}
    assert {"Contact", "Share on Facebook", "Privacy policy"} <= suggested
    assert "said." not in suggested
    assert not any(line.startswith(("Revs ", "Net ", "Shr ")) for line in suggested), suggested
    assert "median content probability" in text  # each suggestion shows its evidence
    assert dqkit("rules", "lint", "--no-builtin", tmp_path / "s.yaml").code == 0


def test_suggest_names_a_missing_text_field(tmp_path, dqkit):
    path = write_jsonl(tmp_path / "wire.jsonl", [{"newid": 1, "body": "Some text.\nMore text."}])
    run = dqkit("rules", "suggest", path)
    assert run.code == 1
    assert "wire.jsonl:1: text field 'text' is missing; fields present: body, newid" in run.err, run.err
    assert "--text-field" in run.err and "empty corpus" not in run.err
    listed = dqkit("rules", "list", "--corpus", path)
    assert listed.code == 1 and "text field 'text' is missing" in listed.err, listed.err
