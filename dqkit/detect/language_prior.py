"""The corpus prior: the language each source is written in, from the documents whose
language was detected with trust, counted over the whole corpus before it is used.

Every shard counts its trusted detections per source (the input file, the folder of a
.txt file, or the ``--source-field`` value) and language; the run sums the counts and
decides once, so the prior does not depend on how the corpus was cut into shards or how
many workers cleaned it. A source's prior is the language of at least
:data:`MIN_SHARE` of its trusted documents; a source with no trusted document takes the
corpus's prior, decided the same way over all sources.

>>> prior = decide_prior({"a.jsonl": {"en": 90, "sv": 2}, "b.jsonl": {"de": 3, "fr": 3}, "c.jsonl": {}})
>>> prior.language("a.jsonl"), prior.language("b.jsonl"), prior.language("c.jsonl"), prior.corpus
('en', None, 'en', 'en')
>>> round(prior.share("a.jsonl"), 3)
0.978
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MIN_SHARE = 0.5


def _dominant(counts: Mapping[str, int]) -> tuple[str, float] | None:
    total = sum(counts.values())
    if not total:
        return None
    lang, n = min(counts.items(), key=lambda item: (-item[1], item[0]))
    return (lang, n / total) if n / total > MIN_SHARE else None


@dataclass(frozen=True)
class LanguagePrior:
    """Per source: its prior language and the share of its trusted documents in it."""

    by_source: Mapping[str, tuple[str, float] | None] = field(default_factory=dict)
    corpus_prior: tuple[str, float] | None = None

    def _of(self, source: str) -> tuple[str, float] | None:
        return self.by_source.get(source, self.corpus_prior)

    def language(self, source: str) -> str | None:
        found = self._of(source)
        return found[0] if found else None

    def share(self, source: str) -> float | None:
        found = self._of(source)
        return found[1] if found else None

    @property
    def corpus(self) -> str | None:
        return self.corpus_prior[0] if self.corpus_prior else None


def decide_prior(counts: Mapping[str, Mapping[str, int]]) -> LanguagePrior:
    """The prior from ``counts``: per source, trusted documents per language."""
    overall: dict[str, int] = {}
    for per_language in counts.values():
        for lang, n in per_language.items():
            overall[lang] = overall.get(lang, 0) + n
    by_source = {
        source: _dominant(per_language) for source, per_language in counts.items() if sum(per_language.values())
    }
    return LanguagePrior(by_source, _dominant(overall))
