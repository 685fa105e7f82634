"""Training and evaluating an :class:`~dqkit.detect.mt_model.MtModel` (``dqkit mt train``, ``dqkit mt eval``).

A logistic regression with an L2 penalty (``1 / (2C) · |w|²``) on the hashed n-gram
vectors, both classes weighed alike, fitted by L-BFGS (scipy). Validation is
cross-validated by *group*: the documents of one group (the translations of one source
document) all fall in one of :data:`FOLDS` folds, so no fold is scored by a model that saw
another rendering of the same text. The out-of-fold scores give the validation figures and
the Platt calibration; the model shipped is then fitted on all the data.

>>> auroc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
0.75
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.sparse as sp
import xxhash

from dqkit.detect.mt_model import MT, MtModel, inverse_document_frequency, term_counts, weighted

FOLDS = 5
C = 10.0
THRESHOLD = 0.5  # calibrated with both classes weighed alike: as likely MT as not


def _average_ranks(scores: np.ndarray) -> np.ndarray:
    """1-based ranks, ties given their average (as ``scipy.stats.rankdata``, whose import
    costs a second).

    >>> _average_ranks(np.array([0.5, 0.1, 0.5, 0.9])).tolist()
    [2.5, 1.0, 2.5, 4.0]
    """
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - (counts - 1) / 2)[inverse]


def auroc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); None without both classes."""
    positive = positive.astype(bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return None
    ranks = _average_ranks(np.asarray(scores))
    return round(float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)), 4)


def fold_of(groups: Sequence[str | None]) -> np.ndarray:
    """Each record's fold, from its group (a record without a group is a group of its own)."""
    return np.array(
        [xxhash.xxh64_intdigest((g if g is not None else f"\0{i}").encode()) % FOLDS for i, g in enumerate(groups)]
    )


def _balanced(y: np.ndarray) -> np.ndarray:
    counts = np.bincount(y.astype(int), minlength=2).astype(float)
    return len(y) / (2 * counts[y.astype(int)])


def fit_logistic(x: sp.csr_matrix, y: np.ndarray, c: float = C) -> tuple[np.ndarray, float]:
    """Weights and bias of the L2-penalised, class-balanced logistic regression."""
    weight = _balanced(y)
    sign = np.where(y > 0, 1.0, -1.0)

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = beta[:-1], beta[-1]
        z = x @ w + b
        margin = sign * z
        value = float(np.sum(weight * np.logaddexp(0, -margin)) + w @ w / (2 * c))
        residual = weight * (-sign) / (1 + np.exp(margin))  # d loss / d z
        gradient = np.concatenate([x.T @ residual + w / c, [residual.sum()]])
        return value, gradient

    start = np.zeros(x.shape[1] + 1)
    found = scipy.optimize.minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 1000})
    return found.x[:-1], float(found.x[-1])


def platt(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``a, b`` of ``sigmoid(a · logit + b)`` fitted to ``y``, both classes weighed alike."""
    weights, bias = fit_logistic(sp.csr_matrix(logits.reshape(-1, 1)), y, c=1e6)
    return round(float(weights[0]), 6), round(bias, 6)


def out_of_fold_logits(counts: sp.csr_matrix, y: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Each record's logit from the model fitted on the other folds (idf from those too)."""
    logits = np.zeros(len(y))
    for k in range(FOLDS):
        test = folds == k
        if not test.any():
            continue
        idf = inverse_document_frequency(counts[~test])
        weights, bias = fit_logistic(weighted(counts[~test], idf), y[~test])
        logits[test] = weighted(counts[test], idf) @ weights + bias
    return logits


def figures(probabilities: np.ndarray, y: np.ndarray, threshold: float) -> dict:
    """AUROC, the mean probability, the share called MT, and precision and recall of MT at
    ``threshold``, of some documents (a group of one class has no AUROC, precision or recall)."""
    called = probabilities > threshold
    hits = int((called & (y > 0)).sum())
    return {
        "documents": len(y),
        "mt": int(y.sum()),
        "auroc": auroc(probabilities, y),
        "mean_probability": round(float(probabilities.mean()), 4) if len(y) else None,
        "called_mt": round(float(called.mean()), 4) if len(y) else None,
        "precision": round(hits / called.sum(), 4) if called.any() and 0 < y.sum() < len(y) else None,
        "recall": round(hits / y.sum(), 4) if y.any() else None,
    }


def breakdown(probabilities: np.ndarray, y: np.ndarray, threshold: float, by: dict[str, list[str | None]]) -> dict:
    """:func:`figures` over all documents, then per value of each field of ``by``."""
    result = {"all": figures(probabilities, y, threshold)}
    for name, values in by.items():
        column = np.array([v if v is not None else "(none)" for v in values])
        result[name] = {
            value: figures(probabilities[column == value], y[column == value], threshold)
            for value in sorted(set(column))
        }
    return result


@dataclass(frozen=True)
class Trained:
    model: MtModel  # fitted on all the documents
    out_of_fold: np.ndarray  # each document's calibrated probability from the model of the other folds


def train(
    texts: list[str],
    labels: list[str],
    groups: Sequence[str | None],
    lang: str,
    by: dict[str, list[str | None]],
    about: dict,
) -> Trained:
    """A model fitted on all ``texts``, with its cross-validated figures in ``about["validation"]``."""
    y = np.array([label == MT for label in labels], dtype=float)
    counts = term_counts(texts)
    logits = out_of_fold_logits(counts, y, fold_of(groups))
    a, b = platt(logits, y)
    calibrated = 1 / (1 + np.exp(-(a * logits + b)))
    idf = inverse_document_frequency(counts)
    weights, bias = fit_logistic(weighted(counts, idf), y)
    validation = {
        "method": f"{FOLDS}-fold cross-validation by group (out-of-fold scores)",
        "threshold": THRESHOLD,
        **breakdown(calibrated, y, THRESHOLD, by),
    }
    model = MtModel(
        lang=lang,
        weights=weights.astype(np.float32),
        idf=idf,
        bias=round(bias, 6),
        calibration=(a, b),
        threshold=THRESHOLD,
        about={**about, "documents": len(texts), "mt_documents": int(y.sum()), "C": C, "validation": validation},
    )
    return Trained(model, calibrated)


def evaluate_model(model: MtModel, texts: list[str], labels: list[str], by: dict[str, list[str | None]]) -> dict:
    """The model's figures on labelled documents it is scored on as they are (no refitting)."""
    y = np.array([label == MT for label in labels], dtype=float)
    return breakdown(np.array(model.probabilities(texts)), y, model.threshold, by)
