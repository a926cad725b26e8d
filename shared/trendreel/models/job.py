"""The Job document, task payloads and the review state of a finished video.

Large outputs live in blob storage; the document holds keys/URIs, states and times only, so it
stays far below Firestore's 1 MiB limit. All times are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from trendreel.models.config import ThemeConfig
from trendreel.models.publishing import Publication, PublishPlatform
from trendreel.models.stages import JobSpec, Stage
from trendreel.models.trends import TopicRecord, UsedTopic, VideoResult

INITIALIZATION = "initialization"
TOTAL_STAGES = len(Stage)
_STAGE_NAMES = frozenset(s.value for s in Stage)


def theme_key(theme: str) -> str:
    """The theme as topic history compares it: "Healthy  Cooking" and "healthy cooking" are
    the same theme."""
    return " ".join(theme.casefold().split())


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class Trigger(StrEnum):
    SCHEDULER = "scheduler"
    CLIENT = "client"
    CLI = "cli"


class ReviewStatus(StrEnum):
    GENERATED = "generated"  # waiting for a person
    APPROVED = "approved"
    REJECTED = "rejected"


class StageRun(BaseModel):
    attempts: int = 0  # every claim of the stage, in every run generation
    # Claims in run ``generation`` alone: the budget a stage whose function keeps dying (killed,
    # out of memory) spends before the job is failed instead of started yet again.
    generation: int = Field(default=0, ge=0)
    tries: int = Field(default=0, ge=0)
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    progress: float = Field(default=0.0, ge=0.0, le=1.0)
    message: str = ""


class JobError(BaseModel):
    stage: str
    code: str
    message: str
    retryable: bool
    attempt: int
    provider: str | None = None
    hint: str = ""


class Lease(BaseModel):
    """A claim on one stage by one delivery, valid until ``expires_at``. It is short (tens of
    seconds) and renewed by the holder's heartbeat while the stage runs, so a holder that died is
    noticed within about one lease."""

    holder: str
    stage: Stage
    expires_at: AwareDatetime


class Review(BaseModel):
    status: ReviewStatus = ReviewStatus.GENERATED
    reason: str | None = None
    reviewed_at: AwareDatetime | None = None


class VideoFacts(BaseModel):
    """What the video list shows without reading the manifest: recorded when review completes."""

    VIDEO_SUMMARY_KEY: ClassVar[str] = "video"

    title: str
    duration_seconds: float | None = None
    cost_usd: float = 0.0

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> VideoFacts | None:
        raw = summary.get(cls.VIDEO_SUMMARY_KEY)
        return None if raw is None else cls.model_validate(raw)


class Job(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{6,64}$")
    status: JobStatus = JobStatus.PENDING
    stage: str = INITIALIZATION
    completed_stages: list[Stage] = Field(default_factory=list)
    total_stages: int = TOTAL_STAGES
    theme: str
    config: ThemeConfig
    config_path: str | None = None
    idempotency_key: str | None = None
    # What the request that used idempotency_key asked for: a replay must ask for the same.
    idempotency_fingerprint: str | None = None
    trigger: Trigger = Trigger.CLIENT
    generation: int = Field(default=1, ge=1, description="run generation; bumped by retry")
    sweeps: int = Field(
        default=0, ge=0, description="re-enqueues of the current stage by the sweeper"
    )
    stages: dict[Stage, StageRun] = Field(default_factory=dict)
    artifacts: dict[Stage, dict[str, str]] = Field(default_factory=dict)
    error: JobError | None = None
    error_message: str | None = None
    lease: Lease | None = None
    review: Review | None = None
    # Recorded when trend_analysis completes: later jobs on the theme avoid repeating it.
    topic: TopicRecord | None = None
    video: VideoFacts | None = None
    # The approved video's posts, one per platform (models.publishing).
    publications: dict[PublishPlatform, Publication] = Field(default_factory=dict)
    # When a publication next needs a look: a metrics reading, or a post still queued whose
    # task may never have been created (the collector's and the sweeper's query). None: never.
    publications_due_at: AwareDatetime | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime

    def spec(self) -> JobSpec:
        inputs: dict[str, Any] = {"trigger": self.trigger.value}
        if self.config_path:
            inputs["config_path"] = self.config_path
        return JobSpec(
            job_id=self.id, config=self.config, created_at=self.created_at, inputs=inputs
        )

    def used_topic(self) -> UsedTopic | None:
        if self.topic is None:
            return None
        return UsedTopic(job_id=self.id, topic=self.topic, result=self.video_result())

    def video_result(self) -> VideoResult | None:
        """The best-read publication's latest numbers (None until one has been read)."""
        latest = [
            (pub.platform.value, pub.metrics[-1])
            for pub in self.publications.values()
            if pub.metrics
        ]
        if not latest:
            return None
        platform, reading = max(latest, key=lambda pair: pair[1].views)
        return VideoResult(
            platform=platform,
            checkpoint=reading.checkpoint,
            views=reading.views,
            likes=reading.likes,
            comments=reading.comments,
        )

    def next_stage(self) -> Stage | None:
        """The first stage not yet completed, in pipeline order."""
        return next((s for s in Stage if s not in self.completed_stages), None)

    def progress_pct(self) -> float:
        done = len(self.completed_stages)
        running = self.stages.get(Stage(self.stage)) if self.stage in _STAGE_NAMES else None
        partial = running.progress if running and self.status == JobStatus.RUNNING else 0.0
        return round(100.0 * min(done + partial, self.total_stages) / self.total_stages, 1)


class TaskPayload(BaseModel):
    """What a stage task carries: which job, which stage, which run generation, and which of the
    stage's tasks it is (``sweep``: re-enqueued by the sweeper; ``defer``: a follow-up made when
    a delivery met another delivery's live lease)."""

    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(pattern=r"^[A-Za-z0-9_-]{6,64}$")
    stage: Stage
    generation: int = Field(ge=1)
    sweep: int = Field(default=0, ge=0, le=1000)
    defer: int = Field(default=0, ge=0, le=100_000)

    @property
    def function(self) -> str:
        """The function this task is delivered to: the stage's own."""
        return self.stage.value
