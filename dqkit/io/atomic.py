"""Files that appear whole or not at all.

Every file dqkit writes outside a staging folder (a shard's ``done.json``, the run's
``plan.json``, the dedup index, a JUnit file) goes through :func:`atomic_path`: it is
written under a temporary name in the same folder, flushed to disk, and renamed over the
target, so a reader never sees half a file and a crash leaves the old file in place.
:func:`read_json` reads such a JSON file back, strictly, with one clear error.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> write_atomic(folder / "a.txt", "whole")
>>> (folder / "a.txt").read_text(), sorted(p.name for p in folder.iterdir())
('whole', ['a.txt'])
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for the caller to write; on leaving the block it is
    fsynced and renamed over ``path``, or removed if the block raised."""
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        yield partial
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_atomic(path: Path, content: str | bytes) -> None:
    """``content`` (text as UTF-8) into ``path``, atomically."""
    with atomic_path(path) as partial:
        partial.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def write_json_atomic(path: Path, data: Any, indent: int = 1) -> None:
    """``data`` as JSON with sorted keys into ``path``, atomically."""
    write_atomic(path, json.dumps(data, indent=indent, sort_keys=True, allow_nan=False))


_OS_ERROR = re.compile(r"\(os error (\d+)\)")


@contextlib.contextmanager
def disk_errors(where: Path) -> Iterator[None]:
    """polars reports a failed write (a full disk) as its own error type with the OS error
    in the text: raise it as the :class:`OSError` it is, naming ``where``, so that it is told
    like any other failed write (one line, no traceback).

    >>> with disk_errors(Path("out")):
    ...     raise pl.exceptions.ComputeError("parquet: underlying IO error: No space left on device (os error 28)")
    Traceback (most recent call last):
    ...
    OSError: [Errno 28] No space left on device: 'out'
    """
    try:
        yield
    except pl.exceptions.PolarsError as exc:
        found = _OS_ERROR.search(str(exc))
        if found is None:
            raise
        number = int(found.group(1))
        raise OSError(number, os.strerror(number), str(where)) from exc


def read_json(path: Path, error: type[Exception]) -> Any:
    """The JSON in ``path`` as dqkit writes it: UTF-8, strict (no NaN or infinities). A file
    that cannot be read, is empty, not UTF-8, not strict JSON or nested too deeply raises
    ``error`` with one line naming the file (and the line of a syntax error).

    >>> import tempfile
    >>> bad = Path(tempfile.mkdtemp()) / "bad.json"
    >>> _ = bad.write_text('{"in": NaN}')
    >>> read_json(bad, ValueError)
    Traceback (most recent call last):
    ValueError: .../bad.json: not strict JSON: NaN is not a number
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise error(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if not text.strip():
        raise error(f"{path}: an empty file, not JSON")
    try:
        return json.loads(text, parse_constant=_not_a_number)
    except json.JSONDecodeError as exc:
        raise error(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise error(f"{path}: JSON nested too deeply to read") from None
    except ValueError as exc:  # NaN or Infinity, an integer of more than 4300 digits
        raise error(f"{path}: {exc}") from None


def json_kind(value) -> str:
    """What a JSON value is, in words, for a message (int and float are both a number).

    >>> json_kind([1]), json_kind("1"), json_kind(True), json_kind(None), json_kind(1.5)
    ('a list', 'a string', 'true', 'null', 'a number')
    """
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    for types, name in (((int, float), "a number"), (str, "a string"), (list, "a list"), (dict, "an object")):
        if isinstance(value, types):
            return name
    return type(value).__name__


def _not_a_number(name: str) -> float:
    raise ValueError(f"not strict JSON: {name} is not a number")
