"""The theme config: what the video is about, for whom, and in what voice."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


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
