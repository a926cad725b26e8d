"""The theme config: what the video is about, for whom, and in what voice."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: The target platforms trendreel publishes to (auto_post needs one of them).
PUBLISHABLE_PLATFORMS = ("tiktok", "youtube_shorts")


class ThemeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    theme: str = Field(min_length=1, max_length=120)
    target_platform: Literal["tiktok", "youtube_shorts", "instagram_reels"] = "tiktok"
    video_duration_seconds: int = Field(default=30, ge=5, le=180)
    style: Literal["energetic", "calm", "informative", "playful", "dramatic"] = "energetic"
    auto_post: bool = False
    product_name: str = Field(default="", max_length=80)
    tagline: str = Field(default="", max_length=160)
    target_audience: str = Field(default="", max_length=200)
    tone: str = Field(default="friendly", max_length=80)
    # Where this job's events (job.completed, video.published, ...) are POSTed, signed with the
    # deployment's webhook secret; API clients register their own endpoints with POST /webhooks.
    webhook_url: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _auto_post_needs_a_publishable_platform(self) -> ThemeSettings:
        if self.auto_post and self.target_platform not in PUBLISHABLE_PLATFORMS:
            raise ValueError(
                f"auto_post publishes to target_platform, and {self.target_platform} cannot be "
                f"published to: choose {' or '.join(PUBLISHABLE_PLATFORMS)}, or set auto_post "
                "to false"
            )
        return self


class ContentReference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ref_id: str = Field(min_length=1, max_length=64)
    type: Literal["product", "article", "brand", "campaign", "fact", "note"] = "note"
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    talking_points: list[str] = Field(default_factory=list, max_length=20)


class ThemeConfig(BaseModel):
    """Top-level theme config document (YAML or JSON)."""

    model_config = ConfigDict(extra="forbid")

    config: ThemeSettings
    content_references: list[ContentReference] = Field(default_factory=list, max_length=50)

    @field_validator("content_references")
    @classmethod
    def _unique_ref_ids(cls, refs: list[ContentReference]) -> list[ContentReference]:
        seen: set[str] = set()
        for ref in refs:
            if ref.ref_id in seen:
                raise ValueError(f"duplicate content_references ref_id {ref.ref_id!r}")
            seen.add(ref.ref_id)
        return refs

    def talking_points(self) -> list[str]:
        return [p for ref in self.content_references for p in ref.talking_points]
