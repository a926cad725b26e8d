"""What GET /videos/{id} says about a video, read from the job's manifest (review stage)."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from trendreel.api.schemas import QCSummary, ScriptSummary, TopicSummary
from trendreel.errors import BlobNotFoundError
from trendreel.models import ChosenTopic, Manifest, QCReport, Script, Stage
from trendreel.ports import BlobStore
from trendreel.stages.context import key
from trendreel.stages.keys import MANIFEST

log = logging.getLogger(__name__)


def manifest(blobs: BlobStore, job_id: str) -> Manifest | None:
    try:
        return Manifest.model_validate_json(blobs.get_bytes(key(job_id, Stage.REVIEW, MANIFEST)))
    except BlobNotFoundError:
        return None
    except ValidationError:
        log.warning("manifest of job %s does not match the current schema", job_id)
        return None


def script_summary(found: Manifest) -> ScriptSummary | None:
    try:
        script = Script.model_validate(found.script)
    except ValidationError:
        return None
    return ScriptSummary(
        title=script.title,
        hook=script.hook,
        description=script.description,
        hashtags=script.hashtags,
        call_to_action=script.call_to_action,
        scene_count=len(script.scenes),
        narration_words=script.word_count(),
    )


def topic_summary(found: Manifest) -> TopicSummary | None:
    try:
        topic = ChosenTopic.model_validate(found.chosen_topic)
    except ValidationError:
        return None
    return TopicSummary(
        label=topic.label, reason=topic.reason, keywords=topic.keywords, hashtags=topic.hashtags
    )


def qc_summary(report: QCReport | None) -> QCSummary | None:
    if report is None:
        return None
    failed = [f"{c.name}: measured {c.measured}, expected {c.expected}" for c in report.failed()]
    return QCSummary(passed=report.passed, checks=len(report.checks), failed_checks=failed)
