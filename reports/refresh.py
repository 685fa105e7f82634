"""Refresh the committed report of the seeds after an intended change in behaviour.

    python reports/refresh.py

Runs ``dqkit clean seeds`` from the repository root, copies report.json, report.md and
report.html into reports/seeds/, and takes a full-page screenshot of report.html in
headless chromium (reports/seeds/report.png) so that a reader of the repository sees what
a reviewer sees. Needs the test extras and Debian's chromium (see .ci/run).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS_REPORT = REPO / "reports" / "seeds"

sys.path.insert(0, str(REPO / "tests"))
from browser import browser_missing, browser_session  # noqa: E402  (the tests' browser helper)


def main() -> None:
    missing = browser_missing()
    if missing:
        sys.exit(f"refresh: cannot take the screenshot: {missing}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "seeds-out"
        subprocess.run([sys.executable, "-m", "dqkit", "clean", "seeds", "-o", str(out), "-q"], cwd=REPO, check=True)
        for name in ("report.json", "report.md", "report.html"):
            shutil.copyfile(out / name, SEEDS_REPORT / name)
    with browser_session() as session:  # as the page opens: the examples of the rules with the most hits open
        session.screenshot(SEEDS_REPORT / "report.html", SEEDS_REPORT / "report.png", width=1280)
    print(f"refreshed {SEEDS_REPORT.relative_to(REPO)}: report.json, report.md, report.html, report.png")


if __name__ == "__main__":
    main()
