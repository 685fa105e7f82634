"""The stages of cleaning one shard, in order (see :mod:`dqkit.stages.base` for the contract).

>>> [stage.name for stage in default_stages()]  # doctest: +NORMALIZE_WHITESPACE
['given_language', 'normalise', 'empty_text', 'rules', 'language', 'line_scores', 'language_prior',
 'rescope', 'boilerplate', 'assemble', 'joins', 'mt_signals', 'guard', 'mt_drop', 'dedup_keys']
"""

from __future__ import annotations

from dqkit.stages.base import Batch, Stage, StageContext
from dqkit.stages.boilerplate import RemoveBoilerplate, ScoreLines
from dqkit.stages.dedup_keys import DedupKeys
from dqkit.stages.guard import Guard
from dqkit.stages.joins import RepairJoins
from dqkit.stages.language import DetectLanguage, GivenLanguage, Rescope, SettleLanguage
from dqkit.stages.lines import Assemble, MatchRules
from dqkit.stages.mt import DropMt, MtSignals
from dqkit.stages.normalise import EmptyText, Normalise

__all__ = ["Batch", "Stage", "StageContext", "default_stages"]


def default_stages() -> tuple[Stage, ...]:
    return (
        GivenLanguage(),
        Normalise(),
        EmptyText(),
        MatchRules(),
        DetectLanguage(),
        ScoreLines(),
        SettleLanguage(),  # the first stage that reads the corpus facts: the survey ends before it
        Rescope(),
        RemoveBoilerplate(),
        Assemble(),
        RepairJoins(),
        MtSignals(),
        Guard(),
        DropMt(),
        DedupKeys(),
    )
