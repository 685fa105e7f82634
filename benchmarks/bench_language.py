"""Language identification: accuracy of each detector, trust on real corpora, speed.

    python benchmarks/bench_language.py [--repeats 3]

1. Leipzig sentences, word pairs and single words (``langid-lingua-testdata``, 1,000 per
   language; the label is the file name): accuracy of every detector dqkit offers, given
   the same text (dqkit's 600-character prefix) through :func:`dqkit.detect.language.identify`,
   and the share of its answers that dqkit trusts. A code with a region (``zh-cn``) counts
   by its language, and Norwegian (``no``) as the Bokmål file (``nb``).
2. Reuters-21578 (``--text-field body``, English newswire): ``dqkit clean`` with each
   detector; the share of kept documents labelled ``en`` or ``und``, the other labels, and
   the sign-off check: of the kept documents whose body as read ends with " Reuter", how
   many still end with it.
3. Human German news (10kGNAD + Wikinews): the share labelled ``de``.
4. Speed on one core (taskset, one polars thread), median of ``--repeats`` runs that
   alternate between the detectors: the language stage's seconds (timings.json) and the
   whole run's documents per second on Reuters.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import tempfile
from pathlib import Path

from results import DATA, ROOT, Section, pin_to_one_core, read_jsonl, require, timed_clean, write_jsonl

sys.path.insert(0, str(ROOT))
from dqkit.detect.langid import DEFAULT_DETECTOR, DETECTORS  # noqa: E402
from dqkit.detect.language import identify  # noqa: E402

LEIPZIG = DATA / "langid-lingua-testdata" / "language-testdata"
REUTERS = DATA / "reuters21578-en-news" / "reuters21578.jsonl.gz"
GERMAN = [DATA / "german-news-human" / "10kgnad_test.jsonl.gz", DATA / "german-news-human" / "dewikinews_1k.jsonl.gz"]
# dqkit's rule packs, then the languages langdetect and its peers confuse them with.
LANGUAGES = "de en fr it es nl pt sv da nb pl cs sk ro hu fi tr id ru uk bg hr sl el".split()
# The Leipzig file of Norwegian Bokmål is nb.txt; the detectors name Norwegian "no".
SAME = {"no": "nb"}
GRANULARITIES = ["sentences", "word-pairs", "single-words"]
SIGN_OFF = re.compile(r"\sReuter\s*$")
REUTERS_ARGS = ["--text-field", "body", "--id-field", "newid", "--workers", "1"]


def leipzig(granularity: str, lang: str) -> list[str]:
    with gzip.open(LEIPZIG / granularity / f"{lang}.txt.gz", "rt", encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip()]


def accuracy_tables(section: Section) -> dict[str, dict[str, float]]:
    """Per granularity, a table language x detector; returns sentence accuracy per detector and language."""
    sentence_accuracy: dict[str, dict[str, float]] = {}
    for granularity in GRANULARITIES:
        rows = []
        for lang in LANGUAGES:
            texts = leipzig(granularity, lang)
            row: list = [lang, f"{len(texts):,}"]
            for detector in DETECTORS:
                found = identify(texts, detector)
                right = found["lang"].str.split("-").list.first().replace(SAME) == lang
                accuracy = right.mean()
                row += [f"{accuracy:.1%}", f"{found['trusted'].mean():.0%}"]
                if granularity == "sentences":
                    sentence_accuracy.setdefault(detector, {})[lang] = accuracy
            rows.append(row)
            print(granularity, lang, row, flush=True)
        section.heading(f"Leipzig {granularity}: accuracy (trusted share)")
        headers = ["language", "texts"] + [f"{d} {what}" for d in DETECTORS for what in ("accuracy", "trusted")]
        section.table(headers, rows)
    return sentence_accuracy


def sign_off_ids() -> set[str]:
    return {str(r["newid"]) for r in read_jsonl(REUTERS) if SIGN_OFF.search(r.get("body") or "")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    require(LEIPZIG, REUTERS, *GERMAN)
    section = Section("bench_language", "Language identification: accuracy, trust, speed", timing=True)
    section.text(
        f"Detectors: {', '.join(DETECTORS)} (default: {DEFAULT_DETECTOR}). Every text goes through dqkit's "
        "`identify` (600-character prefix, trust on evidence); accuracy counts the detector's label whether "
        "trusted or not."
    )
    sentence_accuracy = accuracy_tables(section)
    at_least = {
        detector: all(sentence_accuracy[detector][lang] >= sentence_accuracy["langdetect"][lang] for lang in LANGUAGES)
        for detector in DETECTORS
    }
    section.goal(
        f"{DEFAULT_DETECTOR} at least as accurate as langdetect on sentences, every language",
        ", ".join(
            f"{lang} {sentence_accuracy[DEFAULT_DETECTOR][lang]:.1%} vs {sentence_accuracy['langdetect'][lang]:.1%}"
            for lang in LANGUAGES
            if sentence_accuracy[DEFAULT_DETECTOR][lang] < sentence_accuracy["langdetect"][lang]
        )
        or "no language below",
        at_least[DEFAULT_DETECTOR],
    )

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        signed = sign_off_ids()
        german = write_jsonl((r for path in GERMAN for r in read_jsonl(path)), work / "german.jsonl")
        runs: dict[str, list[dict]] = {d: [] for d in DETECTORS}
        quality: dict[str, dict] = {}
        for repeat in range(args.repeats):
            for detector in DETECTORS:
                out = work / f"reuters-{detector}"
                run = timed_clean(REUTERS, out, [*REUTERS_ARGS, "--langid", detector], pin_to_one_core(), True)
                runs[detector].append(run)
                print(f"reuters {detector}: {run['seconds']:.1f} s", flush=True)
                if repeat == 0:
                    quality[detector] = reuters_quality(out, signed)
                    quality[detector]["german"] = german_share(german, work / f"de-{detector}", detector)

        section.heading("Reuters-21578 and human German news: labels of kept documents")
        rows = []
        for detector, q in quality.items():
            others = ", ".join(f"{lang} {n:,}" for lang, n in q["others"][:6]) or "none"
            rows.append(
                [
                    detector,
                    f"{q['kept']:,}",
                    f"{q['en_or_und']:.2%}",
                    others,
                    f"{q['signed']:,}",
                    f"{q['still_signed']:,} ({q['still_share']:.2%})",
                    f"{q['german']:.2%}",
                ]
            )
        section.table(
            "detector | Reuters kept | en or und | other labels | kept with sign-off as read | still signed | German news de",
            rows,
        )
        best = quality[DEFAULT_DETECTOR]
        section.goal("Reuters ≥ 99.5 % en or und", f"{best['en_or_und']:.2%}", best["en_or_und"] >= 0.995)
        section.goal("Reuters sign-off left on ≤ 0.1 %", f"{best['still_share']:.2%}", best["still_share"] <= 0.001)
        section.goal("German news 100 % de", f"{best['german']:.2%}", best["german"] == 1.0)

        section.heading("Speed on Reuters, one core")
        rows, stage, rate = [], {}, {}
        for detector, measured in runs.items():
            stage[detector] = statistics.median(r["timings"]["shard_stage_seconds_summed"]["language"] for r in measured)
            wall = statistics.median(r["seconds"] for r in measured)
            rate[detector] = statistics.median(r["timings"]["documents"] / r["seconds"] for r in measured)
            rows.append([detector, f"{stage[detector]:.2f}", f"{wall:.1f}", f"{rate[detector]:,.0f}"])
        section.table("detector | language stage s | wall s | docs/s", rows)
        ratio = stage["langdetect"] / max(stage[DEFAULT_DETECTOR], 1e-9)
        speedup = rate[DEFAULT_DETECTOR] / rate["langdetect"]
        section.goal("language stage ≥ 10× faster than langdetect's", f"{ratio:.1f}×", ratio >= 10)
        section.goal("dqkit clean ≥ 3× langdetect's docs/s", f"{speedup:.1f}×", speedup >= 3)
    section.write()


def reuters_quality(out: Path, signed: set[str]) -> dict:
    clean = read_jsonl(out / "clean.jsonl")
    labels: dict[str, int] = {}
    for row in clean:
        labels[row["lang"] or "none"] = labels.get(row["lang"] or "none", 0) + 1
    kept_signed = [row for row in clean if str(row["id"]) in signed]
    still = sum(bool(SIGN_OFF.search(row["text"])) for row in kept_signed)
    return {
        "kept": len(clean),
        "en_or_und": (labels.get("en", 0) + labels.get("und", 0)) / max(len(clean), 1),
        "others": sorted(((k, n) for k, n in labels.items() if k not in ("en", "und")), key=lambda x: (-x[1], x[0])),
        "signed": len(kept_signed),
        "still_signed": still,
        "still_share": still / max(len(kept_signed), 1),
    }


def german_share(source: Path, out: Path, detector: str) -> float:
    timed_clean(source, out, ["--no-dedup", "--langid", detector], keep_output=True)
    clean = read_jsonl(out / "clean.jsonl")
    return sum(row["lang"] == "de" for row in clean) / max(len(clean), 1)


if __name__ == "__main__":
    main()
