"""wordfreq's word frequencies, looked up without building wordfreq's dictionary.

``wordfreq.zipf_frequency`` first turns the whole list of the language into a dict of
Python strings: 66 MB and 0.35 s for German, 31 MB and 0.14 s for English, per process,
for the few hundred words a run asks about. :class:`FrequencyList` keeps the list as one
bytes buffer of its words with a sorted array of their hashes (about 12 bytes a word
beside the text); a look-up is a binary search, confirmed against the word's bytes.
:func:`zipf_frequency` then combines the frequencies of a word's tokens as wordfreq does
(:func:`wordfreq.zipf_frequency`, ``wordlist="best"``, ``minimum=0``).

No stage asks about words rarer than :data:`RAREST_ZIPF` (its thresholds start there),
and half of a list is rarer words: a list is read only down to it, and a word that is
rarer (or whose token is) weighs less than :data:`RAREST_ZIPF` here, where wordfreq would
give its exact weight. At or above it the answer is wordfreq's; the tests compare the two.

>>> zipf_frequency("der", "de"), zipf_frequency("Straße", "de"), zipf_frequency("xqzzy", "de")
(7.46, 5.27, 0.0)
"""

from __future__ import annotations

import array
import functools
import gzip
import math

import msgpack
import numpy as np

MAX_KEY = (1 << 64) - 1  # hashes as unsigned 64-bit keys
RAREST_ZIPF = 1.5


class FrequencyList:
    """One wordfreq list (a cBpack file: a header, then the words of each centibel, from
    0 cB down), read one centibel at a time down to :data:`RAREST_ZIPF` into a compact
    lookup: the words' bytes end to end, and one sorted array of their hashes, each hash's
    low bits replaced by the number of its word (so one in-place sort orders both)."""

    def __init__(self, path: str):
        # One growing buffer per column: the run's peak would count a copy of every piece.
        self._text = bytearray()
        lengths = array.array("i")
        hashes = array.array("q")
        sizes = []
        with gzip.open(path, "rb") as infile:
            unpacker = msgpack.Unpacker(infile, raw=True)
            count = unpacker.read_array_header()
            header = unpacker.unpack()
            if header != {b"format": b"cB", b"version": 1}:
                raise ValueError(f"{path}: unexpected header {header!r}")
            rarest = round((9 - RAREST_ZIPF) * 100)  # -cB of the rarest centibel read
            for _ in range(min(count - 1, rarest + 1)):
                words = unpacker.unpack()  # only one centibel's words are Python objects at a time
                self._text += b"".join(words)
                lengths.extend(map(len, words))
                # this process's hash() will do: the table lives in this process only, and
                # a match is confirmed against the word's bytes
                hashes.extend(map(hash, words))
                sizes.append(len(words))
        self._offsets = np.zeros(len(lengths) + 1, np.int32)  # word k is text[offsets[k]:offsets[k + 1]]
        np.cumsum(np.frombuffer(lengths, np.int32), out=self._offsets[1:])
        self._firsts = np.cumsum(sizes) - sizes  # the first word of each centibel
        self._mask = (1 << len(lengths).bit_length()) - 1
        self._keys = np.frombuffer(hashes, np.uint64).copy()
        self._keys &= np.uint64(~self._mask & MAX_KEY)
        self._keys |= np.arange(len(lengths), dtype=np.uint64)
        self._keys.sort()

    def frequency(self, token: str) -> float | None:
        """The token's frequency (a proportion, as wordfreq's ``cB_to_freq``), None when not listed."""
        word = token.encode("utf-8")
        key = hash(word) & MAX_KEY & ~self._mask
        at = int(np.searchsorted(self._keys, np.uint64(key)))
        while at < len(self._keys) and int(self._keys[at]) & ~self._mask == key:
            k = int(self._keys[at]) & self._mask
            if self._text[self._offsets[k] : self._offsets[k + 1]] == word:
                centibels = int(np.searchsorted(self._firsts, k, side="right")) - 1
                return 10 ** (-centibels / 100)
            at += 1
        return None


@functools.cache
def frequency_list(lang: str) -> FrequencyList:
    """The list wordfreq uses for ``lang`` (its ``best`` list of the closest language;
    LookupError where it has none)."""
    import langcodes
    from wordfreq import available_languages

    available = available_languages("best")
    best, _ = langcodes.closest_match(lang, list(available), max_distance=60)
    if best == "und":
        raise LookupError(f"No wordlist 'best' available for language {lang!r}")
    return _read(available[best])


@functools.cache  # once per file: "de" and "de-AT" share the German list
def _read(path: str) -> FrequencyList:
    return FrequencyList(path)


def zipf_frequency(word: str, lang: str) -> float:
    """``wordfreq.zipf_frequency(word, lang)`` where that is at least :data:`RAREST_ZIPF`
    (less than it otherwise): the word's tokens' frequencies combined (1/f = 1/f1 + 1/f2
    + ...; digits smashed and weighed; a penalty per inferred word break for Chinese),
    rounded as wordfreq rounds them."""
    from wordfreq.language_info import get_language_info
    from wordfreq.numbers import digit_freq, smash_numbers
    from wordfreq.tokens import lossy_tokenize

    minimum = 1e-9  # wordfreq's zipf_to_freq(0)
    tokens = lossy_tokenize(word, lang)
    if not tokens:
        return _zipf(minimum)
    table = frequency_list(lang)
    one_over_result = 0.0
    for token in tokens:
        smashed = smash_numbers(token)
        freq = table.frequency(smashed)
        if freq is None:
            return _zipf(minimum)
        if smashed != token:
            freq *= digit_freq(token)
        one_over_result += 1.0 / freq
    freq = 1.0 / one_over_result
    if get_language_info(lang)["tokenizer"] == "jieba":
        freq *= 10.0 ** -(len(tokens) - 1)
    unrounded = max(freq, minimum)
    return _zipf(round(unrounded, math.floor(-math.log(unrounded, 10)) + 3))


def _zipf(freq: float) -> float:
    return round(math.log(freq, 10) + 9, 2)
