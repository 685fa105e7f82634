"""The options of ``dqkit clean``, declared once: the command line's flags and the Python
API's keywords (:func:`dqkit.api.clean`) are these very click options, so both take the
same values, defaults and checks.

A keyword is the option's name without its dashes (``--no-langid`` is ``no_langid=True``,
``--rules`` is ``rules=[...]``).

>>> values = validate({"threshold": 0.8, "rules": "rules/"})
>>> values["threshold"], values["rules"], values["text_field"]
(0.8, ('rules/',), 'text')
>>> validate({"threshold": 2})
Traceback (most recent call last):
...
dqkit.errors.OptionsError: threshold: 2.0 is not in the range 0.05<=x<=1.0.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

import click

from dqkit.dedup.near import KEEP_POLICIES
from dqkit.detect.boilerplate import DEFAULT_MODE, MODES
from dqkit.detect.langid import DEFAULT_DETECTOR, DETECTORS
from dqkit.detect.language import DEFAULT_PREFIX_CHARS
from dqkit.errors import OptionsError
from dqkit.io.readers import MAX_EXPANSION, MAX_RECORD_BYTES
from dqkit.io.shards import DEFAULT_SHARD_DOCS


class FiniteFloat(click.FloatRange):
    """A float option in a range that also refuses NaN and infinities (a NaN passes every
    range check, and would turn dedup off or write NaN into report.json)."""

    name = "finite float"

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


#: Every option of ``dqkit clean`` but the output folder, in ``--help``'s order.
CLEAN_OPTIONS: tuple[click.Option, ...] = (
    click.Option(["--text-field"], default="text", show_default=True, help="Field holding the document text."),
    click.Option(
        ["--html-field"],
        default=None,
        help="Field holding a page's HTML (JSONL, Parquet): the text is its main text, extracted by trafilatura "
        "(pip install 'dqkit[web]').",
    ),
    click.Option(
        ["--id-field"],
        default="id",
        show_default=True,
        help="Field holding the document id (missing: ids are made from file and line).",
    ),
    click.Option(
        ["--lang-field"],
        default="lang",
        show_default=True,
        help="Field holding a known language; where set, language detection is skipped.",
    ),
    click.Option(
        ["--output-format"],
        type=click.Choice(["jsonl", "parquet"]),
        default=None,
        help="Format of clean.* and rejects.* [default: parquet for Parquet input, else jsonl].",
    ),
    click.Option(
        ["--rules"],
        multiple=True,
        type=click.Path(exists=True),
        help="Extra rule folder or file (repeatable); loaded after the built-in packs.",
    ),
    click.Option(["--no-builtin-rules"], is_flag=True, help="Use only the --rules folders."),
    click.Option(
        ["--config", "config"],
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        help="Rule settings (dqkit.toml or pyproject.toml [tool.dqkit]) [default: found in the current folder].",
    ),
    click.Option(
        ["--on-error"],
        type=click.Choice(["stop", "skip"]),
        default="stop",
        show_default=True,
        help="On an unreadable record: stop with file:line, or reject it and go on.",
    ),
    click.Option(
        ["--source-field"],
        default=None,
        help="Field naming a document's source (site, outlet) for the language prior and the repeated lines "
        "[default: the host of a `url` field, else its input file].",
    ),
    click.Option(
        ["--boilerplate"],
        type=click.Choice(MODES),
        default=DEFAULT_MODE,
        show_default=True,
        help="Boilerplate no rule names: `rules` removes only what rules name; `conservative` adds the line "
        "classifier's clear chrome and lines a source repeats across articles; `aggressive` takes more chrome "
        "and some content with it.",
    ),
    click.Option(["--no-langid"], is_flag=True, help="Do not detect languages (lang stays empty unless given)."),
    click.Option(
        ["--langid", "langid"],
        type=click.Choice(sorted(DETECTORS)),
        default=DEFAULT_DETECTOR,
        show_default=True,
        help="Language detector (see the README for how they compare).",
    ),
    click.Option(
        ["--lang-prefix-chars"],
        type=click.IntRange(50, 100_000),
        default=DEFAULT_PREFIX_CHARS,
        show_default=True,
        help="How much of the cleaned text language detection reads.",
    ),
    click.Option(
        ["--max-removed"],
        type=FiniteFloat(0, 1),
        default=0.5,
        show_default=True,
        help="Reject a document when rules removed more than this share of its characters.",
    ),
    click.Option(["--no-dedup"], is_flag=True, help="Keep duplicates."),
    click.Option(["--exact-only"], is_flag=True, help="Remove exact duplicates only (no MinHash near-dedup)."),
    click.Option(
        ["--threshold"],
        type=FiniteFloat(0.05, 1.0),
        default=0.5,
        show_default=True,
        help="Near-duplicate threshold: Jaccard similarity of word n-gram sets, verified per pair.",
    ),
    click.Option(["--ngram"], type=click.IntRange(1, 20), default=5, show_default=True, help="Words per shingle."),
    click.Option(
        ["--num-perm"], type=click.IntRange(16, 1024), default=128, show_default=True, help="MinHash permutations."
    ),
    click.Option(
        ["--index", "index"],
        type=click.Path(file_okay=False),
        default=None,
        help="Persistent near-duplicate index of earlier batches (created if missing; updated with this batch).",
    ),
    click.Option(["--batch"], default=None, help="This batch's name in the index [default: the output folder's name]."),
    click.Option(
        ["--keep"],
        type=click.Choice(KEEP_POLICIES),
        default="best",
        show_default=True,
        help="Which copy of a cluster stays: fewest repairs and MT flags, first in input, or longest.",
    ),
    click.Option(["--no-join-repair"], is_flag=True, help="Do not repair (or flag) missing-space joins."),
    click.Option(
        ["--drop-mt-above"],
        type=FiniteFloat(0, 1),
        default=None,
        help="Reject documents whose mt_score is above this (default: flag only, never drop).",
    ),
    click.Option(
        ["--mt-model"],
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        help="A model file of `dqkit mt train`, used for its language instead of the shipped one "
        "(languages without a model get only the artefact signals).",
    ),
    click.Option(
        ["--max-expansion"],
        type=FiniteFloat(1, None),
        default=MAX_EXPANSION,
        show_default=True,
        help="Refuse a compressed input that expands to more than this many times its size "
        "(and more than 256 MiB): a decompression bomb.",
    ),
    click.Option(
        ["--max-record-bytes"],
        type=click.IntRange(1, None),
        default=MAX_RECORD_BYTES,
        show_default=True,
        help="A record bigger than this (a JSONL line, a .txt file, a Parquet text) is not cleaned: it is a "
        "record_too_large reject holding its text.",
    ),
    click.Option(["--overwrite"], is_flag=True, help="Replace a non-empty output folder."),
    click.Option(
        ["--workers"],
        type=click.IntRange(1, 1024),
        default=None,
        help="Worker processes (or Ray CPUs) [default: all cores]. Outputs do not depend on it.",
    ),
    click.Option(
        ["--engine"],
        type=click.Choice(["local", "ray"]),
        default="local",
        show_default=True,
        help="local: worker processes on this machine; ray: Ray tasks (pip install 'dqkit[ray]').",
    ),
    click.Option(["--ray-address"], default=None, help="Ray cluster to join [default: start a local Ray]."),
    click.Option(["--resume"], is_flag=True, help="Reuse the finished shards of an interrupted run into the same OUT."),
    click.Option(
        ["--shard-docs"],
        type=click.IntRange(1, None),
        default=DEFAULT_SHARD_DOCS,
        show_default=True,
        help="Documents per shard (also the scope of within-shard evidence: joins, number scales).",
    ),
    click.Option(["-q", "--quiet"], is_flag=True, help="No progress output."),
)

_BY_NAME = {option.name: option for option in CLEAN_OPTIONS}


def validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` (option name: value; None or absent for the default) checked and converted
    as the command line checks its flags, with every other option at its default. An unknown
    name or a value the option refuses is an :class:`OptionsError` naming the option."""
    unknown = sorted(set(values) - set(_BY_NAME))
    if unknown:
        hints = [f"{name!r}" + _did_you_mean(name) for name in unknown]
        raise OptionsError(f"unknown option(s) of dqkit clean: {', '.join(hints)}")
    command = click.Command("clean", params=list(CLEAN_OPTIONS))
    # The defaults as the command line has them when no flag is given.
    context = command.make_context("clean", [])
    checked: dict[str, Any] = dict(context.params)
    for name, option in _BY_NAME.items():
        value = values.get(name)
        if value is None:
            continue
        if option.multiple and not isinstance(value, (list, tuple)):
            value = [value]  # one folder given where the option takes several
        try:
            checked[name] = option.type_cast_value(context, value)
        except click.BadParameter as exc:
            raise OptionsError(f"{name}: {exc.message}") from None
    return checked


def _did_you_mean(name: str) -> str:
    close = difflib.get_close_matches(name, _BY_NAME, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
