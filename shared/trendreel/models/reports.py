"""Reports and the per-job manifest: provider usage, captions, QC, script check, timings, assets."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field


class ProviderCall(BaseModel):
    provider: str
    operation: str
    units: float
    unit_name: str
    estimated_cost_usd: float = 0.0
    cached: bool = False


class Asset(BaseModel):
    key: str
    kind: str
    source: str
    licence: str
    provider: str
    detail: str = ""


class CaptionCue(BaseModel):
    """A word as it is shown highlighted on screen (frame-accurate times)."""

    word: str
    word_index: int
    chunk_index: int
    start: float
    end: float
    box: tuple[int, int, int, int] = Field(description="x0, y0, x1, y1 of the highlight")


class QCCheck(BaseModel):
    name: str
    passed: bool
    measured: Any = None
    expected: str = ""
    detail: str = ""


class QCReport(BaseModel):
    file_key: str
    passed: bool
    checks: list[QCCheck]
    duration_seconds: float | None = None  # the video's, as measured (absent in older reports)

    def failed(self) -> list[QCCheck]:
        return [c for c in self.checks if not c.passed]


class CountPromise(BaseModel):
    """A count the hook makes ("3 things", "five reasons", "Top 5") and where it makes it."""

    scene_index: int
    source: Literal["hook", "narration", "on_screen_text"]
    count: int
    noun: str = Field(description="the list noun as written ('reasons'), '' for a bare 'Top 5'")


class ScriptProblem(BaseModel):
    """One broken promise, named by scene: a count not delivered, or screen text not said."""

    rule: Literal["count_promise", "screen_text_spoken"]
    scene_index: int
    message: str


class ScriptCheckReport(BaseModel):
    """The review's check of the script itself: its hook's counts and its on-screen words."""

    passed: bool
    promises: list[CountPromise]
    point_scenes: list[int] = Field(description="scenes recognised as the list's points")
    problems: list[ScriptProblem]


class StageTiming(BaseModel):
    stage: str
    started_at: AwareDatetime
    finished_at: AwareDatetime
    seconds: float


class Manifest(BaseModel):
    job_id: str
    created_at: AwareDatetime
    inputs: dict[str, Any]
    chosen_topic: dict[str, Any]
    script: dict[str, Any]
    word_timings: list[dict[str, Any]]
    assets: list[Asset]
    provider_calls: list[ProviderCall]
    estimated_cost_usd: float
    stage_timings: list[StageTiming]
    qc: QCReport | None
    outputs: dict[str, str]
    script_check: ScriptCheckReport | None = None  # absent from manifests made before it existed
