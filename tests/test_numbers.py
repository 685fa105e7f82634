"""Finite numbers everywhere: options refuse NaN and infinities, report.json is strict
JSON, and the nothing-lost gate recomputes in = kept + rejected instead of trusting a flag."""

from __future__ import annotations

import json

import pytest

from conftest import SEEDS


@pytest.mark.parametrize("option, value", [("--threshold", "nan"), ("--max-removed", "NaN"),
                                           ("--drop-mt-above", "nan"), ("--max-expansion", "inf")])
def test_a_float_option_that_is_not_finite_is_refused(tmp_path, dqkit, option, value):
    result = dqkit("clean", SEEDS, "-o", tmp_path / "out", option, value)
    assert result.code == 2
    assert "is not a finite number" in result.err and option in result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / "out").exists()


@pytest.fixture
def seeds_report(tmp_path, dqkit, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert dqkit("clean", SEEDS, "-o", tmp_path / "out", "-q", "--no-langid").code == 0
    return tmp_path / "out" / "report.json"


def test_report_json_is_strict_json(seeds_report):
    def refuse(name):
        raise AssertionError(f"{name} in report.json")

    json.loads(seeds_report.read_text(), parse_constant=refuse)
    from dqkit.io.output import StagedOutput

    staged = StagedOutput(seeds_report.parent.parent / "staged")
    with pytest.raises(ValueError, match="not JSON compliant"):
        staged.write_json("report.json", {"documents": {"in": float("nan")}})  # never written, not even once
    staged.abort()


def test_check_refuses_a_report_that_holds_nan(seeds_report, dqkit):
    text = seeds_report.read_text().replace('"in": 5', '"in": NaN', 1)
    assert '"in": NaN' in text
    seeds_report.write_text(text)
    result = dqkit("check", seeds_report)
    assert result.code == 2 and "not strict JSON: NaN" in result.err


def test_nothing_lost_recomputes_the_balance(seeds_report, dqkit):
    report = json.loads(seeds_report.read_text())
    assert dqkit("check", seeds_report).code == 0
    report["documents"]["kept"] -= 1  # one document gone, the stored flag still says balanced
    assert report["documents"]["balanced"] is True
    seeds_report.write_text(json.dumps(report))
    result = dqkit("check", seeds_report)
    assert result.code == 1 and "nothing-lost" in result.out
