"""Request and response bodies of the api: the one source for validation and the OpenAPI document.

Request models forbid unknown fields, so a typo is a 400 that names it instead of being ignored.
Response models reuse the domain models (JobError, Review, TrendReport, ...) where they fit. Text
the server wrote for itself (a stage's error, a trend source's error, an asset's source) goes
through ``without_server_paths``: a response names blob keys and file names, never the server's
folders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from trendreel.api.errors import without_server_paths
from trendreel.models import JobError, JobStatus, Platform, Review, ReviewStatus, Stage, Trigger
from trendreel.models.publishing import (
    MetricReading,
    Privacy,
    PublicationError,
    PublicationStatus,
    PublishPlatform,
)
from trendreel.models.reports import Asset
from trendreel.models.trends import ScoredTrendItem, SourceReport, TrendReport

JOB_ID_PATTERN = r"^[A-Za-z0-9_-]{6,64}$"
CURSOR_PATTERN = JOB_ID_PATTERN  # a page's cursor is the id of its last job (job_queries)
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"  # printable ASCII, no spaces
MAX_EXPIRES = 253_402_300_799  # 9999-12-31T23:59:59Z: a bound the document can state
RESERVED_KEY_PREFIX = "scheduler:"  # Cloud Scheduler's runs: scheduler:{job name}:{time}
#: Either half of a scheduled run's key, ``scheduler:{job name}:{time}`` (at most 200 characters).
_SCHEDULER_PART_PATTERN = r"^[\x21-\x7e]{1,188}$"


@dataclass(frozen=True)
class RequestHeader:
    """A request header the api reads, as the OpenAPI document describes it."""

    schema: dict[str, Any]  # JSON Schema of the values the api accepts
    note: str = ""  # appended to the route's description of the header, after "; "
    companions: tuple[tuple[str, str], ...] = ()  # headers sent and read with it: (name, text)


REQUEST_HEADERS: dict[str, RequestHeader] = {
    "Idempotency-Key": RequestHeader(
        {
            "type": "string",
            "pattern": IDEMPOTENCY_KEY_PATTERN,
            # Any case: Cloud Scheduler's runs use these keys, so no client can take one over.
            "not": {"pattern": "^[Ss][Cc][Hh][Ee][Dd][Uu][Ll][Ee][Rr]:"},
        },
        "1 to 200 printable ASCII characters without spaces; keys starting with "
        f"'{RESERVED_KEY_PREFIX}' (in any case) are reserved for Cloud Scheduler's runs",
    ),
    "X-CloudScheduler": RequestHeader(
        {"type": "string"},
        "any value (Cloud Scheduler sends true)",
        companions=(
            (
                "X-CloudScheduler-JobName",
                "set by Cloud Scheduler: its job's name. With X-CloudScheduler-ScheduleTime it "
                "names one scheduled run, so a second delivery of the run finds the job the "
                "first one created (on Google Cloud, only from the scheduler's service account)",
            ),
            (
                "X-CloudScheduler-ScheduleTime",
                "set by Cloud Scheduler: the run's planned time (RFC 3339), the same on every "
                "delivery of the run. 'scheduler:{job name}:{time}' must be at most 200 "
                "characters",
            ),
        ),
    ),
    "X-CloudScheduler-JobName": RequestHeader(
        {"type": "string", "pattern": _SCHEDULER_PART_PATTERN}
    ),
    "X-CloudScheduler-ScheduleTime": RequestHeader(
        {"type": "string", "pattern": _SCHEDULER_PART_PATTERN}
    ),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- request bodies ---------------------------------------------------------------------------


class GenerateRequest(Strict):
    theme: str | None = Field(
        default=None, min_length=1, max_length=120, description="overrides config.theme"
    )
    config_path: str | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        description="a YAML/JSON theme config, relative to the server's config root",
    )
    # A plain object here: trendreel.config validates it, with messages naming the failing
    # field. The OpenAPI document still describes it as a ThemeConfig.
    config: dict[str, Any] | None = Field(default=None, description="an inline theme config")


class RetryRequest(Strict):
    """Retry takes no options: an empty object or no body at all."""


class ReviewRequest(Strict):
    reason: str | None = Field(default=None, max_length=500)


# --- query strings ----------------------------------------------------------------------------


class JobsQuery(Strict):
    status: JobStatus | None = None
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, pattern=CURSOR_PATTERN)


class VideoStatus(StrEnum):
    """A video's state: waiting for a person, decided, or live on at least one platform."""

    GENERATED = "generated"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"


class VideosQuery(Strict):
    status: VideoStatus | None = None
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, pattern=CURSOR_PATTERN)


class TrendsQuery(Strict):
    platform: Platform | None = None
    limit: int = Field(default=50, ge=1, le=200)


class MediaQuery(Strict):
    expires: int | None = Field(
        default=None, ge=0, le=MAX_EXPIRES, description="signed URL: unix expiry"
    )
    sig: str | None = Field(default=None, max_length=128, description="signed URL: HMAC")


class NoQuery(Strict):
    pass


# --- responses --------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)
#: Text from the server's own errors and logs, shown with no absolute path in it.
ServerText = Annotated[str, AfterValidator(without_server_paths)]


def _scrubbed(model: M, *fields: str) -> M:
    """A copy of ``model`` whose text ``fields`` name no server path."""
    update = {f: without_server_paths(v) for f in fields if isinstance(v := getattr(model, f), str)}
    return model.model_copy(update=update)


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class GenerateAccepted(BaseModel):
    job_id: str
    task_id: str
    status: Literal["queued"] = "queued"
    poll_url: str
    message: str


class RetryAccepted(BaseModel):
    job_id: str
    task_id: str
    status: Literal["queued"] = "queued"
    resume_from: Stage
    skipping_stages: list[Stage]
    message: str


class JobStatusView(BaseModel):
    id: str
    status: JobStatus
    stage: str
    completed_stages: list[Stage]
    total_stages: int
    progress_pct: float
    theme: str
    created_at: datetime
    updated_at: datetime
    error_message: ServerText | None


class StageRunView(BaseModel):
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None
    progress: float
    message: ServerText


class JobDetail(JobStatusView):
    generation: int
    trigger: Trigger
    config_path: str | None
    error: JobError | None
    stages: dict[Stage, StageRunView]
    artifacts: dict[Stage, dict[str, str]] = Field(
        description="output name -> blob key (jobs/{job_id}/{stage}/...)"
    )
    review: Review | None
    video_url: str | None = Field(description="GET this for the finished video, when completed")

    @field_validator("error")
    @classmethod
    def _error_names_no_server_path(cls, error: JobError | None) -> JobError | None:
        return None if error is None else _scrubbed(error, "message", "hint")


class JobList(BaseModel):
    count: int
    jobs: list[JobStatusView]
    next_cursor: str | None


class PublicationView(BaseModel):
    """One platform's post of the video (never its upload session: that is a capability)."""

    platform: PublishPlatform
    status: PublicationStatus
    privacy: Privacy
    remote_id: str | None
    url: str | None
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    published_at: datetime | None
    updated_at: datetime
    publish_at: datetime | None
    attempts: int
    privacy_note: str | None
    error: PublicationError | None


class VideoSummary(BaseModel):
    id: str
    job_id: str
    status: VideoStatus
    thumbnail_url: str | None
    duration_seconds: float | None
    cost_usd: float | None
    created_at: datetime
    approved_at: datetime | None
    published_at: datetime | None = Field(description="when it first went live on a platform")
    published_url: str | None = Field(description="the first live post's URL")
    publications: list[PublicationView]
    theme: str
    review_status: ReviewStatus
    review_reason: str | None
    reviewed_at: datetime | None
    completed_at: datetime
    detail_url: str


class PublishBody(Strict):
    platforms: list[PublishPlatform] | None = Field(
        default=None,
        min_length=1,
        max_length=2,
        description="default: the theme config's target_platform",
    )
    privacy: Privacy | None = Field(default=None, description="default: the server's setting")
    publish_at: AwareDatetime | None = Field(
        default=None, description="publish later (a private upload made public then)"
    )


class MetricsSeries(BaseModel):
    platform: PublishPlatform
    remote_id: str | None
    url: str | None
    published_at: datetime | None
    next_reading_at: datetime | None
    readings: list[MetricReading]


class VideoMetrics(BaseModel):
    video_id: str
    series: list[MetricsSeries]


class VideoList(BaseModel):
    count: int
    videos: list[VideoSummary]
    next_cursor: str | None


class ScriptSummary(BaseModel):
    title: str
    hook: str
    description: str
    hashtags: list[str]
    call_to_action: str
    scene_count: int
    narration_words: int
    narration: list[str] = Field(default_factory=list, description="each scene's narration")


class TopicSummary(BaseModel):
    label: str
    reason: str
    keywords: list[str]
    hashtags: list[str]


class QCSummary(BaseModel):
    passed: bool
    checks: int
    failed_checks: list[str]


class CaptionLine(BaseModel):
    """One caption chunk as it is shown on screen (seconds into the video)."""

    start: float
    end: float
    text: str


class MediaLinks(BaseModel):
    video_url: str | None
    thumbnail_url: str | None
    expires_at: datetime | None


class VideoDetail(VideoSummary):
    title: str | None
    script: ScriptSummary | None
    chosen_topic: TopicSummary | None
    qc: QCSummary | None
    estimated_cost_usd: float | None
    media: MediaLinks
    captions: list[CaptionLine] = Field(
        default_factory=list, description="the on-screen captions, in order"
    )
    assets: list[Asset] = Field(
        default_factory=list, description="voice, visuals and music with source and licence"
    )

    @field_validator("assets")
    @classmethod
    def _assets_name_no_server_path(cls, assets: list[Asset]) -> list[Asset]:
        return [_scrubbed(asset, "source", "detail") for asset in assets]


class TrendsResponse(BaseModel):
    job_id: str = Field(description="the job whose trend_collection stage stored these")
    collected_at: datetime
    count: int
    items: list[ScoredTrendItem]
    sources: list[SourceReport]

    @field_validator("sources")
    @classmethod
    def _sources_name_no_server_path(cls, sources: list[SourceReport]) -> list[SourceReport]:
        return [_scrubbed(source, "error") for source in sources]


class TrendReportResponse(BaseModel):
    job_id: str
    report: TrendReport


class CheckResult(BaseModel):
    status: Literal["ok", "error"]
    error: str | None = Field(default=None, description="exception type only, never its text")


class HealthChecks(BaseModel):
    job_store: CheckResult
    queue: CheckResult
    blob_store: CheckResult


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded"]
    checks: HealthChecks
