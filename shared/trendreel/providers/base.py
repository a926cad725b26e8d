"""Provider protocols and the usage log every provider reports its calls to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from trendreel.models import (
    MusicTrack,
    ProviderCall,
    Script,
    ThemeConfig,
    TrendCollection,
    TrendItem,
    TrendReport,
    VisualPlan,
    WordTiming,
)
from trendreel.ports import BlobStore

#: The speaking rate script writers plan narration for, and the synthesizers' default rate.
NARRATION_WPM = 160.0


@dataclass
class UsageLog:
    """Provider calls made while running a stage, with usage units and estimated cost."""

    calls: list[ProviderCall] = field(default_factory=list)

    def record(
        self,
        provider: str,
        operation: str,
        units: float,
        unit_name: str,
        cost_usd: float = 0.0,
        *,
        cached: bool = False,
    ) -> None:
        self.calls.append(
            ProviderCall(
                provider=provider,
                operation=operation,
                units=units,
                unit_name=unit_name,
                estimated_cost_usd=round(cost_usd, 6),
                cached=cached,
            )
        )

    def total_cost(self) -> float:
        return round(sum(c.estimated_cost_usd for c in self.calls), 6)


class TrendSource(Protocol):
    name: str

    def collect(self, now: datetime, limit: int, usage: UsageLog) -> list[TrendItem]:
        """Trending items, newest chart first. Raise a ProviderError on failure, never []
        silently: an empty answer from a healthy service is returned as []."""
        ...


class Analyzer(Protocol):
    name: str

    def analyze(
        self, collection: TrendCollection, config: ThemeConfig, now: datetime, usage: UsageLog
    ) -> TrendReport: ...


class ScriptWriter(Protocol):
    name: str

    def write(
        self, report: TrendReport, config: ThemeConfig, target_seconds: int, usage: UsageLog
    ) -> Script: ...


@dataclass(frozen=True)
class Speech:
    """Mono 16-bit speech and the synthesizer's own word timings (seconds from its start)."""

    samples: npt.NDArray[np.int16]
    sample_rate: int
    words: list[WordTiming]

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


class SpeechSynthesizer(Protocol):
    name: str
    voice: str

    def synthesize(
        self, text: str, scene_index: int, rate_wpm: float, usage: UsageLog
    ) -> Speech: ...


class VisualProvider(Protocol):
    name: str

    def choose(
        self,
        script: Script,
        scene_bounds: list[tuple[float, float]],
        seed: int,
        blobs: BlobStore,
        key_prefix: str,
        usage: UsageLog,
    ) -> VisualPlan:
        """One visual per scene; footage is stored under ``key_prefix``."""
        ...


class MusicProvider(Protocol):
    name: str

    def track(
        self,
        duration_seconds: float,
        mood: str,
        seed: int,
        blobs: BlobStore,
        key: str,
        usage: UsageLog,
    ) -> MusicTrack:
        """A music bed at least ``duration_seconds`` long, stored as WAV at ``key``."""
        ...
