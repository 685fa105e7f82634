"""Fuzzing ``dqkit clean`` with generated inputs: arbitrary field names (every column name dqkit
writes or uses inside a shard among them), arbitrary JSON values and Arrow types, broken
lines. What must hold whatever the input:

* the run exits 0, or 1 with one line and no traceback;
* every input record is in clean.* or rejects.*, once;
* a reject holds the record's text as read;
* every carried column comes back with its type and value (or, where the run says it carried
  a column as JSON text, with the JSON text of its value).

The default run is bounded for CI and the same every time (derandomised);
``DQKIT_FUZZ_EXAMPLES=2000`` runs a longer one with fresh random examples.
"""

from __future__ import annotations

import datetime
import json
import math
import os
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_columns import BODY, DQKIT_NAMES, OTHER
from dqkit.io.columns import RECOMPUTED, WRITTEN

EXAMPLES = int(os.environ.get("DQKIT_FUZZ_EXAMPLES", "20"))  # about a second each
LONG_RUN = "DQKIT_FUZZ_EXAMPLES" in os.environ  # explores anew; the default run is the same every time


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=not LONG_RUN,  # a CI gate must not fail at random on a change that is not to blame
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


NAMES = st.sampled_from([n for n in DQKIT_NAMES if n not in ("lang",)]) | st.text(max_size=6)
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(1 << 80), max_value=1 << 80)
    | st.integers(min_value=-5, max_value=5)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
VALUES = st.recursive(
    LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
TEXTS = st.sampled_from([BODY, BODY + " And more.", OTHER, "", "   ", "Jetzt im Shop!\n" + BODY,
                         f"{BODY}\nFolgen Sie uns auf Facebook und Instagram"]) | st.text(max_size=80)
BROKEN = st.sampled_from(['{"id": "x", "text": oops}', "[1, 2]", '"just a string"', '{"id": "y"}', "{" * 3000,
                          '{"id": true, "text": "t"}', '{"id": [1], "text": "t"}'])


def _same(a: Any, b: Any) -> bool:
    """Equal in value and in JSON type (``1`` is not ``1.0``, NaN equals NaN)."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a == b


def _carried_name(name: str) -> str | None:
    if name in RECOMPUTED:
        return None
    return "input_" + name if name in WRITTEN else name


def _check_failure(run) -> None:
    assert run.code == 1, (run.code, run.err[-2000:])
    lines = [line for line in run.err.splitlines() if not line.startswith("dqkit: warning:")]
    assert len(lines) == 1 and lines[0].startswith("dqkit: error:") and "Traceback" not in run.err, run.err


def _outputs(out) -> tuple[list[dict], list[dict], dict]:
    rows = {}
    for name in ("clean", "rejects"):
        text = (out / f"{name}.jsonl").read_text(encoding="utf-8")
        # split on "\n" only: str.splitlines also splits inside strings at U+0085, U+2028, ...
        rows[name] = [json.loads(line) for line in text.split("\n") if line]
    return rows["clean"], rows["rejects"], json.loads((out / "report.json").read_text())


@_settings(EXAMPLES)
@given(
    records=st.lists(
        st.tuples(TEXTS, st.dictionaries(NAMES, VALUES, max_size=4), st.booleans()), min_size=1, max_size=6
    ),
    broken=st.lists(st.tuples(st.integers(0, 6), BROKEN), max_size=2),
    shard_docs=st.sampled_from(["2", "10000", "10000"]),  # small shards cost a rule set-up each
)
def test_fuzzed_jsonl_keeps_every_promise(tmp_path_factory, dqkit, records, broken, shard_docs):
    root = tmp_path_factory.mktemp("fuzz")
    lines: list[str] = []
    expected: dict[str, tuple[str, dict] | None] = {}
    for n, (text, extra, int_id) in enumerate(records):
        doc_id: str | int = n if int_id else f"d{n}"
        record = {"id": doc_id, "text": text, **{k: v for k, v in extra.items() if k not in ("id", "text")}}
        lines.append(json.dumps(record, ensure_ascii=False))
        expected[str(doc_id)] = (text, record)
    for position, line in broken:
        lines.insert(min(position, len(lines)), line)
    path = root / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    broken_ids = {f"in.jsonl:{k + 1}" for k, line in enumerate(lines) if line in {b for _, b in broken}}
    run = dqkit("clean", path, "-o", root / "out", "-q", "--no-langid", "--on-error", "skip",
                "--shard-docs", shard_docs)
    if run.code != 0:
        _check_failure(run)
        return
    clean, rejects, report = _outputs(root / "out")
    seen = [row["id"] for row in clean + rejects]
    assert sorted(seen) == sorted([*expected, *broken_ids]), (seen, expected, broken_ids)
    assert report["documents"]["balanced"]
    as_json = set(report["inputs"].get("columns", {}).get("as_json_text", []))
    for row in clean + rejects:
        if row["id"] in broken_ids:
            assert row["reason"] in ("malformed_record", "missing_text", "missing_id")
            continue
        text, record = expected[row["id"]]
        if row in rejects:
            assert row["text"] == text  # the text as read
        for name, value in record.items():
            carried = _carried_name(name) if name not in ("id", "text") else None
            if carried is None:
                continue
            got = row[carried]
            if carried in as_json:
                assert (got is None) if value is None else _same(json.loads(got), value), (name, value, got)
            else:
                assert _same(got, value), (name, value, got)


ARROW_COLUMNS = {
    "int8": st.lists(st.none() | st.integers(-128, 127), min_size=3, max_size=3).map(
        lambda v: pl.Series(v, dtype=pl.Int8)),
    "uint64": st.lists(st.integers(0, (1 << 64) - 1), min_size=3, max_size=3).map(
        lambda v: pl.Series(v, dtype=pl.UInt64)),
    "float": st.lists(st.none() | st.floats(allow_nan=True, allow_infinity=True), min_size=3, max_size=3).map(
        lambda v: pl.Series(v, dtype=pl.Float64)),
    "text": st.lists(st.none() | st.text(max_size=6), min_size=3, max_size=3).map(
        lambda v: pl.Series(v, dtype=pl.String)),
    "binary": st.lists(st.none() | st.binary(max_size=6), min_size=3, max_size=3).map(
        lambda v: pl.Series(v, dtype=pl.Binary)),
    "date": st.lists(st.none() | st.dates(), min_size=3, max_size=3).map(lambda v: pl.Series(v, dtype=pl.Date)),
    "list": st.lists(st.none() | st.lists(st.integers(-9, 9), max_size=3), min_size=3, max_size=3).map(
        lambda v: pl.Series(v, dtype=pl.List(pl.Int64))),
    "struct": st.lists(st.fixed_dictionaries({"a": st.none() | st.integers(-9, 9), "b": st.text(max_size=3)}),
                       min_size=3, max_size=3).map(lambda v: pl.Series(v)),
}


@_settings(max(EXAMPLES // 2, 1))
@given(
    columns=st.dictionaries(NAMES.filter(lambda n: n not in ("id", "text")), st.sampled_from(sorted(ARROW_COLUMNS)),
                            max_size=4),
    data=st.data(),
    texts=st.lists(TEXTS, min_size=3, max_size=3),
)
def test_fuzzed_parquet_keeps_every_promise(tmp_path_factory, dqkit, columns, data, texts):
    root = tmp_path_factory.mktemp("fuzzpq")
    frame = pl.DataFrame({"id": ["a", "b", "c"], "text": texts})
    frame = frame.hstack([data.draw(ARROW_COLUMNS[kind]).alias(name) for name, kind in columns.items()])
    frame.write_parquet(root / "in.parquet")
    run = dqkit("clean", root / "in.parquet", "-o", root / "out", "-q", "--no-langid")
    if run.code != 0:
        _check_failure(run)
        return
    clean = pl.read_parquet(root / "out" / "clean.parquet")
    rejects = pl.read_parquet(root / "out" / "rejects.parquet")
    both = pl.concat([clean.select("id", "text"), rejects.select("id", "text")])
    assert sorted(both["id"]) == ["a", "b", "c"]
    for reject in rejects.iter_rows(named=True):
        assert reject["text"] == texts["abc".index(reject["id"])]
    for name in columns:
        carried = _carried_name(name)
        if carried is None:
            continue
        for output in (clean, rejects):
            # by position, not pl.col: a column may be called "*" or "^.*$"
            given = dict(zip(frame["id"], frame.get_column(name).to_list(), strict=True))
            assert output.get_column(carried).dtype == frame.get_column(name).dtype, name
            for doc_id, got in zip(output["id"], output.get_column(carried).to_list(), strict=True):
                assert _same(got, given[doc_id]) or got == given[doc_id], (name, got, given[doc_id])


def test_dates_survive_json_text_too():
    """The JSON text of an Arrow value JSON has no type for is its ISO form (a regression guard
    for the fallback used when shards disagree on a column's type)."""
    from dqkit.io.columns import json_text

    assert json_text([datetime.date(2024, 1, 2), b"\x00"]) == '["2024-01-02", "AA=="]'
