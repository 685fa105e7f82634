"""The detectors that remove lines no rule of the rule set names, declared for the report.

The boilerplate stage (:mod:`dqkit.stages.boilerplate`) removes lines with its own rule ids
(``model.boilerplate``, ``corpus.repeated-line``): ``line_removed`` edits with the content
probability in ``score``. report.json lists each detector as it lists a rule, so that
report.html, report.md, ``dqkit diff`` and the gates treat it like one: an entry in
``rule_hits`` when it removed something (:func:`dqkit.report.summary.build_report`), and a
definition hash in ``rules.definitions`` whenever the run's options switch it on, so that a
detector that never fired counts 0 and a refitted model shows as "definition changed".
``rules.count`` stays the number of rules of the rule set.

The learned MT models (:mod:`dqkit.detect.mt_model`) remove nothing and have no
``rule_hits``; each model a run uses still has a definition hash, ``mt.model.<lang>``
(:func:`mt_model_definitions`), so that ``dqkit diff`` says "definition changed" when
``--mt-model`` or a retrained shipped model changes the probabilities.

>>> [detector.rule_id for detector in DETECTORS]
['model.boilerplate', 'corpus.repeated-line']
>>> detector_definitions({"boilerplate": "rules"})
{}
>>> list(mt_model_definitions({"mt_model": None}))
['mt.model.de']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from dqkit.detect.boilerplate import DECISION_VERSION, load_model
from dqkit.detect.mt_model import models_for
from dqkit.rules.fingerprint import short_hash
from dqkit.stages.boilerplate import MIN_ARTICLES, MODEL_RULE, REPEATED_RULE

ACTION = "remove"  # what a detector does to a line (a rule's action is one of its YAML actions)
CATEGORY = "boilerplate"
MT_MODEL_ID = "mt.model.{lang}"  # the definition id of a learned MT model


@dataclass(frozen=True)
class Detector:
    rule_id: str
    message: str
    settings: Mapping[str, object]  # the stage's constants that decide its removals, besides the model


DETECTORS = (
    Detector(
        MODEL_RULE,
        "The boilerplate classifier (--boilerplate) scored the line as chrome: its content probability "
        "(score) is below the mode's threshold.",
        {},
    ),
    Detector(
        REPEATED_RULE,
        f"A short line that at least {MIN_ARTICLES} distinct articles of the document's source share, "
        "with a content probability (score) below the model's threshold for repeated lines.",
        {"min_articles": MIN_ARTICLES},
    ),
)
DETECTOR_IDS = tuple(detector.rule_id for detector in DETECTORS)


def detector_definitions(options: Mapping) -> dict[str, str]:
    """A definition hash per detector that ``options`` (report.json's) switch on: over the
    mode, the shipped model's numbers (its thresholds included; not its ``about`` notes), the
    version of the features and decision code and the detector's settings."""
    mode = options["boilerplate"]
    if mode == "rules":
        return {}
    model = {key: value for key, value in dataclasses.asdict(load_model()).items() if key != "about"}
    return {d.rule_id: short_hash([d.rule_id, mode, model, DECISION_VERSION, dict(d.settings)]) for d in DETECTORS}


def mt_model_definitions(options: Mapping) -> dict[str, str]:
    """A definition hash per learned MT model the run uses, by ``mt.model.<lang>``: the
    shipped models, and ``--mt-model`` (report.json's ``options.mt_model``) in place of the
    one of its language (:meth:`dqkit.detect.mt_model.MtModel.definition_hash`)."""
    models = models_for(options.get("mt_model"))
    return {MT_MODEL_ID.format(lang=lang): models[lang].definition_hash() for lang in sorted(models)}
