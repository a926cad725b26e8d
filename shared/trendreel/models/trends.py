"""Trend items as collected, and the trend report the analysis produces."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

MIN_VELOCITY_HOURS = 0.1


class Platform(StrEnum):
    YOUTUBE = "youtube"
    TIKTOK = "tiktok"
    GOOGLE_TRENDS = "google_trends"


class TrendItem(BaseModel):
    """One trending item, normalised across platforms."""

    model_config = ConfigDict(extra="forbid")

    platform: Platform
    external_id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str = ""
    creator: str = ""
    hashtags: list[str] = Field(default_factory=list)
    views: int = Field(default=0, ge=0)
    likes: int = Field(default=0, ge=0)
    comments: int = Field(default=0, ge=0)
    shares: int = Field(default=0, ge=0)
    duration_seconds: float | None = Field(default=None, ge=0)
    posted_at: AwareDatetime
    url: str = ""
    thumbnail_url: str = ""
    source: str = Field(default="", description="Which configured source produced this item")

    def engagement_velocity(self, now: datetime) -> float:
        """(likes + comments + shares) per hour since posting, with a 0.1 h floor."""
        hours = max((now - self.posted_at).total_seconds() / 3600.0, MIN_VELOCITY_HOURS)
        return (self.likes + self.comments + self.shares) / hours


class ScoredTrendItem(TrendItem):
    engagement_velocity_per_hour: float = Field(ge=0)


class SourceReport(BaseModel):
    """What one source did: how many items, or why it failed."""

    source: str
    ok: bool
    item_count: int = 0
    error_code: str | None = None
    error: str | None = None
    retryable: bool = False
    duration_ms: int = 0


class TrendCollection(BaseModel):
    collected_at: AwareDatetime
    items: list[ScoredTrendItem]
    sources: list[SourceReport]


class KeywordScore(BaseModel):
    term: str
    count: int
    score: float


class TopicCluster(BaseModel):
    label: str
    keywords: list[str]
    hashtags: list[str]
    item_ids: list[str] = Field(description="platform:external_id of the member items")
    platforms: list[Platform]
    score: float
    total_velocity: float


class EngagementStats(BaseModel):
    item_count: int
    by_platform: dict[str, int]
    median_views: float
    mean_engagement_rate: float = Field(description="(likes+comments+shares)/views, mean")
    median_velocity: float
    p90_velocity: float
    median_duration_seconds: float | None


class RecommendedFormat(BaseModel):
    hook_style: str
    pacing: str
    duration_seconds: int = Field(ge=5, le=180)
    reason: str


class ChosenTopic(BaseModel):
    label: str
    keywords: list[str]
    hashtags: list[str]
    reason: str
    supporting_items: list[str] = Field(description="platform:external_id of supporting trends")
    supporting_titles: list[str]


class TrendReport(BaseModel):
    generated_at: AwareDatetime
    analyzer: str
    top_hashtags: list[KeywordScore]
    top_keywords: list[KeywordScore]
    clusters: list[TopicCluster]
    engagement: EngagementStats
    recommended_format: RecommendedFormat
    chosen_topic: ChosenTopic
