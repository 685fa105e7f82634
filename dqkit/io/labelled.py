"""Labelled documents for training and evaluating a model: one JSON object per line.

Each record has the text, a label (one of the ``labels`` given, e.g. ``mt`` / ``human``),
optionally a group (translations of one source document share it: they must never sit in
both the training and the validation folds) and fields to break figures down by (e.g.
``domain``). A record that breaks this is an :class:`InputError` naming the file and line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from dqkit.errors import InputError
from dqkit.io.atomic import json_kind
from dqkit.io.readers import open_input, read_error
from dqkit.io.sources import InputFile, classify


@dataclass(frozen=True)
class Labelled:
    texts: list[str]
    labels: list[str]
    groups: list[str | None]
    by: dict[str, list[str | None]]  # field -> its value per record (as a string; None where absent)


def _field(record: dict, name: str, where: str, required: bool) -> str | None:
    value = record.get(name)
    if value is None:
        if required:
            fields = ", ".join(sorted(record)) or "none"
            raise InputError(f"{where}: field {name!r} is missing; fields present: {fields}")
        return None
    if isinstance(value, (dict, list, bool)):
        raise InputError(f"{where}: field {name!r} is {json_kind(value)}, not a string or number")
    return str(value)


def read_labelled(
    path: Path,
    labels: tuple[str, ...],
    text_field: str = "text",
    label_field: str = "label",
    group_field: str | None = "group",
    by: tuple[str, ...] = (),
) -> Labelled:
    """The records of the JSONL file ``path`` (compressed or not), checked."""
    fmt, compression = classify(path)
    if fmt != "jsonl":
        raise InputError(f"{path}: labelled documents must be a JSONL file (.jsonl, optionally .gz/.zst/.bz2/.xz)")
    file = InputFile(path, path.name, fmt, compression)
    texts: list[str] = []
    found: list[str] = []
    groups: list[str | None] = []
    values: dict[str, list[str | None]] = {name: [] for name in by}
    try:
        with open_input(file) as handle:
            for number, raw in enumerate(handle, 1):
                if not raw.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    record = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise InputError(f"{where}: not a JSON record ({exc})") from None
                if not isinstance(record, dict):
                    raise InputError(f"{where}: a record must be a JSON object, this is {json_kind(record)}")
                text = record.get(text_field)
                if not isinstance(text, str):
                    raise InputError(f"{where}: text field {text_field!r} is missing or not a string")
                label = _field(record, label_field, where, required=True)
                if label not in labels:
                    raise InputError(f"{where}: label {label!r} is none of {', '.join(labels)}")
                texts.append(text)
                found.append(label)
                groups.append(_field(record, group_field, where, required=True) if group_field else None)
                for name in by:
                    values[name].append(_field(record, name, where, required=False))
    except InputError:
        raise
    except Exception as exc:  # a broken or truncated compressed file
        raise read_error(file, exc) from exc
    if not texts:
        raise InputError(f"{path}: no labelled records")
    return Labelled(texts, found, groups, values)
