"""The output folder: checked before the run, written in a staging folder, swapped in at the end.

All files of a run are written into a hidden staging folder next to OUT
(``.OUT.partial-<pid>``). Only when every file is complete is the staging folder
renamed to OUT, so OUT never holds a half-written result: an interrupted run leaves at
most the hidden staging folder, and OUT as it was before. The next run on OUT removes
what a killed run left there (:func:`sweep_leftovers`).

A run holds ``.OUT.lock`` next to OUT (:func:`output_lock`) from before it touches the
work folder ``.OUT.work`` to its end, so two runs never share one work folder. Because
OUT is replaced by a rename, OUT must be a real folder (not a symbolic link, not a mount
point, not the current folder or one holding it) whose parent can hold those siblings:
:func:`check_output_dir` refuses anything else before any work.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from dqkit.errors import OptionsError
from dqkit.io.lock import FileLock


def work_folder(out: Path) -> Path:
    """The hidden work folder of a run into ``out`` (shard results, kept for --resume)."""
    return out.parent / f".{out.name}.work"


def output_lock(out: Path) -> FileLock:
    """``.OUT.lock``: a second run into the same OUT is refused at once (exit 2)."""
    return FileLock(
        out.parent / f".{out.name}.lock",
        lambda holder: OptionsError(f"the output folder {out} is in use by process {holder}: wait for it to finish"),
    )


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_replaceable(out: Path) -> None:
    """OUT is replaced by renaming a folder into its place: refuse an OUT where that cannot
    work, before any work (``out`` is absolute and normalised)."""
    if out == out.parent:
        raise OptionsError(f"the output folder {out} has no parent folder to stage it in: choose another -o")
    if out.is_symlink():
        raise OptionsError(
            f"the output folder {out} is a symbolic link (to {os.readlink(out)}): dqkit replaces OUT by a "
            "rename, which would replace the link; give the real folder as -o"
        )
    cwd = Path.cwd().resolve()
    if cwd.is_relative_to(out.resolve()):
        raise OptionsError(
            f"the output folder {out} is the current folder or holds it: dqkit replaces OUT as a whole "
            "(and stages it next to OUT); choose a new folder, e.g. -o out"
        )
    if out.is_dir() and os.path.ismount(out):
        raise OptionsError(f"the output folder {out} is a mount point and cannot be replaced: choose a folder in it")
    parent = _existing_ancestor(out.parent)
    if not parent.is_dir():
        raise OptionsError(f"cannot make the output folder {out}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OptionsError(
            f"cannot write next to the output folder {out}: {parent} is not writable "
            f"(dqkit stages OUT, its work folder and its lock there)"
        )


def check_output_dir(out: Path, inputs: list[Path]) -> None:
    """Refuse an OUT that cannot be replaced by a rename (:func:`_check_replaceable`) and an
    OUT that is, or is inside, an input (or holds one)."""
    _check_replaceable(out)
    target = out.resolve()
    for source in inputs:
        source = source.resolve()
        if target == source or (source.is_dir() and target.is_relative_to(source)):
            raise OptionsError(f"the output folder {out} is inside the input {source}: choose another -o")
        if source.is_relative_to(target):
            raise OptionsError(f"the input {source} is inside the output folder {out}: choose another -o")
    if target.exists() and not target.is_dir():
        raise OptionsError(f"the output path {out} exists and is not a folder")


def check_output_empty(out: Path, overwrite: bool) -> None:
    """Refuse a non-empty OUT without ``overwrite`` (checked under the lock, after
    :func:`sweep_leftovers` may have put an old OUT back)."""
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OptionsError(f"the output folder {out} is not empty: use --overwrite to replace it")


def sweep_leftovers(out: Path) -> None:
    """Remove what a killed run into ``out`` left next to it: staging folders, and an old OUT
    that a swap had moved aside (put back when the swap did not finish). Only under the
    lock of ``out``, so that no other run is writing them."""
    for staging in out.parent.glob(f".{out.name}.partial-*"):
        shutil.rmtree(staging, ignore_errors=True)
    for old in sorted(out.parent.glob(f".{out.name}.old-*")):
        if out.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.rename(out)


class StagedOutput:
    """Write files into a staging folder; :meth:`commit` swaps it in as ``out``."""

    def __init__(self, out: Path):
        self.out = out
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.staging = out.parent / f".{out.name}.partial-{os.getpid()}"
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir(mode=0o755)

    def path(self, name: str) -> Path:
        return self.staging / name

    def write_text(self, name: str, text: str) -> None:
        self.path(name).write_text(text, encoding="utf-8")

    def write_json(self, name: str, data) -> None:
        self.write_text(name, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n")

    def commit(self) -> None:
        for entry in self.staging.iterdir():  # durable before the swap
            with open(entry, "rb") as handle:
                os.fsync(handle.fileno())
        old = None
        if self.out.exists():
            old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
            self.out.rename(old)
        self.staging.rename(self.out)
        if old is not None:
            shutil.rmtree(old)

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
