"""Fit the boilerplate classifier's numbers (``dqkit/data/boilerplate.json``).

    PYTHONPATH=. python benchmarks/fit_boilerplate.py [--check]

Reads the developer pages of ``../shared/data`` (see :mod:`boilerplate_data`), keeps the
*fitting* side of the split by site, and sees each page as ``dqkit clean`` does: the built-in
rules applied, the language detected on what they left. Fits two logistic regressions
(:mod:`dqkit.detect.boilerplate`): on the lines' own features, then with their neighbours'
first scores. Chooses the thresholds on the fitting side: ``conservative``, the highest at
which 99.5 % of the content lines of the snippet pages stay (the measure is their share);
``aggressive``, the one with the best harmonic mean of content kept and chrome removed.
Writes the weights, the scaling, the thresholds, the fitting figures and this script's
commit. No text of the pages is stored. ``--check`` fits and prints without writing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from boilerplate_data import FIT, MEASURE, Page, all_pages

from dqkit.assemble import clean_lines, kept_lines
from dqkit.detect.boilerplate import MODEL_FILE, Regression, decide, model_from_json
from dqkit.detect.langid import DEFAULT_DETECTOR
from dqkit.detect.language import identify
from dqkit.detect.line_features import (
    CONTEXT,
    OWN,
    context_features,
    line_words,
    lower_words,
    own_features,
    word_buckets,
)
from dqkit.frames import DOC, LANG_HINT
from dqkit.rules.loading import load_rules

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "dqkit" / "data" / MODEL_FILE
L2 = 1.0
PROSE = 0.5
KEEP_CONSERVATIVE = 0.995
REPEATED = 0.5  # a repeated line with a content probability below this goes
MIN_WORD_COUNT = 3
SHRINK = 5.0
FOLDS = 5


def line_frame(pages: list[Page]) -> pl.DataFrame:
    """The kept non-blank lines of ``pages`` after the built-in rules, with language and label."""
    docs = pl.DataFrame(
        {DOC: range(len(pages)), "text": [p.raw_text for p in pages], LANG_HINT: [None] * len(pages)},
        schema={DOC: pl.Int64, "text": pl.String, LANG_HINT: pl.String},
    )
    outcome = clean_lines(docs, load_rules([]).rules)
    texts = outcome.texts
    langs = identify(texts["text"].to_list(), DEFAULT_DETECTOR)
    texts = texts.with_columns(langs["lang"])
    lines = kept_lines(texts.select(DOC, "text", "line_nos", "lang")).filter(pl.col("line").str.strip_chars() != "")
    labels = pl.DataFrame(
        [(i, no, label) for i, p in enumerate(pages) for no, label in p.labels.items()],
        schema={DOC: pl.Int64, "line_no": pl.Int32, "label": pl.Int8},
        orient="row",
    )
    meta = pl.DataFrame(
        {
            DOC: range(len(pages)),
            "corpus": [p.corpus for p in pages],
            "side": [p.side for p in pages],
            "fold": [int(hashlib.sha256(p.site.encode()).hexdigest(), 16) % FOLDS for p in pages],
        },
        schema={DOC: pl.Int64, "corpus": pl.String, "side": pl.String, "fold": pl.Int64},
    )
    return lines.join(labels, on=[DOC, "line_no"], how="left").join(meta, on=DOC).sort(DOC, "line_no")


def word_weights(frame: pl.DataFrame) -> dict[int, float]:
    """Per word bucket, the log-odds of content against chrome among the labelled short lines
    (each class's counts scaled to its total, smoothed, shrunk towards 0 for rare buckets);
    buckets seen fewer than :data:`MIN_WORD_COUNT` times are left out."""
    rows = frame.with_row_index("_row").filter(pl.col("label").is_not_null())
    words = line_words(lower_words(rows)).join(rows.select(pl.int_range(pl.len()).alias("_row"), "label"), on="_row")
    unique = words.select(pl.col("word").unique())
    words = words.join(unique.with_columns(word_buckets(unique["word"]).alias("bucket")), on="word")
    counts = words.group_by("bucket").agg(
        (pl.col("label") == 1).sum().alias("content"), (pl.col("label") == 0).sum().alias("chrome")
    )
    totals = words.group_by("label").len()
    n_content = totals.filter(pl.col("label") == 1)["len"].sum()
    n_chrome = totals.filter(pl.col("label") == 0)["len"].sum()
    seen = pl.col("content") + pl.col("chrome")
    weight = (
        (((pl.col("content") + 0.5) / n_content).log() - ((pl.col("chrome") + 0.5) / n_chrome).log())
        * seen
        / (seen + SHRINK)
    )
    kept = counts.filter(seen >= MIN_WORD_COUNT).select("bucket", weight.round(4).alias("weight")).sort("bucket")
    return dict(zip(kept["bucket"].to_list(), kept["weight"].to_list(), strict=True))


def out_of_fold_lexical(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``lexical`` computed, for each fold of sites, from the weights of the
    other folds: what the regressions are fitted on has not seen its own words."""
    fold = pl.col("fold")
    parts = []
    for k in range(FOLDS):
        weights = word_weights(frame.filter(fold != k))
        part = frame.filter(fold == k)
        parts.append(own_features(part, weights))
    return pl.concat(parts).sort(DOC, "line_no")


def fit(frame: pl.DataFrame, features: tuple[str, ...]) -> Regression:
    """L2-regularised logistic regression by Newton's method, on the labelled rows; each
    corpus weighs the same, and within it each class."""
    rows = frame.filter(pl.col("label").is_not_null())
    x = rows.select(features).to_numpy().astype(float)
    y = rows["label"].to_numpy().astype(float)
    groups = rows.select(pl.concat_str("corpus", pl.col("label").cast(pl.String))).to_series()
    counts = groups.value_counts()
    weight_of = dict(zip(counts[counts.columns[0]], counts["count"], strict=True))
    w = np.array([1.0 / weight_of[g] for g in groups]) * len(rows) / len(weight_of)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], L2)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ beta))
        gradient = z.T @ (w * (p - y)) + penalty * beta
        hessian = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return Regression(
        features, tuple(mean.round(6)), tuple(scale.round(6)), tuple(beta[:-1].round(6)), round(float(beta[-1]), 6)
    )


def shares(frame: pl.DataFrame, threshold: float, corpus: str | None = None) -> tuple[float, float]:
    """(content lines kept, chrome lines removed) under :func:`decide` at ``threshold``."""
    decided = decide(frame, threshold, PROSE)
    if corpus:
        decided = decided.filter(pl.col("corpus") == corpus)
    labelled = decided.filter(pl.col("label").is_not_null())
    kept = labelled.filter(pl.col("label") == 1)["_chrome"].not_().mean()
    removed = labelled.filter(pl.col("label") == 0)["_chrome"].mean()
    return float(kept or 0.0), float(removed or 0.0)


def harmonic(a: float, b: float) -> float:
    return 2 * a * b / (a + b) if a + b else 0.0


def commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fit and print, do not write the model file")
    args = parser.parse_args()
    pages = all_pages()
    frame = line_frame(pages)
    fitting = frame.filter(pl.col("side") == FIT)
    weights = word_weights(fitting)
    fitting_own = out_of_fold_lexical(fitting)
    first = fit(fitting_own, OWN)
    fitting_context = context_features(fitting_own.with_columns(first.probability().alias("_score0")), prose=PROSE)
    second = fit(fitting_context, OWN + CONTEXT)
    # The fitting side as fitted (its lexical feature out of fold); every page as the stage
    # scores it, with the weights of the whole fitting side.
    fit_side = fitting_context.with_columns(second.probability().alias("boilerplate_score"))
    measured = own_features(frame, weights).with_columns(first.probability().alias("_score0"))
    scored = context_features(measured, prose=PROSE).with_columns(second.probability().alias("boilerplate_score"))
    grid = [round(t, 3) for t in np.arange(0.02, 0.9, 0.01)]
    snippet = "trafilatura-eval-dev"
    conservative = max(t for t in grid if shares(fit_side, t, snippet)[0] >= KEEP_CONSERVATIVE)
    aggressive = max(grid, key=lambda t: harmonic(*shares(fit_side, t, snippet)))
    thresholds = {"conservative": conservative, "aggressive": aggressive}
    figures = {}
    for side_name in (FIT, MEASURE):
        part = fit_side if side_name == FIT else scored.filter(pl.col("side") == MEASURE)
        for mode, t in thresholds.items():
            for corpus in (snippet, "cleaneval-dev", "readability"):
                kept, removed = shares(part, t, corpus)
                figures[f"{side_name}/{mode}/{corpus}"] = {
                    "content_kept": round(kept, 4),
                    "chrome_removed": round(removed, 4),
                }
    for key, value in figures.items():
        print(f"{key:45s} kept {value['content_kept']:.3f} removed {value['chrome_removed']:.3f}")
    print("thresholds", thresholds)
    model = {
        "first": first.to_json(),
        "second": second.to_json(),
        "thresholds": thresholds,
        "repeated_threshold": REPEATED,
        "prose": PROSE,
        "word_weights": {str(b): w for b, w in weights.items()},
        "about": {
            "fitted_by": "benchmarks/fit_boilerplate.py",
            "commit": commit(),
            "data": "fitting side of trafilatura-eval-dev and web-boilerplate-gold-dev (split by site, "
            "benchmarks/boilerplate_data.py); built-in rules applied first",
            "pages": {s: sum(p.side == s for p in pages) for s in (FIT, MEASURE)},
            "labelled_lines_fitted": fitting.filter(pl.col("label").is_not_null()).height,
            "line_shares": figures,
        },
    }
    model_from_json(model)  # it loads
    if not args.check:
        OUT.parent.mkdir(exist_ok=True)
        OUT.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
