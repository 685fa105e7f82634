"""The input's own columns, carried aside: every column but the text, id and language fields
rides in one struct column (:data:`dqkit.frames.CARRIED`) that no stage reads, and is
unpacked only when the outputs are written. Field names inside a struct cannot clash with
dqkit's columns, so an input column named ``_doc``, ``_origin`` or ``reason`` is data.

Values keep their type and value. A JSON field is stored with the one Arrow type that holds
every value of it exactly; where none does (numbers and strings mixed, ``1`` and ``1.5``,
objects with different keys, NaN and Infinity, integers beyond 64 bits, nesting deeper than
:data:`MAX_DEPTH`), the field is carried as the JSON text of each value instead, and the run
says so. The same holds across files and shards: a field stored with different types in two
of them is carried as JSON text everywhere.

Two kinds of input column are not carried under their own name:

* dqkit's own columns of clean.* (:data:`RECOMPUTED`: a cleaned corpus cleaned again) are
  dropped and computed afresh;
* a column named like another column dqkit writes (:data:`WRITTEN`) is renamed to
  ``input_<name>``; when that name is taken too, the file is refused.

>>> column, as_json = exact_column("x", [1, 2, None])
>>> column.dtype, as_json
(Int64, False)
>>> column, as_json = exact_column("x", [1, 1.5, "a", float("nan")])
>>> column.to_list(), as_json
(['1', '1.5', '"a"', 'NaN'], True)
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from dqkit.errors import InputError
from dqkit.frames import CARRIED, COUNT_COLUMNS, LANG_SCORE, REJECT_COLUMNS, SIGNAL_COLUMNS

#: dqkit's own columns of clean.*: recomputed, never read.
RECOMPUTED = (LANG_SCORE, *COUNT_COLUMNS, *SIGNAL_COLUMNS)
#: Columns dqkit writes itself: an input column of such a name is renamed.
WRITTEN = tuple(dict.fromkeys(("id", "text", "lang", *REJECT_COLUMNS)))
RENAMED_PREFIX = "input_"
MAX_DEPTH = 32  # nesting of a JSON value carried as an Arrow type; deeper ones as JSON text
INT64 = (-(1 << 63), (1 << 63) - 1)


def _storable(value: Any, depth: int = MAX_DEPTH) -> bool:
    """Whether a nested JSON value can be an Arrow value as it is: nested at most ``depth``
    deep, and no NaN or Infinity inside (JSON output would write them as null).

    >>> _storable([1.5, {"a": [2]}]), _storable({"a": [float("nan")]}), _storable([[[]]], depth=2)
    (True, False, False)
    """
    if isinstance(value, float):
        return math.isfinite(value)
    if not isinstance(value, (list, dict)):
        return True
    if depth <= 0:
        return False
    children = value.values() if isinstance(value, dict) else value
    return all(_storable(child, depth - 1) for child in children)


def _jsonable(value: Any) -> Any:
    """Arrow values that JSON has no type for, as JSON text holds them."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, datetime.timedelta)):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_text(value: Any) -> str | None:
    """One value as JSON text (null stays null).

    >>> json_text({"a": [1, 2.0]}), json_text(None), json_text(float("inf"))
    ('{"a": [1, 2.0]}', None, 'Infinity')
    """
    return None if value is None else json.dumps(value, ensure_ascii=False, default=_jsonable)


def _as_json_column(name: str, values: list) -> pl.Series:
    return pl.Series(name, [json_text(v) for v in values], dtype=pl.String)


def exact_column(name: str, values: list) -> tuple[pl.Series, bool]:
    """The values of one JSON field as a column that holds each of them exactly, or as
    their JSON text (the second item says which)."""
    kinds = set(map(type, values)) - {type(None)}
    if not kinds:
        return pl.Series(name, values, dtype=pl.Null), False
    if kinds == {str} or kinds == {bool}:
        return pl.Series(name, values), False
    if kinds == {int} and all(INT64[0] <= v <= INT64[1] for v in values if v is not None):
        return pl.Series(name, values, dtype=pl.Int64), False
    if kinds == {float} and all(math.isfinite(v) for v in values if v is not None):
        return pl.Series(name, values, dtype=pl.Float64), False
    if kinds == {list} and _string_lists(values):
        return _string_list_column(name, values), False
    if kinds <= {list, dict} and all(_storable(v) for v in values):
        try:
            column = pl.Series(name, values, strict=True)
        except Exception:  # polars has no single error for "no type holds these"
            return _as_json_column(name, values), True
        # Exact only if every value comes back as it was (key order, int or float, NaN), and
        # storable: Parquet has no struct without fields (``{}``).
        exact = [json_text(v) for v in column.to_list()] == [json_text(v) for v in values]
        if exact and not _has_dtype(column.dtype, _empty_struct):
            return column, False
    return _as_json_column(name, values), True


def _string_lists(values: list) -> bool:
    """Whether ``values`` (lists and nulls) hold strings only, and at least one: then
    List(String) holds them exactly, as the general case would find (an empty list alone
    would be List(Null) there).

    >>> _string_lists([["a"], [], None]), _string_lists([[], None]), _string_lists([["a", 1]])
    (True, False, False)
    """
    found = False
    for value in values:
        if value:
            if not all(type(item) is str for item in value):
                return False
            found = True
    return found


def _string_list_column(name: str, values: list) -> pl.Series:
    """A List(String) column of ``values`` (lists of strings, and nulls), built from the
    strings in one flat column: ``pl.Series`` makes a Series of each list, ten times slower.

    >>> _string_list_column("x", [["a", "b"], [], None, ["c"]]).to_list()
    [['a', 'b'], [], None, ['c']]
    """
    rows = pl.Series("row", [row for row, value in enumerate(values) if value for _ in value], dtype=pl.Int64)
    flat = pl.Series(name, [item for value in values if value for item in value], dtype=pl.String)
    lists = pl.DataFrame([rows, flat]).group_by("row", maintain_order=True).agg(pl.col(name))
    every_row = pl.DataFrame({"row": range(len(values)), "null": [value is None for value in values]})
    empty = pl.lit([], dtype=pl.List(pl.String))
    return (
        every_row.join(lists, on="row", how="left", maintain_order="left")
        .select(pl.when(pl.col("null")).then(None).otherwise(pl.col(name).fill_null(empty)).alias(name))
        .to_series()
    )


@dataclass
class CarriedNames:
    """How one file's input columns are carried: the names kept, renamed and dropped."""

    renamed: dict[str, str] = field(default_factory=dict)
    recomputed: list[str] = field(default_factory=list)


def carried_names(columns: Iterable[str], consumed: Iterable[str], where: str) -> tuple[dict[str, str], CarriedNames]:
    """``{input name: carried name}`` for the columns besides ``consumed`` (the fields dqkit
    reads as text, id and language), and what was renamed or dropped; raise
    :class:`InputError` naming ``where`` when a renamed column would take a name in use."""
    taken = set(consumed)
    columns = [c for c in columns if c not in taken]
    names = CarriedNames()
    mapping: dict[str, str] = {}
    for column in columns:
        if column in RECOMPUTED:
            names.recomputed.append(column)
        elif column in WRITTEN:
            renamed = RENAMED_PREFIX + column
            if renamed in columns or renamed in WRITTEN:
                raise InputError(
                    f"{where}: the input has columns {column!r} and {renamed!r}; dqkit writes its own "
                    f"{column!r} and would carry yours as {renamed!r}: rename one of them"
                )
            mapping[column] = names.renamed[column] = renamed
        else:
            mapping[column] = column
    return mapping, names


def pack(columns: list[pl.Series]) -> pl.Series | None:
    """The carried struct column of ``columns`` (None when there are none)."""
    if not columns:
        return None
    return frame_of(columns).select(pl.struct(pl.all()).alias(CARRIED)).to_series()


def describe(carried: pl.Series | None, as_json: Iterable[str]) -> dict[str, dict]:
    """What a shard tells the driver of its carried columns: ``{name: {dtype, json}}``."""
    if carried is None:
        return {}
    encoded = set(as_json)
    return {f.name: {"dtype": str(f.dtype), "json": f.name in encoded} for f in carried.dtype.fields}  # type: ignore[attr-defined]


def _has_dtype(dtype: pl.DataType, test: Callable[[pl.DataType], bool]) -> bool:
    """Whether ``dtype`` or a type nested in it passes ``test``."""
    if test(dtype):
        return True
    inner = getattr(dtype, "inner", None)
    if inner is not None:
        return _has_dtype(inner, test)
    return any(_has_dtype(f.dtype, test) for f in getattr(dtype, "fields", []))


def _empty_struct(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.Struct) and not dtype.fields


def _binary(dtype: pl.DataType) -> bool:
    return dtype == pl.Binary or dtype == pl.Object


@dataclass(frozen=True)
class CarriedPlan:
    """The carried columns of a whole run, in order, and those carried as JSON text."""

    names: tuple[str, ...] = ()
    as_json: frozenset[str] = frozenset()


def plan_carried(shards: Sequence[Mapping[str, dict]]) -> CarriedPlan:
    """One decision for all shards: a column is JSON text everywhere when any shard made it
    so, or when shards hold it with different types."""
    dtypes: dict[str, set[str]] = {}
    as_json: set[str] = set()
    for shard in shards:
        for name, about in shard.items():
            dtypes.setdefault(name, set())
            if about["dtype"] != "Null":
                dtypes[name].add(about["dtype"])
            if about["json"]:
                as_json.add(name)
    as_json |= {name for name, kinds in dtypes.items() if len(kinds) > 1}
    return CarriedPlan(tuple(dtypes), frozenset(as_json))


def carried_frame(
    carried: pl.Series | None, height: int, plan: CarriedPlan, own: Mapping[str, dict], jsonl_output: bool = False
) -> pl.DataFrame:
    """The carried struct unpacked into the run's carried columns: missing ones null,
    columns the plan carries as JSON text converted where this part did not, and binary
    ones too for JSONL output (it has no bytes)."""
    columns: dict[str, pl.Series] = {}
    if carried is not None:
        for series in carried.struct.unnest().iter_columns():
            name = series.name
            no_json_form = jsonl_output and _has_dtype(series.dtype, _binary)
            convert = (name in plan.as_json and not own[name]["json"]) or no_json_form
            columns[name] = _as_json_column(name, series.to_list()) if convert else series
    return frame_of([columns.get(name, pl.Series(name, [None] * height, dtype=pl.Null)) for name in plan.names])


def frame_of(columns: list[pl.Series]) -> pl.DataFrame:
    """A frame of ``columns`` under their own names (``pl.DataFrame(columns)`` would call a
    column named "" ``column_0``)."""
    return pl.select(*(pl.lit(c).alias(c.name) for c in columns))


def concat_diagonal(frames: list[pl.LazyFrame]) -> pl.LazyFrame:
    """``pl.concat(frames, how="diagonal_relaxed")`` for frames whose columns may have any
    name: polars reads some names (``*``, ``^...$``) as patterns while it aligns the frames,
    so they are aligned under stand-in names and given their own names back."""
    names = list(dict.fromkeys(name for frame in frames for name in frame.collect_schema().names()))
    stand_in = {name: f"c{k}" for k, name in enumerate(names)}
    aligned = pl.concat(
        [frame.rename({name: stand_in[name] for name in frame.collect_schema().names()}) for frame in frames],
        how="diagonal_relaxed",
    )
    return aligned.rename({stand_in[name]: name for name in names})


def carried_values(carried: pl.Series, name: str) -> pl.Series | None:
    """The values of the carried column ``name`` as text (JSON text for lists and objects),
    or None when ``carried`` has no such column.

    >>> carried = pack([pl.Series("site", ["a.com", None]), pl.Series("n", [1, 2])])
    >>> carried_values(carried, "site").to_list(), carried_values(carried, "n").to_list()
    (['a.com', None], ['1', '2'])
    """
    if name not in [f.name for f in carried.dtype.fields]:  # type: ignore[attr-defined]
        return None
    values = carried.struct.field(name)
    if values.dtype == pl.String:
        return values
    if values.dtype.is_nested():
        return pl.Series(name, [json_text(v) if v is not None else None for v in values.to_list()], dtype=pl.String)
    return values.cast(pl.String, strict=False)  # bytes that are not UTF-8: no source named
