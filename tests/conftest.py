"""Shared helpers: run the real ``dqkit`` entry point in-process and read its outputs."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from dqkit.cli import main

# Every stage boundary of every run in the tests is checked against dqkit.frames (workers inherit it).
os.environ["DQKIT_CHECK_FRAMES"] = "1"
# Built word lists go to a cache of the test session's own, not the user's (workers inherit it).
os.environ["DQKIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="dqkit-test-cache-")
atexit.register(shutil.rmtree, os.environ["DQKIT_CACHE_DIR"], True)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))  # reference implementations shared with the benchmarks
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def dqkit(capsys, monkeypatch):
    """Call ``dqkit ARGS...`` as the console script does; return exit code and output."""

    def run(*args) -> Run:
        monkeypatch.setattr(sys, "argv", ["dqkit", *map(str, args)])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def read_outputs(out: Path) -> dict:
    """The frames and report of an output folder (clean/rejects in whichever format)."""
    result = {"report": json.loads((out / "report.json").read_text()),
              "edits": pl.read_parquet(out / "edits.parquet")}
    for name in ("clean", "rejects"):
        if (out / f"{name}.parquet").exists():
            result[name] = pl.read_parquet(out / f"{name}.parquet")
        else:
            path = out / f"{name}.jsonl"
            result[name] = pl.read_ndjson(path, infer_schema_length=None) if path.stat().st_size else pl.DataFrame()
    return result


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                            for r in records), encoding="utf-8")
    return path


# Six short German news paragraphs, distinct enough that dedup keeps each apart.
BODIES = [
    "Der Stadtrat hat am Montag den Haushalt für das kommende Jahr beschlossen. Die Mehrheit stimmte nach "
    "langer Debatte für höhere Ausgaben bei Schulen und Straßen.",
    "In der Nacht zum Dienstag hat ein Sturm zahlreiche Bäume entwurzelt. Die Feuerwehr war bis zum Morgen "
    "im Einsatz, verletzt wurde nach Angaben der Polizei niemand.",
    "Das Museum zeigt ab Freitag eine Ausstellung über die Geschichte der Eisenbahn in der Region. Zu sehen "
    "sind alte Fahrpläne, Uniformen und ein restaurierter Waggon.",
    "Die Bäckerei am Marktplatz schließt nach vierzig Jahren. Die Inhaberin geht in den Ruhestand und hat "
    "keinen Nachfolger gefunden, sagte sie der Zeitung.",
    "Der Fußballverein hat einen neuen Trainer vorgestellt. Er soll die Mannschaft nach drei Niederlagen in "
    "Folge wieder in die Erfolgsspur führen, hieß es.",
    "Die Bibliothek verlängert ihre Öffnungszeiten im Winter. Künftig können Besucher auch am "
    "Samstagnachmittag Bücher ausleihen und im Lesesaal arbeiten.",
]



def chained_copies() -> list[dict]:
    """Three documents of two, three and two paragraph pairs (PQ, PQR, QR): the second is a
    near-duplicate of both others (estimated Jaccard 0.65 and 0.63), the first and the
    last of each other only at 0.28, below the default threshold. Kept with ``--keep
    earliest``, the last joins the first's cluster through the second."""
    p, q, r = ("\n\n".join(BODIES[k : k + 2]) for k in (0, 2, 4))
    return [
        {"id": "a-kept", "text": f"{p}\n\n{q}"},
        {"id": "b-direct", "text": f"{p}\n\n{q}\n\n{r}"},
        {"id": "c-via-b", "text": f"{q}\n\n{r}"},
    ]

PROMO_RULE = """\
schema: dqkit/rules@1
lang: [de]
rules:
  - id: de.custom.promo
    message: Promo line
    match: {phrases: ["Jetzt im Shop"], anchor: full_line}
    examples:
      match: ["Jetzt im Shop!"]
      no_match: ["Jetzt im Shop gibt es mehr als früher, sagt die Händlerin."]
"""


def write_pack(tmp_path: Path, text: str, name: str = "mine.yaml") -> Path:
    """A user rule folder ``tmp_path/rules`` holding one rule file; returns the file."""
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name
