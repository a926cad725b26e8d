"""What content generation produces: the script, the voiceover's word timings, visuals, music."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

VisualIntent = Literal["hook", "explain", "list", "stat", "contrast", "story", "cta"]


class Scene(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0)
    narration: str = Field(min_length=1)
    visual_intent: VisualIntent
    on_screen_text: str = ""
    keywords: list[str] = Field(default_factory=list)


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=120)
    hook: str = Field(min_length=1, max_length=120, description="On-screen hook text")
    scenes: list[Scene] = Field(min_length=1, max_length=20)
    call_to_action: str = Field(min_length=1, max_length=120)
    description: str = Field(max_length=2200)
    hashtags: list[str] = Field(max_length=30)
    target_seconds: int = Field(ge=1, le=180, description="narration length planned for")
    writer: str = ""

    def narration_text(self) -> str:
        return " ".join(scene.narration for scene in self.scenes)

    def word_count(self) -> int:
        return len(self.narration_text().split())


class WordTiming(BaseModel):
    """One spoken word with its time in the voiceover, from the synthesizer itself."""

    word: str
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    scene_index: int = Field(ge=0)


class VoiceoverInfo(BaseModel):
    provider: str
    voice: str
    sample_rate: int
    duration_seconds: float
    words: list[WordTiming]
    scene_bounds: list[tuple[float, float]] = Field(description="start/end of each scene")
    speaking_rate_wpm: float
    audio_key: str


class VisualChoice(BaseModel):
    """The visual for one scene and why it was chosen."""

    scene_index: int
    kind: Literal["procedural", "video"]
    template: str = Field(description="procedural template name, or 'footage'")
    params: dict[str, str | float | int | list[str]] = Field(default_factory=dict)
    asset_key: str | None = Field(default=None, description="blob key of downloaded footage")
    source_url: str = ""
    provider: str
    licence: str
    reason: str


class VisualPlan(BaseModel):
    provider: str
    palette: list[str]
    choices: list[VisualChoice]


class MusicTrack(BaseModel):
    provider: str
    audio_key: str
    title: str
    source: str
    licence: str
    duration_seconds: float
    mood: str
