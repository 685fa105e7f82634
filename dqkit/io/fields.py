"""The text (or ``--html-field``) and id fields checked on the first record of each input,
before a run plans its shards: a misspelt ``--text-field`` or ``--id-field`` stops the run at
once, naming the file, the line and the fields the record has, instead of after the plan
(or, for an id field, never: a missing one makes ids of file and line).

With ``--on-error stop`` a first record without the text field is an error (the run would
stop there anyway), and so is one without an id field the command line named; with
``--on-error skip`` both are warnings (such records become rejects, as they would). A file
whose records carry no ``id`` (the default field) gets a warning that its ids are made from
file and line, and that ``--id-field`` names another field.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from dqkit.errors import InputError
from dqkit.io.readers import (
    ReadOptions,
    missing_text_column,
    open_input,
    parse_record,
    read_errors,
    text_field_problem,
)
from dqkit.io.sources import InputFile

DEFAULT_ID_FIELD = "id"
FIRST_LINES = 1000  # blank lines looked past for the first record


def check_fields(files: list[InputFile], opts: ReadOptions, warn: Callable[[str], None]) -> None:
    """Check the first record of each JSONL and Parquet file of ``files`` for ``opts``'
    text and id fields (see the module); raise :class:`InputError`, or ``warn``."""
    numbered: list[str] = []
    kind, text_field = ("html", opts.html_field) if opts.html_field else ("text", opts.text_field)
    for file in files:
        if file.format == "jsonl":
            found = _first_record(file, opts)
            if found is None:
                continue  # no record, or not one a field can be looked up in: the reader says so
            where, record = found
            fields = sorted(record)
            text_problem = text_field_problem(record, text_field, kind)
        elif file.format == "parquet":
            where, fields = str(file.path), _columns(file)
            if text_field not in fields:
                raise missing_text_column(file.path, text_field, fields, kind)
            text_problem = None
        else:
            continue
        if text_problem is not None:
            _refuse(opts, f"{where}: {text_problem}", "to reject such records and go on", warn)
        if opts.id_field not in fields:
            if opts.id_field == DEFAULT_ID_FIELD:
                numbered.append(str(file.path))
            else:
                listed = ", ".join(fields) or "(none)"
                _refuse(
                    opts,
                    f"{where}: id field {opts.id_field!r} is missing; fields present: {listed} (choose one with "
                    "--id-field, or leave it out to number the records by file and line)",
                    "to number such records by file and line and go on",
                    warn,
                )
    if numbered:
        more = f" and {len(numbered) - 1} more file(s)" if len(numbered) > 1 else ""
        warn(
            f"no {DEFAULT_ID_FIELD!r} field in the first record of {numbered[0]}{more}: ids are made from file "
            "and line; name the id field with --id-field"
        )


def _refuse(opts: ReadOptions, message: str, skip_does: str, warn: Callable[[str], None]) -> None:
    if opts.on_error == "stop":
        raise InputError(f"{message} (use --on-error skip {skip_does})")
    warn(message)


def _first_record(file: InputFile, opts: ReadOptions) -> tuple[str, dict] | None:
    """``file:line`` and the record of the first non-blank line of a JSONL file (None: there
    is none among the first lines, or it is not a readable JSON object)."""
    with read_errors(file), open_input(file, opts.max_expansion) as handle:
        for number, raw in enumerate(handle, 1):
            if number > FIRST_LINES or len(raw) > opts.max_record_bytes:
                return None
            if not raw.strip():
                continue
            record, problem = parse_record(raw)
            return (f"{file.path}:{number}", record) if problem is None and isinstance(record, dict) else None
    return None


def _columns(file: InputFile) -> list[str]:
    try:
        return list(pl.read_parquet_schema(file.path))
    except Exception as exc:  # polars raises several error types for a broken file
        raise InputError(f"{file.path}: not a readable Parquet file ({exc})") from exc
