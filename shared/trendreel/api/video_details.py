"""What GET /videos/{id} says about a video, read from the job's manifest (review stage)."""

from __future__ import annotations

import logging
from itertools import groupby

from pydantic import TypeAdapter, ValidationError

from trendreel.api.schemas import CaptionLine, QCSummary, ScriptSummary, TopicSummary
from trendreel.errors import BlobNotFoundError
from trendreel.models import CaptionCue, ChosenTopic, Manifest, QCReport, Script, Stage
from trendreel.ports import BlobStore
from trendreel.stages.context import key
from trendreel.stages.keys import CAPTIONS, MANIFEST

_CUES = TypeAdapter(list[CaptionCue])

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
        narration=[scene.narration for scene in script.scenes],
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


def captions(blobs: BlobStore, job_id: str) -> list[CaptionLine]:
    """The caption chunks composition burnt in (its cues, one per word, grouped by chunk)."""
    try:
        cues = _CUES.validate_json(blobs.get_bytes(key(job_id, Stage.COMPOSITION, CAPTIONS)))
    except BlobNotFoundError:
        return []
    except ValidationError:
        log.warning("captions of job %s do not match the current schema", job_id)
        return []
    ordered = sorted(cues, key=lambda cue: (cue.chunk_index, cue.word_index))
    lines = []
    for _, group in groupby(ordered, key=lambda cue: cue.chunk_index):
        words = list(group)
        text = " ".join(cue.word for cue in words)
        lines.append(CaptionLine(start=words[0].start, end=words[-1].end, text=text))
    return lines
