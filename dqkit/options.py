"""What a ``dqkit clean`` run computes (:class:`CleanOptions`, recorded in report.json) and
how it is carried out (:class:`RunSettings`, which never changes an output)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from dqkit.dedup.near import NearDupOptions
from dqkit.detect.boilerplate import DEFAULT_MODE
from dqkit.detect.langid import DEFAULT_DETECTOR
from dqkit.detect.language import DEFAULT_PREFIX_CHARS
from dqkit.io.readers import MAX_EXPANSION, MAX_RECORD_BYTES
from dqkit.io.shards import DEFAULT_SHARD_DOCS


@dataclass(frozen=True)
class CleanOptions:
    text_field: str = "text"
    id_field: str = "id"
    lang_field: str = "lang"
    on_error: str = "stop"
    output_format: str | None = None  # jsonl | parquet; None: parquet for parquet input
    rule_dirs: tuple[str, ...] = ()
    builtin_rules: bool = True
    detect_language: bool = True
    langid: str = DEFAULT_DETECTOR  # the language detector (dqkit.detect.langid.DETECTORS)
    source_field: str | None = None  # the field naming a document's source (default: its input file)
    lang_prefix_chars: int = DEFAULT_PREFIX_CHARS
    max_removed_fraction: float = 0.5
    dedup: str = "near"  # near | exact | none
    near: NearDupOptions = field(default_factory=NearDupOptions)
    overwrite: bool = False
    config: str | None = None  # dqkit.toml / pyproject.toml; None: look in the current folder
    index: str | None = None  # a persistent near-duplicate index folder
    batch: str | None = None  # this batch's name in the index (default: the output folder's name)
    repair_joins: bool = True
    boilerplate: str = DEFAULT_MODE  # rules | conservative | aggressive (dqkit.detect.boilerplate)
    drop_mt_above: float | None = None  # reject documents whose mt_score is above this
    mt_model: str | None = None  # a model file (dqkit mt train) for its language; None: the shipped ones
    max_expansion: float = MAX_EXPANSION  # a compressed input may expand this many times (bomb guard)
    max_record_bytes: int = MAX_RECORD_BYTES  # a bigger record is a reject (record_too_large)
    html_field: str | None = None  # JSONL/Parquet: the text is the main text of this field's HTML (dqkit[web])


# Options that report.json records only when they are set: added after runs that did not
# have them, they leave those runs' reports (and options_hash) as they were.
_RECORDED_WHEN_SET = ("html_field",)


def recorded_options(options: CleanOptions) -> dict:
    """The options as report.json records them."""
    return {k: v for k, v in asdict(options).items() if k not in _RECORDED_WHEN_SET or v is not None}


@dataclass(frozen=True)
class RunSettings:
    """How a run is carried out (not what it computes: outputs do not depend on these)."""

    workers: int = 1
    engine: str = "local"  # local | ray
    ray_address: str | None = None
    resume: bool = False
    shard_docs: int = DEFAULT_SHARD_DOCS
