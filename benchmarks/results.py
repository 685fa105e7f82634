"""What every benchmark script shares: running ``dqkit clean`` and writing its section of RESULTS.md.

Each script owns one section of RESULTS.md, between two marker comments; re-running a
script replaces its section and leaves the rest alone (:func:`replace_section`). A
section is built with :class:`Section`, which starts with the date, the commit and the
machine (read when the script starts, so they name the code that was measured) and the
exact command; goal lines are computed from the figures of the section's own tables.
:func:`timed_clean` is the one way the scripts time a ``dqkit clean`` run and
:func:`clean_outputs` the one way they read what a run wrote.
"""

from __future__ import annotations

import datetime
import gzip
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
# The scripts run dqkit in temporary folders: a relative PYTHONPATH (the documented
# `PYTHONPATH=.`) would point there, and the runs would measure an installed dqkit instead
# of this tree.
if os.environ.get("PYTHONPATH"):
    os.environ["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in os.environ["PYTHONPATH"].split(os.pathsep))
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
ONE_THREAD = {"POLARS_MAX_THREADS": "1", "RAYON_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
SHARED_MACHINE = (
    "Timed on a shared 2-core machine (another developer's tests ran beside it): a timing "
    "moves by 10–25 % between runs; ratios measured side by side in one run are the figures to trust."
)


# --- running dqkit ---------------------------------------------------------------------------


def timed_clean(
    inputs: Path,
    out: Path,
    args: list[str],
    prefix: Sequence[str] = (),
    keep_output: bool = False,
    env: dict[str, str] | None = None,
) -> dict:
    """Run ``[prefix] python -m dqkit clean INPUTS -o OUT -q ARGS`` in a fresh process with
    one polars thread (and ``env`` on top of this process's environment); return wall
    seconds, peak RSS (``wait4``, MB) and its timings.json. OUT is removed before, and
    after unless ``keep_output``."""
    shutil.rmtree(out, ignore_errors=True)
    command = [*prefix, sys.executable, "-m", "dqkit", "clean", str(inputs), "-o", str(out), "-q", *args]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env={**os.environ, **ONE_THREAD, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"dqkit failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    timings = json.loads((out / "timings.json").read_text())
    if not keep_output:
        shutil.rmtree(out, ignore_errors=True)
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "timings": timings}


def pin_to_one_core() -> list[str]:
    """The prefix that pins a process to CPU 0 (empty where taskset is missing)."""
    return ["taskset", "-c", "0"] if shutil.which("taskset") else []


@dataclass
class CleanOutputs:
    """What one ``dqkit clean`` run wrote, read back."""

    clean: dict[str, dict]  # id -> row of clean.jsonl
    rejects: dict[str, dict]  # id -> row of rejects.jsonl
    edits: list[dict]  # rows of edits.parquet
    report: dict
    timings: dict


def clean_outputs(source: Path, workdir: Path, extra: Sequence[str] = (), pin: bool = False) -> CleanOutputs:
    """``python -m dqkit clean SOURCE -o OUT -q EXTRA`` run in ``workdir`` (a temporary
    folder: no ``dqkit.toml`` applies, built-in rules only), its outputs read back."""
    import polars as pl

    out = workdir / f"{source.stem}-out"
    shutil.rmtree(out, ignore_errors=True)
    prefix = pin_to_one_core() if pin else []
    command = [*prefix, sys.executable, "-m", "dqkit", "clean", str(source), "-o", str(out), "-q", *extra]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, env={**os.environ, **ONE_THREAD})
    if done.returncode != 0:
        raise SystemExit(f"dqkit failed ({done.returncode}): {' '.join(command)}\n{done.stderr}")
    outputs = CleanOutputs(
        clean={row["id"]: row for row in read_jsonl(out / "clean.jsonl")},
        rejects={row["id"]: row for row in read_jsonl(out / "rejects.jsonl")},
        edits=pl.read_parquet(out / "edits.parquet").to_dicts(),
        report=json.loads((out / "report.json").read_text("utf-8")),
        timings=json.loads((out / "timings.json").read_text("utf-8")),
    )
    shutil.rmtree(out, ignore_errors=True)
    return outputs


def read_jsonl(path: Path) -> list[dict]:
    """The records of a JSONL file, plain or gzip-compressed."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_jsonl(records: Iterable[dict], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def require(*paths: Path) -> None:
    """Stop with a message when evaluation data is absent: nothing is measured then."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"evaluation data not found ({', '.join(missing)}): nothing measured")


# --- the section ---------------------------------------------------------------------------


def git_commit() -> str:
    """``git rev-parse --short HEAD``, with "+dirty" when the tree has changes other than
    RESULTS.md itself (which the scripts write one after another)."""
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    status = subprocess.run(
        [*git, "status", "--porcelain", "--", ".", ":(exclude)benchmarks/RESULTS.md"], capture_output=True, text=True
    ).stdout.strip()
    return (commit or "unknown") + ("+dirty" if status else "")


def machine() -> str:
    """Cores, CPU model, memory, Python and polars versions."""
    import polars

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    cpu = models[0] if models else platform.processor() or "?"
    memory = "?"
    if Path("/proc/meminfo").exists():  # first line: MemTotal in kB
        memory = f"{int(Path('/proc/meminfo').read_text().split()[1]) / 1024**2:.0f} GB"
    return (
        f"{os.cpu_count()} cores, {cpu}, {memory} RAM; Python {platform.python_version()}, polars {polars.__version__}"
    )


class Section:
    """One section of RESULTS.md, built line by line and written with :meth:`write`."""

    def __init__(self, name: str, title: str, timing: bool):
        command = shlex.join(["python", os.path.relpath(Path(sys.argv[0]).resolve(), ROOT), *sys.argv[1:]])
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        self.name = name
        self.lines = [
            f"## {title}",
            "",
            f"Date: {now}. Commit: `{git_commit()}`. Machine: {machine()}.",
            "",
            f"Command: `PYTHONPATH=. {command}`",
        ]
        if timing:
            self.lines += ["", SHARED_MACHINE]

    def text(self, *lines: str) -> None:
        self.lines += ["", *lines]

    def heading(self, title: str) -> None:
        self.lines += ["", f"### {title}"]

    def table(self, headers: Sequence[str] | str, rows: Iterable[Sequence], left: int = 1) -> None:
        """A markdown table; the first ``left`` columns are labels, the others right-aligned.
        ``headers`` may be one string, the column names separated by " | "."""
        headers = headers.split(" | ") if isinstance(headers, str) else headers
        align = ["---"] * left + ["---:"] * (len(headers) - left)
        self.lines += ["", _row(headers), _row(align), *(_row(row) for row in rows)]

    def listing(self, title: str, headers: str, rows: list[Sequence], limit: int, left: int = 2) -> None:
        """ "TITLE: N." and a table of the first ``limit`` rows (none when there are none)."""
        self.text(f"{title}: {len(rows):,}" + (f" (the first {limit} listed)" if len(rows) > limit else "") + ".")
        if rows:
            self.table(headers, rows[:limit], left=left)

    def goal(self, goal: str, measured: str, met: bool) -> None:
        """A goal line; ``met`` is computed by the caller from figures of a table above."""
        self.lines += ["", f"Goal {goal}: **{'met' if met else 'not met'}** ({measured})."]

    def write(self, path: Path = RESULTS) -> None:
        replace_section(path, self.name, "\n".join(self.lines))
        print(f"wrote the {self.name} section of {path}")


def _row(cells: Sequence) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def replace_section(path: Path, name: str, body: str) -> None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# dqkit benchmark results\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


# --- cells ---------------------------------------------------------------------------------


def pct(part: int, whole: int, digits: int = 1) -> str:
    return f"{100 * part / whole:.{digits}f} % ({part:,}/{whole:,})" if whole else "– (0/0)"


def seconds_cell(runs: Sequence[float], digits: int = 2) -> str:
    """Median of the runs, min–max in brackets."""
    return f"{statistics.median(runs):.{digits}f} [{min(runs):.{digits}f}–{max(runs):.{digits}f}]"


def md(text: str, limit: int = 140) -> str:
    """Corpus text for a markdown table cell: escaped, one line, bounded."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    for char in "\\`*_[]<>|#~":
        text = text.replace(char, "\\" + char)
    return text or "(blank)"
