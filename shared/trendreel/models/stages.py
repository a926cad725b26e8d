"""Pipeline stages, the job input every stage receives, and what a stage reports back."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from trendreel.models.config import ThemeConfig
from trendreel.models.reports import ProviderCall


class Stage(StrEnum):
    """The five stages, in pipeline order (iteration order is the order they run in)."""

    TREND_COLLECTION = "trend_collection"
    TREND_ANALYSIS = "trend_analysis"
    CONTENT_GENERATION = "content_generation"
    COMPOSITION = "composition"
    REVIEW = "review"

    @property
    def position(self) -> int:
        return list(Stage).index(self)


class JobSpec(BaseModel):
    """What a stage needs to know about its job: identity and the resolved theme config."""

    job_id: str = Field(pattern=r"^[A-Za-z0-9_-]{6,64}$")
    config: ThemeConfig
    created_at: AwareDatetime
    inputs: dict[str, Any] = Field(default_factory=dict)


class StageResult(BaseModel):
    stage: Stage
    outputs: dict[str, str] = Field(description="output name -> blob key")
    summary: dict[str, Any] = Field(default_factory=dict)
    provider_calls: list[ProviderCall] = Field(default_factory=list)
    started_at: AwareDatetime
    finished_at: AwareDatetime
    seconds: float
