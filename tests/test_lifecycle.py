"""A run's lifecycle through the real command line: one run per OUT, resume that checks what
it reuses, signals, killed processes, and nothing left behind (issue 13)."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import read_outputs, write_jsonl
from dqkit.io import output
from test_scale import _article, _digests

LINUX = Path("/proc/self/task").is_dir()
DOCS, SHARD_DOCS = 360, 20
SHARDS = DOCS // SHARD_DOCS
ARGS = ("--workers", "2", "--shard-docs", str(SHARD_DOCS), "--no-langid", "-q")
INTERRUPTED = re.compile(
    r"dqkit: interrupted \((SIGTERM|SIGINT)\): (\d+) of (\d+) shards done; run again with --resume to continue"
)


def _corpus(folder: Path, documents: int) -> Path:
    folder.mkdir(parents=True)
    write_jsonl(folder / "docs.jsonl", [{"id": f"d{n:04d}", "text": _article(n)} for n in range(documents)])
    return folder


@pytest.fixture(scope="module")
def big_run(tmp_path_factory):
    """A corpus that takes several seconds with two workers, and its uninterrupted outputs."""
    home = tmp_path_factory.mktemp("lifecycle")
    corpus = _corpus(home / "in", DOCS)
    done = subprocess.run([sys.executable, "-m", "dqkit", "clean", str(corpus), "-o", "reference", *ARGS],
                          cwd=home, stderr=subprocess.PIPE, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return home, corpus, _digests(home / "reference")


def _start(home: Path, corpus: Path, out: str, token: str, *extra: str) -> subprocess.Popen:
    """``dqkit clean`` in its own process group, marked in its environment (and so in its workers')."""
    return subprocess.Popen([sys.executable, "-m", "dqkit", "clean", str(corpus), "-o", out, *ARGS, *extra],
                            cwd=home, env={**os.environ, "DQKIT_TEST_RUN": token},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _marked(token: str) -> list[int]:
    """Every live process whose environment carries ``token``: a run and all it started."""
    mark = f"DQKIT_TEST_RUN={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and mark in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours
            pass
    return found


def _assert_all_gone(token: str, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while _marked(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _marked(token), "a process of the run outlived it"


def _workers(pid: int) -> list[int]:
    """The worker processes of a run (its children that multiprocessing spawned, not the resource tracker)."""
    children, workers = [], []
    for listing in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):  # a process may end while /proc is read
            children += [int(c) for c in listing.read_text().split()]
    for child in children:
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                workers.append(child)
    return workers


def _done(work: Path) -> int:
    return len(list(work.glob("shards/*/done.json")))


def _wait(condition, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        assert time.monotonic() < deadline, "the run did not get there in time"
        time.sleep(0.02)


def _leftovers(home: Path, out: str) -> list[str]:
    return sorted(p.name for p in home.iterdir() if p.name.startswith(f".{out}."))


# ---------------------------------------------------------------------------------------- one run per OUT


def test_a_second_run_into_the_same_out_is_refused_at_once(tmp_path, dqkit, monkeypatch):
    """Two runs with different options once shared .out.work: the one that exited 0 held
    the other's shards. The second is now refused before it touches anything."""
    monkeypatch.chdir(tmp_path)
    corpus = _corpus(tmp_path / "in", 90)
    args = ["clean", corpus, "--shard-docs", "10", "--workers", "1", "--no-langid", "-q"]
    assert dqkit(*args, "-o", tmp_path / "alone").code == 0
    first = subprocess.Popen([sys.executable, "-m", "dqkit", *map(str, args), "-o", "out"], cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait(lambda: _done(tmp_path / ".out.work") >= 1, first)
    started = time.monotonic()
    second = dqkit(*args, "-o", "out", "--no-dedup", "--max-removed", "0.9")
    assert second.code == 2 and f"is in use by process {first.pid}" in second.err, second.err
    assert time.monotonic() - started < 5 and "Traceback" not in second.err
    assert first.wait(timeout=60) == 0, first.stderr.read().decode() if first.stderr else ""
    assert (tmp_path / "out" / "clean.jsonl").read_bytes() == (tmp_path / "alone" / "clean.jsonl").read_bytes()
    assert (tmp_path / "out" / "report.json").read_bytes() == (tmp_path / "alone" / "report.json").read_bytes()
    assert _leftovers(tmp_path, "out") == []  # lock released and removed, work folder gone


def test_leftovers_of_a_killed_run_are_swept_and_an_old_out_put_back(tmp_path, dqkit):
    """A run killed inside its swap left .out.old-N (the previous OUT) and a staging folder."""
    (tmp_path / ".out.partial-99999").mkdir()
    (tmp_path / ".out.partial-99999" / "clean.jsonl").write_text("half")
    (tmp_path / ".out.old-99999").mkdir()
    (tmp_path / ".out.old-99999" / "clean.jsonl").write_text("the previous output")
    (tmp_path / ".out.lock").write_text("99999\n")  # a lock file left by a SIGKILL holds nothing
    corpus = _corpus(tmp_path / "in", 3)
    run = dqkit("clean", corpus, "-o", tmp_path / "out", "-q")
    assert run.code == 2 and "not empty: use --overwrite" in run.err  # the previous output is back
    assert (tmp_path / "out" / "clean.jsonl").read_text() == "the previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


# ---------------------------------------------------------------------------------------- resume checks


def _interrupted_work_folder(dqkit, monkeypatch, *args) -> object:
    """Run until every shard is done, then fail while writing OUT (a full disk): the work
    folder stays for --resume."""
    with monkeypatch.context() as patched:
        patched.setattr(output.StagedOutput, "write_text", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
        failed = dqkit(*args)
    assert failed.code == 1 and "disk full" in failed.err, failed.err
    return failed


def test_resume_compares_inputs_by_content_not_size_and_time(tmp_path, dqkit, monkeypatch):
    monkeypatch.chdir(tmp_path)
    corpus = _corpus(tmp_path / "in", 20)
    args = ["clean", corpus, "-o", tmp_path / "out", "--shard-docs", "5", "--workers", "1", "--no-langid", "-q"]
    _interrupted_work_folder(dqkit, monkeypatch, *args)
    docs = corpus / "docs.jsonl"
    before = docs.stat()
    docs.write_bytes(docs.read_bytes().replace(b"Nummer 7 ", b"Nummer 8 "))  # same size
    os.utime(docs, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert docs.stat().st_size == before.st_size and docs.stat().st_mtime_ns == before.st_mtime_ns
    resumed = dqkit(*args, "--resume")
    assert resumed.code == 2 and "cannot resume" in resumed.err and f"{docs} changed" in resumed.err
    assert (tmp_path / ".out.work" / "shards").is_dir()  # refused, not discarded
    assert dqkit(*args).code == 0  # without --resume: starts again on the edited file
    clean = read_outputs(tmp_path / "out")["clean"]
    assert "Nummer 8 aus" in clean.filter(pl.col("id") == "d0007")["text"].item()


def _break(work: Path) -> dict[int, str]:
    """Six finished shards broken in six ways."""
    shards = work / "shards"
    survivors = shards / "000001" / "survivors.parquet"
    survivors.write_bytes(survivors.read_bytes()[: survivors.stat().st_size // 2])
    (shards / "000002" / "edits.parquet").unlink()
    (shards / "000003" / "done.json").write_text('{"shard": 3, "docu')
    done = json.loads((shards / "000004" / "done.json").read_text())
    (shards / "000004" / "done.json").write_text(json.dumps({**done, "documents": "many"}))
    signatures = shards / "000005" / "signatures.npy"
    np.save(signatures, np.zeros((1, 3), dtype=np.uint32))
    keys = shards / "000006" / "band_keys.npy"
    keys.write_bytes(keys.read_bytes()[:-9])
    return {1: "survivors.parquet does not read", 2: "edits.parquet does not read", 3: "done.json is unreadable",
            4: "done.json has the wrong shape (documents)", 5: "signatures.npy has the wrong shape",
            6: "band_keys.npy does not read"}


def test_resume_cleans_a_broken_shard_again_and_never_crashes(tmp_path, dqkit, monkeypatch):
    monkeypatch.chdir(tmp_path)
    corpus = _corpus(tmp_path / "in", 40)
    args = ["clean", corpus, "--shard-docs", "5", "--workers", "1", "--no-langid"]
    assert dqkit(*args, "-o", tmp_path / "whole", "-q").code == 0
    out = tmp_path / "out"
    _interrupted_work_folder(dqkit, monkeypatch, *args, "-o", out)
    broken = _break(tmp_path / ".out.work")
    resumed = dqkit(*args, "-o", out, "--resume")
    assert resumed.code == 0, resumed.err
    notes = [line for line in resumed.err.splitlines() if "is broken" in line]
    assert len(notes) == len(broken) and "Traceback" not in resumed.err
    for k, problem in broken.items():
        assert any(f"shard {k} of the interrupted run is broken ({problem}" in n for n in notes), (k, notes)
    assert _digests(out) == _digests(tmp_path / "whole")
    assert json.loads((out / "timings.json").read_text())["shards_reused"] == 8 - len(broken)

    _interrupted_work_folder(dqkit, monkeypatch, *args, "-o", tmp_path / "again", "-q")
    (tmp_path / ".again.work" / "plan.json").write_text("{not json")
    refused = dqkit(*args, "-o", tmp_path / "again", "--resume", "-q")
    assert refused.code == 2 and "plan.json is missing or unreadable" in refused.err
    assert "Traceback" not in refused.err


# ---------------------------------------------------------------------------------------- leftovers and OUT


def test_an_input_error_found_by_a_worker_leaves_nothing(tmp_path, dqkit, monkeypatch):
    """Exit 1 used to leave .out.work, here with a decompressed copy of the gzip input."""
    monkeypatch.chdir(tmp_path)
    corpus = tmp_path / "in"
    corpus.mkdir()
    lines = [json.dumps({"id": f"d{n}", "text": _article(n)}) for n in range(40)]
    lines[33] = "{not json"  # shard 3 of ten
    (corpus / "docs.jsonl.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    run = dqkit("clean", corpus, "-o", tmp_path / "sub" / "out", "--shard-docs", "10", "--workers", "2",
                "--no-langid", "-q")
    assert run.code == 1 and "docs.jsonl.gz:34" in run.err and "Traceback" not in run.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no OUT, work folder, lock or made parent


@pytest.mark.parametrize("case", ["dot", "dotdot", "cwd-inside", "symlink", "root", "unwritable"])
def test_an_out_that_cannot_be_replaced_is_refused_before_any_work(tmp_path, dqkit, monkeypatch, case):
    corpus = _corpus(tmp_path / "in", 3)
    here = tmp_path / "a" / "b"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)
    out = {"dot": ".", "dotdot": "..", "cwd-inside": str(tmp_path / "a"), "symlink": str(tmp_path / "link"),
           "root": "/", "unwritable": str(tmp_path / "locked" / "out")}[case]
    if case == "symlink":
        (tmp_path / "target").mkdir()
        (tmp_path / "link").symlink_to(tmp_path / "target")
    if case == "unwritable":
        if os.geteuid() == 0:
            pytest.skip("root may write anywhere")
        (tmp_path / "locked").mkdir(mode=0o555)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    run = dqkit("clean", corpus, "-o", out, "-q")
    expected = {"dot": "is the current folder or holds it", "dotdot": "is the current folder or holds it",
                "cwd-inside": "is the current folder or holds it", "symlink": "is a symbolic link",
                "root": "has no parent folder", "unwritable": "is not writable"}[case]
    assert run.code == 2 and expected in run.err and "Traceback" not in run.err, run.err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


# ---------------------------------------------------------------------------------------- signals and kills


@pytest.mark.skipif(not LINUX, reason="reads /proc to find the run's processes")
@pytest.mark.slow
def test_sigterm_and_sigint_stop_the_workers_keep_the_shards_and_resume_finishes(big_run, dqkit, monkeypatch):
    """SIGTERM used to kill the driver alone (its workers went on), Ctrl-C to the group hung
    once in six tries with worker tracebacks. Each signal now stops everything within
    seconds with one line, and --resume finishes byte-identical to an uninterrupted run."""
    home, corpus, reference = big_run
    work, token = home / ".signals.work", uuid.uuid4().hex
    done = 0
    for k, (signum, group, code) in enumerate([(signal.SIGTERM, False, 143), (signal.SIGINT, True, 130),
                                                (signal.SIGINT, False, 130)]):
        process = _start(home, corpus, "signals", token, *(["--resume"] if k else []))
        _wait(lambda: _done(work) > done and _workers(process.pid), process)  # noqa: B023
        (os.killpg if group else os.kill)(process.pid, signum)
        sent = time.monotonic()
        err = process.communicate(timeout=20)[1].decode()
        assert process.returncode == code and time.monotonic() - sent < 5, err
        match = INTERRUPTED.fullmatch(err.strip())
        assert match and err.count("\n") == 1, err  # one line, no traceback
        assert match[1] == signal.Signals(signum).name and int(match[3]) == SHARDS
        done = int(match[2])
        assert done == _done(work) and done < SHARDS
        _assert_all_gone(token)
        assert not (home / "signals").exists()
    monkeypatch.chdir(home)
    resumed = dqkit("clean", corpus, "-o", home / "signals", *ARGS, "--resume")
    assert resumed.code == 0, resumed.err
    assert _digests(home / "signals") == reference
    assert json.loads((home / "signals" / "timings.json").read_text())["shards_reused"] == done
    assert _leftovers(home, "signals") == []


@pytest.mark.skipif(not LINUX, reason="reads /proc to find the run's processes")
@pytest.mark.slow
def test_killed_workers_and_a_killed_driver_resume_to_identical_outputs(big_run, dqkit, monkeypatch):
    """Fault injection: SIGKILL a worker, or the driver, at seeded random moments. A dead
    worker is one clear line (exit 1) and the shards stay; a killed driver takes its
    workers with it; --resume then gives byte-identical outputs, every id once."""
    home, corpus, reference = big_run
    out, token, chance = "faults", uuid.uuid4().hex, random.Random(13)
    finished = False
    for k in range(3):
        process = _start(home, corpus, out, token, *(["--resume"] if k else []))
        _wait(lambda: _workers(process.pid), process)  # noqa: B023
        time.sleep(chance.uniform(0.3, 1.5))
        workers = _workers(process.pid)
        victim = chance.choice(workers) if workers and k % 2 == 0 else process.pid
        os.kill(victim, signal.SIGKILL)
        err = process.communicate(timeout=20)[1].decode()
        if process.returncode == 0:  # it was done by then (the worker killed was idle)
            finished = True
            break
        if victim == process.pid:
            assert process.returncode == -signal.SIGKILL
        else:
            assert process.returncode == 1 and err.count("\n") == 1, err
            assert err.startswith("dqkit: error: a worker process died (signal 9)") and "--resume" in err, err
        _assert_all_gone(token)  # the workers of a SIGKILLed driver too (PR_SET_PDEATHSIG)
        assert not (home / out).exists()
    assert k >= 1, "no kill happened before the run finished"
    if not finished:
        monkeypatch.chdir(home)
        resumed = dqkit("clean", corpus, "-o", home / out, *ARGS, "--resume")
        assert resumed.code == 0, resumed.err
    assert _digests(home / out) == reference
    outputs = read_outputs(home / out)
    ids = [i for name in ("clean", "rejects") if outputs[name].height for i in outputs[name]["id"]]
    assert sorted(ids) == [f"d{n:04d}" for n in range(DOCS)]
    assert _leftovers(home, out) == []
