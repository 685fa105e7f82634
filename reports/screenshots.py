"""Screenshots of report.html's review sections on real corpora, for reports/review/.

    python reports/screenshots.py

Cleans Reuters-21578 (``--text-field body --id-field newid``) and syndication-dev from
``../shared/data`` into a temporary folder and photographs sections of their report.html in
headless chromium: the duplicates (Reuters' largest cluster, with copies that joined it
through another copy), the examples with their context and a join repair (Reuters), the
charts (Reuters: the log-scale mt_score histogram and the language-mix warning) and the
documents with the highest mt_score (Reuters: artefact spans marked in their lines;
syndication-dev, German: the learned model's strongest n-grams).
The data is third-party: only these pictures of it are committed, never its report.html
or report.json. Needs the test extras, Debian's chromium (see .ci/run) and ../shared/data.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
TARGET = REPO / "reports" / "review"
REUTERS = (DATA / "reuters21578-en-news" / "reuters21578.jsonl.gz", ["--text-field", "body", "--id-field", "newid"])
SYNDICATION = (DATA / "syndication-dev" / "docs.jsonl.gz", [])
WIDTH = 1280

sys.path.insert(0, str(REPO / "tests"))
from browser import browser_missing, browser_session  # noqa: E402  (the tests' browser helper)

# Keeps the chosen <details> of a section open and hides the others, so that one picture
# shows what a reviewer opens; each of `keep`'s CSS selectors chooses its first match.
FOCUS = """([section, keep]) => {
  const root = document.querySelector(section);
  const chosen = new Set(keep.map((selector) => root.querySelector(selector)));
  for (const d of root.querySelectorAll("details")) {
    d.hidden = !chosen.has(d);
    d.open = chosen.has(d);
  }
}"""


def clean(source: Path, args: list[str], out: Path) -> Path:
    command = [sys.executable, "-m", "dqkit", "clean", str(source), "-o", str(out), "-q", *args]
    subprocess.run(command, cwd=REPO, check=True)
    return out / "report.html"


def photograph(session, html: Path, section: str, keep: list[str] | None, png: str) -> None:
    """``section`` of ``html`` with only the first <details> matching each of ``keep``
    shown, open (None: as the page opens)."""
    info = session.open(html, width=WIDTH)
    if info.errors or info.console_errors or info.other_requests:
        sys.exit(f"screenshots: {html} did not load cleanly: {info.errors + info.console_errors + info.other_requests}")
    if keep is not None:
        info.page.evaluate(FOCUS, [section, keep])
    info.page.locator(section).screenshot(path=str(TARGET / png))
    print(f"wrote {(TARGET / png).relative_to(REPO)}")


def main() -> None:
    missing = browser_missing() or next((f"{p} is missing" for p, _ in (REUTERS, SYNDICATION) if not p.exists()), None)
    if missing:
        sys.exit(f"screenshots: {missing}")
    TARGET.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        reuters = clean(*REUTERS, Path(tmp) / "reuters")
        syndication = clean(*SYNDICATION, Path(tmp) / "syndication")
        with browser_session() as session:
            photograph(session, reuters, "#dedup", ["#cluster-0"], "duplicates.png")
            examples = ["details[data-rule]", "details:has(tr[data-kind='join_repaired'])"]  # the most hits, a repair
            photograph(session, reuters, "#examples", examples, "context.png")
            photograph(session, reuters, "#charts", None, "charts.png")
            photograph(session, reuters, "#mt", ["#mt-doc-0"], "mt.png")  # spans of artefact signals
            photograph(session, syndication, "#mt", ["#mt-doc-0"], "mt-model.png")  # the learned model's n-grams


if __name__ == "__main__":
    main()
