"""Are ``dqkit clean``'s outputs unchanged by a refactoring? Cleans the same corpora with
the code of a base commit and with the working tree, and compares every output file but
timings.json byte for byte.

    python benchmarks/compare_outputs.py --base 6348e2f           # all corpora
    python benchmarks/compare_outputs.py --base 6348e2f seeds     # one of them

The base commit's tree is exported with ``git archive`` into benchmarks/_work/ and run from
there (``PYTHONPATH``), in the same virtual environment; its outputs are kept per commit, so
a second comparison only runs the working tree. Both runs start in an empty folder, so no
project settings of the current folder take part. Exit 1 when any file differs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
WORK = ROOT / "benchmarks" / "_work" / "compare"
CORPORA = {
    "seeds": ([ROOT / "seeds"], []),
    "syndication-dev": ([DATA / "syndication-dev" / "docs.jsonl.gz"], []),
    "german-news-human": ([DATA / "german-news-human"], []),
    "reuters": ([DATA / "reuters21578-en-news" / "reuters21578.jsonl.gz"], ["--text-field", "body"]),
}
NOT_COMPARED = {"timings.json"}


def export_tree(commit: str) -> Path:
    """The files of ``commit`` in a folder of their own (made once)."""
    target = WORK / f"tree-{commit}"
    if not (target / "dqkit").is_dir():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def clean(code: Path, inputs: list[Path], args: list[str], out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(code)}
    with tempfile.TemporaryDirectory() as cwd:
        command = [sys.executable, "-m", "dqkit", "clean", *map(str, inputs), "-o", str(out), "-q", *args]
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"dqkit clean failed ({code}):\n{done.stderr}")


def differences(base: Path, head: Path) -> list[str]:
    names = sorted({p.name for p in base.iterdir()} | {p.name for p in head.iterdir()})
    found = []
    for name in names:
        if name in NOT_COMPARED:
            continue
        a, b = base / name, head / name
        if not a.exists() or not b.exists():
            found.append(f"{name}: only in {'head' if b.exists() else 'base'}")
        elif a.read_bytes() != b.read_bytes():
            found.append(f"{name}: differs")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the commit to compare with")
    parser.add_argument("corpora", nargs="*", help=f"some of {', '.join(CORPORA)} [default: all]")
    args = parser.parse_args()
    unknown = set(args.corpora) - set(CORPORA)
    if unknown:
        parser.error(f"unknown corpus {', '.join(sorted(unknown))}; choose from {', '.join(CORPORA)}")
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", args.base], check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = export_tree(commit)
    failed = False
    for name in args.corpora or CORPORA:
        inputs, extra = CORPORA[name]
        if not all(p.exists() for p in inputs):
            print(f"{name}: skipped ({inputs[0]} is missing)")
            continue
        base_out = WORK / f"out-{commit}" / name
        if not (base_out / "report.json").exists():
            clean(tree, inputs, extra, base_out)
        head_out = WORK / f"out-head-{os.getpid()}" / name  # one per process: comparisons may run side by side
        clean(ROOT, inputs, extra, head_out)
        found = differences(base_out, head_out)
        if not found:
            shutil.rmtree(head_out)
        compared = len([p for p in base_out.iterdir() if p.name not in NOT_COMPARED])
        print(f"{name}: {'identical' if not found else 'DIFFERENT'} ({compared} files against {commit[:7]})")
        for line in found:
            print(f"  {line}")
        if found:
            print(f"  the working tree's outputs stay in {head_out}")
        failed = failed or bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
