"""A learned probability that a document is machine-translated.

The features are hashed word n-grams (words and punctuation marks as tokens, case kept,
uni- and bigrams, :data:`BUCKETS` buckets by xxhash): what a model stores is a weight and
an inverse document frequency per bucket, numbers only, no vocabulary and no text of the
data it was trained on. A document's vector is ``(1 + log tf) · idf``, scaled to unit
length; its probability is a logistic regression on it, calibrated (Platt) on the
out-of-fold scores of the training data with both classes weighed alike, so that 0.5
means "as likely MT as human" whatever the share of MT in the training file.

Trained by ``dqkit mt train`` (:mod:`dqkit.detect.mt_training`); the default German model
``dqkit/data/mt_de.json`` by ``benchmarks/train_mt_model.py``. A model file holds
:data:`FEATURES`, the description of the features it was trained on: a file whose
description differs from this code's is refused (its weights would mean something else).

>>> model = MtModel(lang="de", weights=np.zeros(BUCKETS, np.float32), idf=np.ones(BUCKETS, np.float32),
...                 bias=0.0, calibration=(1.0, 0.0), threshold=0.5, about={})
>>> [round(p, 2) for p in model.probabilities(["Ein Satz.", "Noch ein Satz."])]
[0.5, 0.5]
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import zlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import regex
import xxhash

from dqkit.errors import DqkitError
from dqkit.io.atomic import read_json, write_json_atomic

if TYPE_CHECKING:  # scipy.sparse is imported only where a model is trained (0.2 s that a cleaning run skips)
    import scipy.sparse as sp

TOKEN = r"\w+|[^\w\s]"
BUCKETS = 2**18
NGRAMS = (1, 2)
#: What the code computes; a model file must hold exactly this.
FEATURES = {
    "kind": "hashed word n-grams",
    "token": TOKEN,
    "ngrams": list(NGRAMS),
    "buckets": BUCKETS,
    "hash": "xxh64 seed 0 of the UTF-8 n-gram (tokens joined by one space), modulo buckets",
    "weighting": "(1 + log tf) * idf, L2-normalised",
}
MT, HUMAN = "mt", "human"  # the labels of a labelled file
FORMAT = "dqkit-mt-model"
VERSION = 2  # 2: the arrays zlib-compressed before base64 (most buckets share a weight or an idf)
TOP_FEATURES = 3  # n-grams named in a document's reasons
_TOKENS = regex.compile(TOKEN)


class MtModelError(DqkitError):
    """A model file that cannot be used (the message names the file)."""


def ngrams(text: str) -> list[str]:
    """The document's n-grams, as the model sees them.

    >>> ngrams("Er sagte, dass")
    ['Er', 'sagte', ',', 'dass', 'Er sagte', 'sagte ,', ', dass']
    """
    tokens = _TOKENS.findall(text)
    grams = list(tokens)
    for n in NGRAMS[1:]:
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


# Not cached: hashing a short n-gram (~0.1 us) is faster than an lru_cache hit, and the
# cache of up to a million n-grams held 80 MB after 2,000 German news articles.
def _bucket(gram: str) -> int:
    return xxhash.xxh64_intdigest(gram.encode()) % BUCKETS


def _counts(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Documents × buckets as CSR arrays: (row pointers, buckets in order, counts as float64)."""
    indptr, indices, data = [0], [], []
    for text in texts:
        buckets, counts = np.unique(np.fromiter(map(_bucket, ngrams(text)), dtype=np.int64), return_counts=True)
        indices.append(buckets)
        data.append(counts)
        indptr.append(indptr[-1] + len(buckets))
    return (
        np.array(indptr),
        np.concatenate(indices) if indices else np.zeros(0, np.int64),
        np.concatenate(data).astype(np.float64) if data else np.zeros(0),
    )


def term_counts(texts: list[str]) -> sp.csr_matrix:
    """Documents × buckets: how often each bucket's n-grams occur (float64)."""
    import scipy.sparse as sp

    indptr, indices, data = _counts(texts)
    return sp.csr_matrix((data, indices, indptr), shape=(len(texts), BUCKETS))


def inverse_document_frequency(counts: sp.csr_matrix) -> np.ndarray:
    """Smoothed idf per bucket, ``log((1 + n) / (1 + df)) + 1``."""
    df = np.bincount(counts.indices, minlength=BUCKETS)
    return (np.log((1 + counts.shape[0]) / (1 + df)) + 1).astype(np.float32)


def weighted(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """``(1 + log tf) · idf``, each row scaled to unit length (an empty document stays 0)."""
    import scipy.sparse as sp

    matrix = counts.copy()
    matrix.data = (1 + np.log(matrix.data)) * idf[matrix.indices]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1 / norms) @ matrix)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


@dataclass(frozen=True)
class MtModel:
    lang: str
    weights: np.ndarray  # per bucket
    idf: np.ndarray  # per bucket
    bias: float
    calibration: tuple[float, float]  # Platt: p = sigmoid(a * logit + b)
    threshold: float  # a calibrated probability above it calls the document MT
    about: dict = field(default_factory=dict)  # provenance, validation figures

    def logits(self, texts: list[str]) -> np.ndarray:
        """``weighted(term_counts(texts), idf) @ weights + bias`` in numpy: a run that scores
        need not import scipy (0.2 s and 25 MB). Every step is scipy's, in scipy's order, so
        every number is the same (tests/test_mt_model.py): the row norms sum each row's
        non-zero squares with ``np.add.reduceat``, and the product with the diagonal of
        inverse norms leaves each row's entries last bucket first, the order in which the
        matrix-vector product then adds them up."""
        indptr, buckets, counts = _counts(texts)
        rows = np.repeat(np.arange(len(texts)), np.diff(indptr))
        values = (1 + np.log(counts)) * self.idf[buckets]
        squares = values * values
        nonzero = squares != 0
        sizes = np.bincount(rows[nonzero], minlength=len(texts))
        norms = np.zeros(len(texts))
        if nonzero.any():
            norms[sizes > 0] = np.add.reduceat(squares[nonzero], (np.cumsum(sizes) - sizes)[sizes > 0])
        norms = np.sqrt(norms)
        norms[norms == 0] = 1.0
        products = (1 / norms)[rows] * values * self.weights.astype(np.float64)[buckets]
        return np.bincount(rows[::-1], weights=products[::-1], minlength=len(texts)) + self.bias

    def probabilities(self, texts: list[str]) -> list[float]:
        """The calibrated probability of each text being machine-translated."""
        a, b = self.calibration
        return [float(p) for p in _sigmoid(a * self.logits(texts) + b)]

    def strongest(self, text: str, top: int = TOP_FEATURES) -> list[str]:
        """The document's n-grams that push most towards MT (their weighted contributions), strongest first."""
        grams = sorted(set(ngrams(text)))
        buckets = {g: _bucket(g) for g in grams}
        contribution = {g: float(self.weights[b] * self.idf[b]) for g, b in buckets.items()}
        ranked = sorted((g for g in grams if contribution[g] > 0), key=lambda g: (-contribution[g], g))
        return ranked[:top]

    def definition_hash(self) -> str:
        """16 hex digits over what decides the model's probabilities: its language, the
        feature description, the weight and idf arrays (xxh3-128 of their little-endian
        float32 bytes), the bias, the calibration and the threshold; not the ``about`` notes.
        report.json ``rules.definitions`` holds it as ``mt.model.<lang>``.

        >>> import dataclasses
        >>> zeros = MtModel(lang="de", weights=np.zeros(BUCKETS, np.float32), idf=np.ones(BUCKETS, np.float32),
        ...                 bias=0.0, calibration=(1.0, 0.0), threshold=0.5)
        >>> moved = dataclasses.replace(zeros, weights=zeros.weights.copy())
        >>> moved.weights[7] = 0.25
        >>> zeros.definition_hash() == dataclasses.replace(zeros, about={"note": 1}).definition_hash()
        True
        >>> zeros.definition_hash() == moved.definition_hash()
        False
        """
        digest = hashlib.sha256()
        for array in (self.weights, self.idf):
            digest.update(xxhash.xxh3_128_digest(np.ascontiguousarray(array, dtype="<f4").tobytes()))
        numbers = [self.lang, FEATURES, float(self.bias), [float(x) for x in self.calibration], float(self.threshold)]
        digest.update(json.dumps(numbers, sort_keys=True).encode())
        return digest.hexdigest()[:16]

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "lang": self.lang,
            "features": FEATURES,
            "weights": _pack(self.weights),
            "idf": _pack(self.idf),
            "bias": self.bias,
            "calibration": list(self.calibration),
            "threshold": self.threshold,
            "about": self.about,
        }

    def save(self, path: Path) -> None:
        write_json_atomic(path, self.to_json())


def _pack(values: np.ndarray) -> str:
    """float32 numbers, little-endian, zlib-compressed, base64: a third of the plain size."""
    return base64.b64encode(zlib.compress(values.astype("<f4").tobytes(), 9)).decode("ascii")


def _unpack(text: str, where: str) -> np.ndarray:
    try:
        values = np.frombuffer(zlib.decompress(base64.b64decode(text, validate=True)), dtype="<f4")
    except (ValueError, zlib.error) as exc:
        raise MtModelError(f"{where}: not compressed float32 numbers ({exc})") from None
    if values.shape != (BUCKETS,):
        raise MtModelError(f"{where}: {values.size} numbers, the features have {BUCKETS} buckets")
    return values.astype(np.float32)


def model_from_json(data: object, origin: str) -> MtModel:
    """A model from its JSON form; :class:`MtModelError` names ``origin`` and what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise MtModelError(f'{origin}: not a dqkit MT model (no "format": "{FORMAT}")')
    if data.get("version") != VERSION:
        raise MtModelError(f"{origin}: model format version {data.get('version')!r}, this dqkit reads {VERSION}")
    if data.get("features") != FEATURES:
        raise MtModelError(
            f"{origin}: the model's features {json.dumps(data.get('features'))} are not the ones this dqkit "
            f"computes {json.dumps(FEATURES)}; train it again with `dqkit mt train`"
        )
    try:
        a, b = (float(x) for x in data["calibration"])
        return MtModel(
            lang=str(data["lang"]),
            weights=_unpack(data["weights"], f"{origin}: weights"),
            idf=_unpack(data["idf"], f"{origin}: idf"),
            bias=float(data["bias"]),
            calibration=(a, b),
            threshold=float(data["threshold"]),
            about=dict(data.get("about") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MtModelError(f"{origin}: incomplete model ({type(exc).__name__}: {exc})") from None


def load_model_file(path: Path) -> MtModel:
    return model_from_json(read_json(path, MtModelError), str(path))


DEFAULT_MODELS = {"de": "mt_de.json"}


@functools.lru_cache(maxsize=4)
def models_for(path: str | None) -> dict[str, MtModel]:
    """The learned models a run uses, by language: the shipped ones, the one in ``path``
    (``--mt-model``) in place of the shipped model of its language."""
    models = {lang: model for lang in DEFAULT_MODELS if (model := default_model(lang)) is not None}
    if path is not None:
        given = load_model_file(Path(path))
        models[given.lang] = given
    return models


@functools.lru_cache(maxsize=4)
def default_model(lang: str) -> MtModel | None:
    """The shipped model of ``lang`` (base code), or None."""
    name = DEFAULT_MODELS.get(lang)
    if name is None:
        return None
    resource = resources.files("dqkit").joinpath("data", name)
    return model_from_json(json.loads(resource.read_text(encoding="utf-8")), f"dqkit/data/{name}")
