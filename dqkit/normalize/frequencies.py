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

Building a lookup takes about 0.1 s a list, in every process that needs it, so a built one
is kept in dqkit's cache folder (:func:`dqkit.cache.cache_folder`) and memory-mapped by later runs: a few
milliseconds, and only the pages a look-up touches are read (shared by the workers).

>>> zipf_frequency("der", "de"), zipf_frequency("Straße", "de"), zipf_frequency("xqzzy", "de")
(7.46, 5.27, 0.0)
"""

from __future__ import annotations

import array
import contextlib
import functools
import gzip
import math
import os
import shutil
from pathlib import Path

import msgpack
import numpy as np
import xxhash

from dqkit.cache import cache_folder

MAX_KEY = (1 << 64) - 1  # hashes as unsigned 64-bit keys
RAREST_ZIPF = 1.5


class FrequencyList:
    """One wordfreq list as a compact lookup: the words' bytes end to end (``text``, word k
    at ``offsets[k]:offsets[k + 1]``), one sorted array of their xxh64 hashes, each hash's low
    bits replaced by the number of its word (so one in-place sort orders both), and the
    number of the first word of each centibel (``firsts``; the list runs from 0 cB down)."""

    def __init__(self, text: bytes | np.ndarray, offsets: np.ndarray, keys: np.ndarray, firsts: np.ndarray):
        self._text, self._offsets, self._keys, self._firsts = text, offsets, keys, firsts
        self._mask = (1 << (len(offsets) - 1).bit_length()) - 1

    @classmethod
    def from_wordfreq(cls, path: str) -> FrequencyList:
        """Read a wordfreq cBpack file (a header, then the words of each centibel) one
        centibel at a time, down to :data:`RAREST_ZIPF`."""
        # One growing buffer per column: the run's peak would count a copy of every piece.
        text = bytearray()
        lengths = array.array("i")
        hashes = array.array("Q")
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
                text += b"".join(words)
                lengths.extend(map(len, words))
                hashes.extend(map(xxhash.xxh64_intdigest, words))
                sizes.append(len(words))
        offsets = np.zeros(len(lengths) + 1, np.int64)
        np.cumsum(np.frombuffer(lengths, np.int32), out=offsets[1:])
        mask = (1 << len(lengths).bit_length()) - 1
        keys = np.frombuffer(hashes, np.uint64).copy()
        keys &= np.uint64(~mask & MAX_KEY)
        keys |= np.arange(len(lengths), dtype=np.uint64)
        keys.sort()
        return cls(bytes(text), offsets, keys, np.cumsum(sizes) - sizes)

    def save(self, folder: Path) -> None:
        """Write the lookup to ``folder`` (a new folder, renamed into place whole, so that a
        reader sees the whole of it or none)."""
        partial = folder.with_name(f"{folder.name}.{os.getpid()}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        (partial / "text.bin").write_bytes(bytes(self._text))
        for name, values in (("offsets", self._offsets), ("keys", self._keys), ("firsts", self._firsts)):
            np.save(partial / f"{name}.npy", values)
        try:
            partial.rename(folder)
        except OSError:  # another process got there first: its copy is as good
            shutil.rmtree(partial, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> FrequencyList:
        """The lookup :meth:`save` wrote, memory-mapped (the pages a look-up touches are all
        that is read, and processes share them)."""
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in ("offsets", "keys", "firsts")}
        text = np.memmap(folder / "text.bin", dtype=np.uint8, mode="r") if arrays["offsets"][-1] else b""
        if len(text) != arrays["offsets"][-1] or len(arrays["keys"]) != len(arrays["offsets"]) - 1:
            raise ValueError(f"{folder}: the cached word list is inconsistent")
        return cls(text, arrays["offsets"], arrays["keys"], arrays["firsts"])

    def frequency(self, token: str) -> float | None:
        """The token's frequency (a proportion, as wordfreq's ``cB_to_freq``), None when not listed."""
        word = token.encode("utf-8")
        key = xxhash.xxh64_intdigest(word) & ~self._mask
        at = int(np.searchsorted(self._keys, np.uint64(key)))
        while at < len(self._keys) and int(self._keys[at]) & ~self._mask == key:
            k = int(self._keys[at]) & self._mask
            if bytes(self._text[self._offsets[k] : self._offsets[k + 1]]) == word:
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


#: Bumped whenever what :meth:`FrequencyList.save` writes changes.
CACHE_FORMAT = 1


def _cache_key(path: str) -> str:
    """A name for the lookup of the wordfreq file at ``path`` as it is now (a changed or
    reinstalled file, another RAREST_ZIPF or format, gets a new one)."""
    stat = os.stat(path)
    described = f"{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}|{RAREST_ZIPF}|{CACHE_FORMAT}"
    return f"{Path(path).name.split('.')[0]}-{xxhash.xxh64_hexdigest(described.encode())}"


@functools.cache  # once per file: "de" and "de-AT" share the German list
def _read(path: str) -> FrequencyList:
    """The lookup of one wordfreq file: from the cache when it holds it, else built (about
    0.1 s and the list's size in memory, per process) and written there for the next run.
    A cache that cannot be written or read is passed over: it only saves time."""
    root = cache_folder("wordfreq")
    if root is None:
        return FrequencyList.from_wordfreq(path)
    folder = root / _cache_key(path)
    if folder.is_dir():
        try:
            return FrequencyList.load(folder)
        except (OSError, ValueError):
            shutil.rmtree(folder, ignore_errors=True)  # damaged: built again below
    built = FrequencyList.from_wordfreq(path)
    with contextlib.suppress(OSError):
        built.save(folder)
    return built


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
