"""Publications: a finished, approved video posted to a platform, and the numbers it gets there.

One ``Publication`` per platform lives on the job document (``Job.publications``). Its
``session`` is recorded *before the first byte is sent* (YouTube's resumable session URI,
TikTok's ``publish_id`` and upload URL): a retry asks the platform where that session stands and
resumes or records the finished upload instead of starting a second one. Nothing is published
twice. All times are timezone-aware UTC.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class PublishPlatform(StrEnum):
    YOUTUBE = "youtube"
    TIKTOK = "tiktok"


class Privacy(StrEnum):
    """What the creator asked for. TikTok maps these onto the privacy levels its
    ``creator_info/query`` offers (an unaudited app can only post ``private``)."""

    PRIVATE = "private"
    UNLISTED = "unlisted"
    PUBLIC = "public"


class PublicationStatus(StrEnum):
    QUEUED = "queued"  # asked for; its task is queued
    UPLOADING = "uploading"  # a session is recorded, bytes are going up
    PROCESSING = "processing"  # uploaded; the platform is processing or publishing it
    PUBLISHED = "published"
    FAILED = "failed"


class RemoteSession(BaseModel):
    """What the platform handed out before the first byte: enough to ask it, on any retry,
    where the upload stands. Never shown by the api (an upload URL is a capability)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["youtube_resumable", "tiktok_direct_post"]
    # YouTube: the resumable session URI; TikTok: the upload_url from video/init. A capability:
    # kept out of reprs (and so out of logs and test failure messages).
    upload_url: str = Field(repr=False)
    publish_id: str | None = None  # TikTok's publish_id
    size: int = Field(ge=0)  # the bytes the session was opened for
    chunk_size: int | None = Field(default=None, ge=1)  # TikTok: the chunk size declared at init
    opened_at: AwareDatetime


class PublicationError(BaseModel):
    platform: PublishPlatform
    code: str  # e.g. quotaExceeded, publish_failed, provider_auth_failed
    message: str  # names the platform and the cause
    hint: str  # what to do about it
    retryable: bool


class MetricReading(BaseModel):
    """One reading of a published video's numbers, about 1 h, 24 h or 7 d after publishing."""

    checkpoint: Literal["1h", "24h", "7d"]
    read_at: AwareDatetime
    views: int = Field(ge=0)
    likes: int = Field(ge=0)
    comments: int = Field(ge=0)


class Publication(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: PublishPlatform
    status: PublicationStatus = PublicationStatus.QUEUED
    privacy: Privacy = Privacy.PRIVATE
    publish_at: AwareDatetime | None = None  # scheduled publishing, where the platform has it
    # Bumped by each new request to publish after a failure: a new task name and attempt budget.
    generation: int = Field(default=1, ge=1)
    requested_by: Literal["api", "auto_post", "cli"] = "api"
    requested_at: AwareDatetime
    started_at: AwareDatetime | None = None
    published_at: AwareDatetime | None = None
    updated_at: AwareDatetime
    remote_id: str | None = None  # YouTube video id, TikTok post id (or publish_id until known)
    url: str | None = None
    # Why a post ended up private although public was asked for (TikTok: an unaudited app).
    privacy_note: str | None = None
    session: RemoteSession | None = None
    error: PublicationError | None = None
    attempts: int = Field(default=0, ge=0)  # claims of the publish task, all generations
    # The delivery working on it now, until ``lease_expires_at`` (short, heartbeat-renewed, as
    # a stage's lease): of two concurrent deliveries of one task, one uploads.
    lease_holder: str | None = None
    lease_expires_at: AwareDatetime | None = None
    metrics: list[MetricReading] = Field(default_factory=list)
    # When the next metrics reading is due (1 h, 24 h, 7 d after publishing); None: no more.
    metrics_due_at: AwareDatetime | None = None
    # A queued post not claimed by then has its task queued again by the sweeper (its name is
    # deterministic, so a task that exists is not duplicated); cleared by the first claim.
    redrive_at: AwareDatetime | None = None

    @property
    def active(self) -> bool:
        """Asked for and not yet finished: a new request for this platform changes nothing."""
        return self.status in (
            PublicationStatus.QUEUED,
            PublicationStatus.UPLOADING,
            PublicationStatus.PROCESSING,
        )


class PublishTask(BaseModel):
    """What a publish task carries: which video (job), which platform, which request."""

    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(pattern=r"^[A-Za-z0-9_-]{6,64}$")
    platform: PublishPlatform
    generation: int = Field(ge=1)
    defer: int = Field(default=0, ge=0, le=100_000)

    @property
    def function(self) -> str:
        return "publish"
