"""The committed report of `dqkit clean seeds` is what dqkit produces today.

Any change in behaviour on the seeds shows up as a diff of reports/seeds/report.json that
someone commits on purpose. To refresh it after an intended change:

    python reports/refresh.py      # report.json, .md, .html and the screenshot report.png
"""

from __future__ import annotations

import json

from conftest import REPO


def test_seed_report_matches_the_committed_one(tmp_path, dqkit, monkeypatch):
    monkeypatch.chdir(REPO)
    assert dqkit("clean", "seeds", "-o", tmp_path / "out", "-q").code == 0
    committed = json.loads((REPO / "reports" / "seeds" / "report.json").read_text(encoding="utf-8"))
    produced = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert produced == committed, "behaviour on seeds/ changed: refresh reports/seeds (see this file's docstring)"
    for name in ("report.md", "report.html"):
        assert (tmp_path / "out" / name).read_text() == (REPO / "reports" / "seeds" / name).read_text(), name
