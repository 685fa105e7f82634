"""The progress bar moves while shards run, not only when one finishes (issue 17)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from conftest import write_jsonl
from dqkit import shard_progress
from dqkit.engines import LocalEngine
from dqkit.options import CleanOptions, RunSettings
from dqkit.pipeline import run_clean
from dqkit.progress import Progress


class RecordingProgress(Progress):
    """Every stage label and every count, with when it came."""

    def __init__(self):
        super().__init__(enabled=False)
        self.events: list[tuple] = []

    def stage(self, label: str) -> None:
        self.events.append(("stage", label, time.monotonic()))

    def advance(self, done: int, total: int) -> None:
        self.events.append(("advance", done, total, time.monotonic()))


@dataclass(frozen=True)
class FakeShard:
    index: int
    documents: int
    files: tuple = ()


def half_then_wait(shard, context):
    """A shard that counts half its stages done, then works on for a while: ``context``
    seconds for the first shard, twice that for the second, so they end in that order."""
    shard_progress.note(shard.index, shard.documents, 1, 2)
    time.sleep(context * (1 + shard.index))
    return {"documents": shard.documents, "problems": 0}


def test_in_process_the_count_rises_before_the_shard_ends():
    progress, finished = RecordingProgress(), []

    def shard_function(shard, context):
        result = half_then_wait(shard, 0)
        finished.append(len(progress.events))  # how many counts came before it ended
        return result

    LocalEngine(1).map_shards(shard_function, [FakeShard(0, 100), FakeShard(1, 100)], None, progress)
    counts = [e[1] for e in progress.events]
    assert counts[: finished[0]] == [50], "half of the first shard, before it ended"
    assert counts[-1] == 200


def test_worker_processes_report_while_their_shards_run():
    progress = RecordingProgress()
    plan = [FakeShard(0, 100), FakeShard(1, 300)]
    started = time.monotonic()
    LocalEngine(2).map_shards(half_then_wait, plan, 2.0, progress)
    ended = time.monotonic()
    partial = [e for e in progress.events if 0 < e[1] < 400]
    assert partial, progress.events
    assert partial[0][3] < ended - 1.0, "counted while both shards still slept"
    # both halves (50 + 150) while both slept, then the first shard whole beside the second's half
    assert 200 in {e[1] for e in partial} and partial[-1][1] == 250 and progress.events[-1][1] == 400
    assert ended - started >= 4.0


def test_a_run_counts_documents_before_its_only_shard_is_done(tmp_path):
    """One shard, one worker: both phases (survey, clean) count stages as they finish."""
    text = "Der Stadtrat tagte lange und beschloss am Abend einen neuen Haushalt für das Jahr."
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": str(i), "text": text, "lang": "de"} for i in range(40)])
    progress = RecordingProgress()
    options = CleanOptions(builtin_rules=True, detect_language=False, dedup="none")
    run_clean([str(source)], tmp_path / "out", options, progress, RunSettings(workers=1))
    labels = [e[1] for e in progress.events if e[0] == "stage"]
    assert any(label.startswith("surveying") for label in labels) and "cleaning with the corpus's languages known" in labels
    phases: dict[str, list[int]] = {}
    label = ""
    for event in progress.events:
        if event[0] == "stage":
            label = event[1]
        elif event[2] == 40:
            phases.setdefault(label.split(" ")[0], []).append(event[1])
    for phase in ("surveying", "cleaning"):
        counts = phases[phase]
        assert any(0 < c < 40 for c in counts), (phase, counts)
        assert counts == sorted(counts) and counts[-1] == 40, (phase, counts)


def worker_pid(shard, context):
    import os

    return {"documents": shard.documents, "problems": 0, "pid": os.getpid()}


def test_the_survey_and_the_cleaning_share_one_pool_of_workers():
    """Workers start once per run (imports, rules), not once per phase; close() ends them."""
    engine, plan = LocalEngine(2), [FakeShard(k, 10) for k in range(4)]
    try:
        first = {r["pid"] for r in engine.map_shards(worker_pid, plan, None, RecordingProgress())}
        second = {r["pid"] for r in engine.map_shards(worker_pid, plan, None, RecordingProgress())}
    finally:
        engine.close()
    assert second <= first and len(first) <= 2
    import os

    assert os.getpid() not in first
    assert engine._pool is None
