"""What deduplication across shards needs of each surviving document: its ranking for the
keep policy, and its MinHash signature (near) or key hash (exact)."""

from __future__ import annotations

import numpy as np
import polars as pl

from dqkit.dedup.exact import key_hashes
from dqkit.dedup.near import ranking_columns
from dqkit.dedup.signatures import Scheme, signatures
from dqkit.frames import DOC, QUALITY
from dqkit.kinds import EditKind
from dqkit.stages.base import Batch, StageContext


class DedupKeys:
    name = "dedup_keys"
    edit_kinds = ()
    reject_reasons = ()

    def run(self, batch: Batch, context: StageContext) -> None:
        # keep=best takes the copy with the fewest damaged spots, MT artefacts among them (each an
        # mt_flagged edit), then the longest. Not the learned MT probability: copies of one story
        # share their wording, and its small differences would outvote the length.
        damage = (
            pl.concat(batch.edits).filter(pl.col("kind").is_in(EditKind.damaging())).group_by(DOC).len(name="_damage")
        )
        quality = pl.col("_damage").fill_null(0).cast(pl.Float64)
        batch.docs = (
            batch.docs.join(damage, on=DOC, how="left", maintain_order="left")
            .with_columns(quality.alias(QUALITY), ranking_columns(pl.col("text")))
            .drop("_damage")
        )
        options = context.options
        if options.dedup == "near":
            batch.signatures = _signatures(batch.docs["text"], options.near.scheme)
        elif options.dedup == "exact":
            batch.docs = batch.docs.with_columns(key_hashes(batch.docs["text"]))


#: Documents whose signatures are computed at a time: a signature is of its document alone,
#: and a whole shard's words and shingles at once took about 80 MiB (10k Reuters stories).
SIGNATURE_DOCS = 2_000


def _signatures(texts: pl.Series, scheme: Scheme) -> np.ndarray:
    """The MinHash signature matrix of ``texts``, :data:`SIGNATURE_DOCS` at a time."""
    parts = [
        signatures(texts.slice(start, SIGNATURE_DOCS), scheme)[0] for start in range(0, len(texts), SIGNATURE_DOCS)
    ]
    return np.concatenate(parts) if parts else signatures(texts, scheme)[0]
