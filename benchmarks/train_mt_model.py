"""Train dqkit's default German MT model (``dqkit/data/mt_de.json``) on wmt-de-dev.

    PYTHONPATH=. python benchmarks/train_mt_model.py [--out FILE]

wmt-de-dev (``../shared/data/wmt-de-dev``, WMT22) holds, per source document, the German
renderings of several MT systems and of one or two human translators, plus German
originals. Each record becomes a labelled document: ``mt`` for machine_translation,
``human`` for human_translation and original; its group is ``langpair:doc_id``, so that
the renderings of one source document are never on both sides of a fold. The labelled
file is written to a temporary folder (the data is not copied into the project) and
``dqkit mt train`` fits the model, cross-validated by group, per domain. The model file
holds numbers only (hashed n-gram weights and idf), its feature description, this
script's commit and the validation figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from results import DATA, ROOT, git_commit, read_jsonl, require, write_jsonl

WMT = DATA / "wmt-de-dev" / "wmt22_de_docs.jsonl.gz"
OUT = ROOT / "dqkit" / "data" / "mt_de.json"
DATA_NAME = "wmt-de-dev (WMT22 en-de, fr-de, de-fr; German side)"


def labelled(records: list[dict]) -> list[dict]:
    return [
        {
            "text": r["text"],
            "label": "mt" if r["text_type"] == "machine_translation" else "human",
            "group": f"{r['langpair']}:{r['doc_id']}",
            "domain": r["domain"],
            "text_type": r["text_type"],
        }
        for r in records
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    require(WMT)
    commit = git_commit()  # before the model file is written: after it, the tree is "dirty"
    with tempfile.TemporaryDirectory() as tmp:
        source = write_jsonl(labelled(read_jsonl(WMT)), Path(tmp) / "wmt22-de-labelled.jsonl")
        command = [sys.executable, "-m", "dqkit", "mt", "train", str(source), "-o", str(args.out), "--lang", "de"]
        command += ["--by", "domain", "--by", "text_type"]
        subprocess.run(command, check=True)
    # The provenance: this script and its commit, the data.
    model = json.loads(args.out.read_text(encoding="utf-8"))
    model["about"].update({"trained_by": "benchmarks/train_mt_model.py", "commit": commit, "data": DATA_NAME})
    args.out.write_text(json.dumps(model, indent=1, sort_keys=True), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
