"""Pure ``Job -> Job`` transitions of a video's publications, applied inside
``JobStore.update`` like every other change to a job.

The rules that make publishing safe: nothing is published without a person's approval; a
platform with a post in flight or already published is never asked again (nothing twice); a
failed publication may be asked again, in a new generation that keeps the recorded session, so
the retry resumes the same upload instead of starting another.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from trendreel.errors import InvalidStateError, LeaseHeldError
from trendreel.lifecycle import StaleDeliveryError
from trendreel.models import Job, JobStatus, ReviewStatus
from trendreel.models.publishing import (
    MetricReading,
    Privacy,
    Publication,
    PublicationError,
    PublicationStatus,
    PublishPlatform,
    RemoteSession,
)
from trendreel.providers.publish.base import PublishResult

#: A queued post whose task has not started by then is queued again (a lost enqueue).
REDRIVE_AFTER = timedelta(minutes=5)
#: When the numbers are read, after publishing.
CHECKPOINTS: tuple[tuple[str, timedelta], ...] = (
    ("1h", timedelta(hours=1)),
    ("24h", timedelta(hours=24)),
    ("7d", timedelta(days=7)),
)


def request(
    job: Job,
    platforms: list[PublishPlatform],
    privacy: Privacy,
    publish_at: datetime | None,
    requested_by: str,
    now: datetime,
) -> Job:
    """Ask for ``platforms``; only an approved video. A platform already published or in
    flight is left as it is; a failed one starts a new generation."""
    if job.status != JobStatus.COMPLETED or job.review is None:
        raise InvalidStateError(f"job {job.id} has no video yet", code="video_not_ready")
    if job.review.status == ReviewStatus.GENERATED:
        raise InvalidStateError(
            f"video {job.id} is waiting for review: approve it before publishing",
            code="video_not_approved",
        )
    if job.review.status != ReviewStatus.APPROVED:
        raise InvalidStateError(
            f"video {job.id} was {job.review.status.value}: only approved videos are published",
            code="video_not_approved",
        )
    publications = dict(job.publications)
    for platform in platforms:
        current = publications.get(platform)
        if current is not None and (
            current.active or current.status == PublicationStatus.PUBLISHED
        ):
            continue
        publications[platform] = _asked(current, platform, privacy, publish_at, requested_by, now)
    return _with_all(job, publications, now)


def _asked(
    current: Publication | None,
    platform: PublishPlatform,
    privacy: Privacy,
    publish_at: datetime | None,
    requested_by: str,
    now: datetime,
) -> Publication:
    fields = {
        "status": PublicationStatus.QUEUED,
        "privacy": privacy,
        "publish_at": publish_at,
        "requested_by": requested_by,
        "requested_at": now,
        "updated_at": now,
        "error": None,
        "lease_holder": None,
        "lease_expires_at": None,
        "redrive_at": now + REDRIVE_AFTER,
    }
    if current is None:
        return Publication(platform=platform, **fields)  # type: ignore[arg-type]
    # A failed publication asked again: same recorded session (resume, never a second upload).
    return current.model_copy(update={**fields, "generation": current.generation + 1})


def _publication(job: Job, platform: PublishPlatform, generation: int) -> Publication:
    pub = job.publications.get(platform)
    if pub is None or pub.generation != generation:
        raise StaleDeliveryError(f"{platform.value} publication of {job.id} has moved on")
    return pub


def _with(job: Job, pub: Publication, now: datetime) -> Job:
    publications = {**job.publications, pub.platform: pub.model_copy(update={"updated_at": now})}
    return _with_all(job, publications, now)


def _with_all(job: Job, publications: dict[PublishPlatform, Publication], now: datetime) -> Job:
    """The job with these publications, and when the earliest of them next needs a look."""
    due = [t for p in publications.values() for t in (p.metrics_due_at, p.redrive_at) if t]
    update = {
        "publications": publications,
        "updated_at": now,
        "publications_due_at": min(due, default=None),
    }
    return job.model_copy(update=update)


def claim(
    job: Job,
    platform: PublishPlatform,
    generation: int,
    holder: str,
    now: datetime,
    lease_seconds: float,
) -> Job:
    """Take the publication for one delivery, with a short lease its heartbeat renews."""
    pub = _publication(job, platform, generation)
    if not pub.active:
        raise StaleDeliveryError(f"{platform.value} publication of {job.id} is {pub.status}")
    live = pub.lease_expires_at is not None and pub.lease_expires_at > now
    if live and pub.lease_holder != holder:
        assert pub.lease_expires_at is not None
        wait = max(int((pub.lease_expires_at - now).total_seconds()) + 1, 1)
        raise LeaseHeldError(f"publish to {platform.value}", wait)
    claimed = pub.model_copy(
        update={
            "lease_holder": holder,
            "lease_expires_at": now + timedelta(seconds=lease_seconds),
            "attempts": pub.attempts + 1,
            "started_at": pub.started_at or now,
            "redrive_at": None,  # the delivery protocol has it now
        }
    )
    return _with(job, claimed, now)


def _held(job: Job, platform: PublishPlatform, holder: str) -> Publication:
    pub = job.publications.get(platform)
    if pub is None or pub.lease_holder != holder:
        raise StaleDeliveryError(f"the lease on the {platform.value} publication was lost")
    return pub


def renew(job: Job, platform: PublishPlatform, holder: str, now: datetime, lease: float) -> Job:
    pub = _held(job, platform, holder)
    return _with(
        job, pub.model_copy(update={"lease_expires_at": now + timedelta(seconds=lease)}), now
    )


def release(job: Job, platform: PublishPlatform, holder: str, now: datetime) -> Job:
    pub = _held(job, platform, holder)
    return _with(job, pub.model_copy(update={"lease_holder": None, "lease_expires_at": None}), now)


def record_session(
    job: Job, platform: PublishPlatform, holder: str, session: RemoteSession, now: datetime
) -> Job:
    """Saved before the first byte goes up: every later attempt asks this session first."""
    pub = _held(job, platform, holder)
    updated = pub.model_copy(update={"session": session, "status": PublicationStatus.UPLOADING})
    return _with(job, updated, now)


def finish(
    job: Job, platform: PublishPlatform, holder: str, result: PublishResult, now: datetime
) -> Job:
    """The platform has the video: processing, or published (then metrics fall due)."""
    pub = _held(job, platform, holder)
    published = result.status == "published"
    updated = pub.model_copy(
        update={
            "status": PublicationStatus.PUBLISHED if published else PublicationStatus.PROCESSING,
            "remote_id": result.remote_id,
            "url": result.url or pub.url,
            "privacy_note": result.privacy_note or pub.privacy_note,
            "published_at": (pub.published_at or now) if published else None,
            "metrics_due_at": now + CHECKPOINTS[0][1] if published else None,
            "lease_holder": None,
            "lease_expires_at": None,
        }
    )
    return _with(job, updated, now)


def fail(
    job: Job, platform: PublishPlatform, generation: int, error: PublicationError, now: datetime
) -> Job:
    pub = _publication(job, platform, generation)
    updated = pub.model_copy(
        update={
            "status": PublicationStatus.FAILED,
            "error": error,
            "lease_holder": None,
            "lease_expires_at": None,
        }
    )
    return _with(job, updated, now)


def redriven(job: Job, platform: PublishPlatform, now: datetime) -> Job:
    """Its task was queued again: look again after another ``REDRIVE_AFTER`` if still queued."""
    pub = job.publications.get(platform)
    if pub is None or pub.status != PublicationStatus.QUEUED:
        raise StaleDeliveryError(f"{platform.value} publication of {job.id} is not queued")
    return _with(job, pub.model_copy(update={"redrive_at": now + REDRIVE_AFTER}), now)


def add_reading(job: Job, platform: PublishPlatform, reading: MetricReading, now: datetime) -> Job:
    """Store one reading and move the publication's next due time to the following checkpoint
    (a repeated reading of the same checkpoint replaces it: the collector may run twice)."""
    pub = job.publications.get(platform)
    if pub is None or pub.published_at is None:
        raise StaleDeliveryError(f"{platform.value} publication of {job.id} is not published")
    readings = [r for r in pub.metrics if r.checkpoint != reading.checkpoint] + [reading]
    readings.sort(key=lambda r: r.read_at)
    due = next_due(pub.published_at, {r.checkpoint for r in readings})
    return _with(job, pub.model_copy(update={"metrics": readings, "metrics_due_at": due}), now)


def next_due(published_at: datetime, done: set[str]) -> datetime | None:
    """The checkpoint after the latest one read (earlier ones a collector missed stay missed:
    a 1 h reading taken a day late would be a 24 h reading)."""
    names = [name for name, _ in CHECKPOINTS]
    latest = max((names.index(name) for name in done if name in names), default=-1)
    later = CHECKPOINTS[latest + 1 :]
    return published_at + later[0][1] if later else None


def due_checkpoint(pub: Publication, now: datetime) -> str | None:
    """The latest checkpoint due now and not yet read (a collector that was down reads the
    latest one it missed, not a stale earlier one)."""
    if pub.published_at is None:
        return None
    due = [name for name, after in CHECKPOINTS if pub.published_at + after <= now]
    if not due or due[-1] in {r.checkpoint for r in pub.metrics}:
        return None
    return due[-1]
