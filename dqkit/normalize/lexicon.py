"""Per-language word lists (``rules/<lang>/lexicon.yaml``) and word frequencies.

The lists are data that rule authors extend: sentence starters and function words for
join repair and the capitalised-function-word signal, camel-case words that are correct
as written. Frequencies come from wordfreq (Zipf scale: 3 = once per million words),
looked up case-folded and cached.

>>> de = load_lexicon("de")
>>> "nach" in de.sentence_starters, "whatsapp" in de.camel_case
(True, True)
>>> frequent("der", "de", 7), known("whatsapp", "de", 3)
(True, True)
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from dqkit.errors import RuleFileError
from dqkit.normalize.frequencies import RAREST_ZIPF, zipf_frequency
from dqkit.rules.loading import LEXICON_SCHEMA, builtin_rules_dir
from dqkit.rules.yamlpos import LocatedDict, load_yaml

LISTS = ("sentence_starters", "function_words", "capitalised_ok", "camel_case", "first_names")


@dataclass(frozen=True)
class Lexicon:
    lang: str
    sentence_starters: frozenset[str] = frozenset()
    function_words: frozenset[str] = frozenset()
    capitalised_ok: tuple[str, ...] = ()
    camel_case: frozenset[str] = frozenset()  # lowercased
    first_names: frozenset[str] = frozenset()


# wordfreq says on stderr when it answers for a related language (Afrikaans from Dutch):
# the fallback is what dqkit wants, and a line per language is noise in a cleaning run.
logging.getLogger("wordfreq").setLevel(logging.ERROR)


def _read(folder: str) -> dict[str, list[str]]:
    path = builtin_rules_dir() / folder / "lexicon.yaml"
    if not path.exists():
        return {}
    data = load_yaml(path.read_text(encoding="utf-8"), str(path))
    if not isinstance(data, LocatedDict) or data.get("schema") != LEXICON_SCHEMA:
        raise RuleFileError(f"{path}: schema must be {LEXICON_SCHEMA!r}")
    unknown = sorted(set(data) - {"schema", "lang", *LISTS})
    if unknown:
        raise RuleFileError(f"{data.where(unknown[0])}: unknown key {unknown[0]!r} (known: {', '.join(LISTS)})")
    return {key: [str(w) for w in data.get(key, [])] for key in LISTS}


@functools.lru_cache(maxsize=64)
def load_lexicon(lang: str) -> Lexicon:
    """The lexicon of ``lang``: ``rules/any/lexicon.yaml`` plus ``rules/<lang>/lexicon.yaml``."""
    shared, own = _read("any"), _read(lang) if lang != "any" else {}
    words = {key: shared.get(key, []) + own.get(key, []) for key in LISTS}
    return Lexicon(
        lang=lang,
        sentence_starters=frozenset(w.lower() for w in words["sentence_starters"]),
        function_words=frozenset(w.lower() for w in words["function_words"]),
        capitalised_ok=tuple(words["capitalised_ok"]),
        camel_case=frozenset(w.lower() for w in words["camel_case"]),
        first_names=frozenset(words["first_names"]),
    )


@functools.lru_cache(maxsize=1)
def lexicon_languages() -> tuple[str, ...]:
    """The languages whose built-in lexicon lists function words, sorted.

    >>> "de" in lexicon_languages() and "any" not in lexicon_languages()
    True
    """
    folders = sorted(p.name for p in builtin_rules_dir().iterdir() if (p / "lexicon.yaml").is_file())
    return tuple(lang for lang in folders if lang != "any" and load_lexicon(lang).function_words)


# Languages wordfreq has no list for. wordfreq does not remember a failed look-up: it lists
# its data folder again for every word (2 ms each), which was a tenth of a Reuters run whose
# language is unknown ("und").
_WITHOUT_LIST: set[str] = set()


@functools.lru_cache(maxsize=200_000)
def _zipf(word: str, lang: str) -> float:
    """wordfreq's Zipf frequency of ``word`` in ``lang`` where it is at least RAREST_ZIPF
    (0 for an unknown word or language, and for a language whose tokenizer is not
    installed: see :func:`has_word_frequencies`)."""
    if lang in _WITHOUT_LIST:
        return 0.0
    try:
        return zipf_frequency(word, lang)
    except LookupError:
        _WITHOUT_LIST.add(lang)
        return 0.0
    except (ValueError, ImportError):
        return 0.0


@functools.cache
def has_word_frequencies(lang: str) -> bool:
    """Whether the words of ``lang`` can be weighed here. wordfreq needs an optional
    tokenizer for some languages (MeCab for Japanese and Korean, jieba for Chinese); where
    it is not installed, the stages that weigh words skip the language and count it. A
    language wordfreq has no list for stays in: its words weigh 0, and the stages rest on
    English evidence, as they always did.

    >>> has_word_frequencies("de"), has_word_frequencies("und")
    (True, True)
    """
    from wordfreq import tokenize

    try:
        # Tokenizing needs the optional tokenizer but not the word list: asking for a
        # frequency here would load the whole list (0.3-0.6 s) only to answer yes.
        tokenize("a", lang)
    except ImportError:
        return False
    except (LookupError, ValueError):
        pass
    return True


def frequent(word: str, lang: str, zipf: float) -> bool:
    """Whether ``word`` has a Zipf frequency of at least ``zipf`` in ``lang`` (wordfreq's,
    looked up case-folded; an unknown word or language has none). ``zipf`` may not be
    below :data:`~dqkit.normalize.frequencies.RAREST_ZIPF`: rarer words are not read.

    >>> frequent("the", "en", 7), frequent("the", "und", 1.5)
    (True, False)
    """
    if zipf < RAREST_ZIPF:
        raise ValueError(f"word frequencies are read down to Zipf {RAREST_ZIPF}, not {zipf}")
    return _zipf(word, lang) >= zipf


def known(word: str, lang: str, zipf: float) -> bool:
    """Whether ``word`` is :func:`frequent` in ``lang`` or in English."""
    return frequent(word, lang, zipf) or (lang != "en" and frequent(word, "en", zipf))
