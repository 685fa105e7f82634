"""The stage contract: a new stage is one class plus one entry in the list; kinds and
reasons are enums whose README tables cannot drift; stage boundaries are checked."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest

from conftest import REPO, read_outputs, write_jsonl
from dqkit.assemble import kept_lines
from dqkit.frames import DOC, FrameError, as_edits
from dqkit.kinds import EditKind, RejectReason
from dqkit.options import CleanOptions, RunSettings
from dqkit.pipeline import run_clean
from dqkit.progress import Progress
from dqkit.stages import Batch, StageContext, default_stages

BODY = (
    "Die Regierung hat am Dienstag ein neues Gesetz vorgestellt, das die Förderung von Solaranlagen "
    "auf Dächern vereinfachen soll. Kritiker bemängeln die hohen Kosten für Mieter."
)


class FlagBananas:
    """A toy stage: flags every line of the clean text that mentions a banana."""

    name = "bananas"
    edit_kinds = (EditKind.LINE_FLAGGED,)
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        lines = kept_lines(batch.docs.select(DOC, "text", "line_nos")).filter(pl.col("line").str.contains("(?i)banana"))
        batch.edits.append(
            as_edits(
                lines.select(
                    DOC,
                    "line_no",
                    pl.lit(EditKind.LINE_FLAGGED.value).alias("kind"),
                    pl.lit("toy.banana").alias("rule_id"),
                    pl.col("line").alias("before"),
                    pl.lit(None, dtype=pl.String).alias("after"),
                )
            )
        )
        batch.count(self.name, "lines", lines.height)
        batch.count(self.name, "documents", lines[DOC].n_unique())


class RejectsWithoutSaying(FlagBananas):
    """Rejects with a reason it does not declare: the runner's check must catch it."""

    def run(self, batch: Batch, context: StageContext) -> None:
        batch.rejects.append(
            batch.docs.head(1).with_columns(pl.lit("empty_text").alias("reason"), pl.lit("x").alias("detail"))
        )


def _corpus(tmp_path):
    write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "text": f"{BODY}\nBananen und eine Banana am Ende."},
            {
                "id": "b",
                "text": f"Ein anderer Text über den Stadtrat, der lange tagte und viel beschloss.\n{BODY[:80]}",
            },
            {"id": "c", "text": "Banana\nBanana split, sagte der Koch am Mittwoch in der Küche des Hotels."},
        ],
    )
    return tmp_path / "in.jsonl"


def _run(tmp_path, stages, name="out"):
    options = CleanOptions(builtin_rules=True, detect_language=False, dedup="none")
    return run_clean(
        [str(_corpus(tmp_path))],
        tmp_path / name,
        options,
        Progress(enabled=False),
        RunSettings(workers=1),
        stages=stages,
    )


def test_a_toy_stage_added_to_the_list_shows_its_edits_and_counters(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = _run(tmp_path, (*default_stages(), FlagBananas()))
    edits = pl.read_parquet(tmp_path / "out" / "edits.parquet").filter(pl.col("rule_id") == "toy.banana")
    assert edits.select("doc_id", "line_no").rows() == [("a", 2), ("c", 1), ("c", 2)]
    assert set(edits["kind"]) == {"line_flagged"}
    on_disk = json.loads((tmp_path / "out" / "report.json").read_text())
    assert on_disk["stages"] == report["stages"] == {"bananas": {"lines": 3, "documents": 2}}
    assert on_disk["edits_by_kind"]["line_flagged"] == 3
    clean = read_outputs(tmp_path / "out")["clean"]
    assert dict(zip(clean["id"], clean["dq_flags"], strict=True)) == {"a": 1, "b": 0, "c": 2}
    assert "bananas" in json.loads((tmp_path / "out" / "timings.json").read_text())["shard_stage_seconds_summed"]

    _run(tmp_path, default_stages(), name="plain")
    assert "stages" not in json.loads((tmp_path / "plain" / "report.json").read_text())  # no stage counted anything


def test_a_stage_that_rejects_with_an_undeclared_reason_is_caught(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FrameError, match="reasons \\['empty_text'\\] are not among the stage's reject_reasons"):
        _run(tmp_path, (*default_stages(), RejectsWithoutSaying()))
    assert not (tmp_path / "out").exists()


def test_stage_names_are_unique_and_declare_only_enum_members():
    stages = default_stages()
    assert len({s.name for s in stages}) == len(stages)
    kinds = [k for s in stages for k in s.edit_kinds]
    reasons = [r for s in stages for r in s.reject_reasons]
    assert all(isinstance(k, EditKind) for k in kinds) and all(isinstance(r, RejectReason) for r in reasons)
    assert len(kinds) == len(set(kinds)) and len(reasons) == len(set(reasons))  # one owner each
    # Every edit kind has a stage that owns it; the reasons no stage owns are the readers' and dedup's.
    assert set(kinds) == set(EditKind)
    assert set(RejectReason) - set(reasons) == {
        RejectReason.EXACT_DUPLICATE,
        RejectReason.NEAR_DUPLICATE,
        RejectReason.BINARY_FILE,
        RejectReason.MALFORMED_RECORD,
        RejectReason.MISSING_TEXT,
        RejectReason.MISSING_ID,
        RejectReason.DUPLICATE_ID,
        RejectReason.RECORD_TOO_LARGE,
        RejectReason.NOT_EXTRACTED,
    }


def _readme_table(header: str) -> dict[str, list[str]]:
    """The rows of the README table whose header row starts with ``header``: first cell -> the others."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split(f"\n| {header} |", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows[re.sub(r"^`|`$", "", cells[0])] = cells[1:]
    return rows


def test_readme_tables_of_reasons_and_kinds_match_the_enums():
    assert _readme_table("reason") == {r.value: [r.description] for r in RejectReason}
    assert _readme_table("kind") == {k.value: [k.group, k.description] for k in EditKind}


def test_the_line_table_has_the_declared_columns():
    from dqkit.frames import LINE_TABLE, check_frame
    from dqkit.rules.engine import line_table

    docs = pl.DataFrame({"_doc": [4], "text": ["Title\n\n  „Quote“ line "], "_lang_hint": ["de"]})
    lines = line_table(docs)
    check_frame(lines, LINE_TABLE, "line_table", exact=True)
    assert lines.select("line_no", "_blank").rows() == [(1, False), (2, True), (3, False)]


def test_per_document_windows_equal_their_over_forms():
    from dqkit.detect.doc_windows import (
        cum_sum,
        doc_lines,
        doc_sum,
        last_where,
        next_where,
        position,
        run_length,
        shifted,
    )

    frame = pl.DataFrame({"_doc": [0, 0, 0, 0, 1, 1, 2], "x": [1, 0, 1, 1, 0, 1, 1]})
    x = pl.col("x")
    member = x == 1
    at = pl.int_range(pl.len()).over("_doc")
    run = (member != member.shift(1)).fill_null(True).cum_sum()
    expected = frame.select(
        x.shift(1).over("_doc").alias("up"),
        x.shift(-1).over("_doc").alias("down"),
        at.cast(pl.Int64).alias("at"),
        pl.len().over("_doc").cast(pl.Int64).alias("n"),
        x.cum_sum().over("_doc").alias("cum"),
        x.sum().over("_doc").alias("sum"),
        pl.when(member).then(at).forward_fill().over("_doc").cast(pl.Int64).alias("last"),
        pl.when(member).then(at).backward_fill().over("_doc").cast(pl.Int64).alias("next"),
        pl.when(member).then(pl.len().over("_doc", run.over("_doc"))).otherwise(0).cast(pl.Int64).alias("run"),
    )
    got = frame.select(
        shifted(x, 1).alias("up"),
        shifted(x, -1).alias("down"),
        position().alias("at"),
        doc_lines().alias("n"),
        cum_sum(x).alias("cum"),
        doc_sum(x).alias("sum"),
        last_where(member).alias("last"),
        next_where(member).alias("next"),
        run_length(member).cast(pl.Int64).alias("run"),
    )
    assert got.cast(expected.schema).equals(expected)
