"""What a platform is sent: the finished video and thumbnail from the blob store, and a title,
description and tags taken from the video's script."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from trendreel.errors import BlobNotFoundError, InvalidStateError
from trendreel.media.probe import probe
from trendreel.models import Job, Manifest, Script, Stage
from trendreel.models.publishing import Privacy
from trendreel.ports import BlobStore
from trendreel.providers.publish.base import PublishRequest
from trendreel.stages.context import key
from trendreel.stages.keys import MANIFEST, THUMBNAIL, VIDEO

#: YouTube refuses titles over 100 characters and with angle brackets.
TITLE_LIMIT = 100
_ANGLES = re.compile(r"[<>]")


def script_of(blobs: BlobStore, job: Job) -> Script:
    try:
        found = Manifest.model_validate_json(blobs.get_bytes(key(job.id, Stage.REVIEW, MANIFEST)))
    except BlobNotFoundError as exc:
        raise InvalidStateError(
            f"video {job.id} has no manifest to take its title from", code="video_not_ready"
        ) from exc
    return Script.model_validate(found.script)


def _duration(job: Job, video: Path) -> float:
    """What review measured (kept on the job); only a job finished before that was recorded
    has its file probed again."""
    if job.video is not None and job.video.duration_seconds is not None:
        return job.video.duration_seconds
    return probe(video).video_seconds


def publish_request(
    job: Job,
    blobs: BlobStore,
    scratch: Path,
    privacy: Privacy,
    publish_at: datetime | None,
    made_for_kids: bool,
) -> PublishRequest:
    """Download the video (and thumbnail) into ``scratch`` and describe it for a platform."""
    script = script_of(blobs, job)
    video = blobs.get_file(key(job.id, Stage.COMPOSITION, VIDEO), scratch / VIDEO)
    thumbnail: Path | None = scratch / THUMBNAIL
    try:
        blobs.get_file(key(job.id, Stage.COMPOSITION, THUMBNAIL), scratch / THUMBNAIL)
    except BlobNotFoundError:
        thumbnail = None  # the video still goes up; the platform picks a frame
    tags = [tag.lstrip("#") for tag in script.hashtags if tag.lstrip("#")]
    hashtags = " ".join(f"#{tag}" for tag in tags)
    description = f"{script.description}\n\n{hashtags}".strip() if hashtags else script.description
    return PublishRequest(
        job_id=job.id,
        video_path=video,
        size=video.stat().st_size,
        duration_seconds=_duration(job, video),
        title=_ANGLES.sub("", script.title).strip()[:TITLE_LIMIT],
        description=description,
        tags=tags,
        privacy=privacy,
        made_for_kids=made_for_kids,
        publish_at=publish_at,
        thumbnail_path=thumbnail,
    )
