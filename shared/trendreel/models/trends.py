"""Trend items as collected, and the trend report the analysis produces."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

MIN_VELOCITY_HOURS = 0.1
#: Where trend analysis puts the chosen topic's record in its stage result's summary.
TOPIC_SUMMARY_KEY = "topic"


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


class ThemeFit(BaseModel):
    """How a topic cluster relates to the job's theme, as the analyzer judged it."""

    related: bool = Field(description="close in meaning to the theme (or a theme word helps)")
    boost: float = Field(ge=0, description="multiplier on the cluster's score when ranking")
    similarity: float | None = Field(
        default=None, description="cosine similarity of meaning with the theme, if measured"
    )
    relation: str = Field(description="the relation found, in words, for the why")


class TopicCluster(BaseModel):
    label: str
    keywords: list[str]
    hashtags: list[str]
    item_ids: list[str] = Field(description="platform:external_id of the member items")
    platforms: list[Platform]
    score: float
    total_velocity: float
    fit: ThemeFit | None = None

    @property
    def related(self) -> bool:
        return self.fit is not None and self.fit.related

    @property
    def weighted_score(self) -> float:
        """The score the topic competes with: trend strength × fit to the theme."""
        return self.score * (self.fit.boost if self.fit is not None else 1.0)


def by_preference(clusters: list[TopicCluster]) -> list[TopicCluster]:
    """Topics related to the theme first, each group by weighted score (stable on ties)."""
    return sorted(clusters, key=lambda c: (not c.related, -c.weighted_score))


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


class TopicRecord(BaseModel):
    """The topic a job chose, kept on its Job document (a few hundred bytes) so that later jobs
    on the same theme can tell a repeat from a fresh topic."""

    label: str
    keywords: list[str] = Field(max_length=12)
    item_ids: list[str] = Field(max_length=12, description="its supporting trends")
    total_velocity: float = Field(ge=0, description="likes, comments, shares an hour, then")
    chosen_at: AwareDatetime

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> TopicRecord | None:
        """The record a stage result's summary carries under ``topic`` (trend analysis's)."""
        raw = summary.get(TOPIC_SUMMARY_KEY)
        return None if raw is None else cls.model_validate(raw)


class VideoResult(BaseModel):
    """How the video an earlier job made did on the channel: its best publication's numbers at
    their latest reading (1 h, 24 h or 7 d after publishing)."""

    platform: str
    checkpoint: str
    views: int = Field(ge=0)
    likes: int = Field(ge=0)
    comments: int = Field(ge=0)


class UsedTopic(BaseModel):
    """A topic an earlier job chose, and, once its video was published and read, its result."""

    job_id: str
    topic: TopicRecord
    result: VideoResult | None = None


class TrendReport(BaseModel):
    generated_at: AwareDatetime
    analyzer: str
    top_hashtags: list[KeywordScore]
    top_keywords: list[KeywordScore]
    clusters: list[TopicCluster]
    engagement: EngagementStats
    recommended_format: RecommendedFormat
    chosen_topic: ChosenTopic
