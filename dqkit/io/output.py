"""The output folder: checked before the run, written in a staging folder, swapped in at the end.

All files of a run are written into a hidden staging folder next to OUT
(``.OUT.partial-<pid>``). Only when every file is complete is the staging folder
renamed to OUT, so OUT never holds a half-written result: an interrupted run leaves at
most the hidden staging folder, and OUT as it was before.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from dqkit.errors import OptionsError


def check_output_dir(out: Path, inputs: list[Path], overwrite: bool) -> None:
    """Refuse an OUT that is, or is inside, an input (or holds one), and a non-empty
    OUT without ``overwrite``."""
    target = out.resolve()
    for source in inputs:
        source = source.resolve()
        if target == source or (source.is_dir() and target.is_relative_to(source)):
            raise OptionsError(f"the output folder {out} is inside the input {source}: choose another -o")
        if source.is_relative_to(target):
            raise OptionsError(f"the input {source} is inside the output folder {out}: choose another -o")
    if target.exists() and not target.is_dir():
        raise OptionsError(f"the output path {out} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise OptionsError(f"the output folder {out} is not empty: use --overwrite to replace it")


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
