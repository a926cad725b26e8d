"""Fakes satisfying the provider protocols, and builders for hand-made stage inputs.

Nothing here renders or synthesises for real: speech is a sine wave with evenly spaced word
timings, visuals and music are tiny blobs. Every fake records its calls in the UsageLog the way
real providers do, so stage results carry provider usage.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.config import load_default_config
from trendreel.errors import TrendreelError
from trendreel.media import wav
from trendreel.models import (
    ChosenTopic,
    EngagementStats,
    JobSpec,
    MusicTrack,
    Platform,
    RecommendedFormat,
    Scene,
    Script,
    ThemeConfig,
    TrendCollection,
    TrendItem,
    TrendReport,
    VisualChoice,
    VisualPlan,
    WordTiming,
)
from trendreel.ports import BlobStore
from trendreel.providers.base import (
    NARRATION_WPM,
    Analyzer,
    MusicProvider,
    ScriptWriter,
    Speech,
    SpeechSynthesizer,
    TrendSource,
    UsageLog,
    VisualProvider,
)
from trendreel.settings import Settings
from trendreel.stages.context import Providers, StageContext

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
JOB_ID = "job-test-0001"
FAKE_PALETTE = ["#000000", "#ffffff"]
TTS_COST_PER_CALL = 0.001
WRITER_COST = 0.02

_TEXT = (
    "trends move fast so the first clear video on a rising topic usually wins the reach "
    "people scroll quickly and decide in two seconds whether a clip is worth their time"
)
_WORDS = _TEXT.split()


# --- trend sources ----------------------------------------------------------------------------


def make_item(
    external_id: str,
    *,
    platform: Platform = Platform.YOUTUBE,
    hours_ago: float = 1.0,
    likes: int = 0,
    comments: int = 0,
    shares: int = 0,
    title: str | None = None,
    now: datetime = NOW,
) -> TrendItem:
    return TrendItem(
        platform=platform,
        external_id=external_id,
        title=title or f"item {external_id}",
        likes=likes,
        comments=comments,
        shares=shares,
        views=10 * (likes + comments + shares),
        posted_at=now - timedelta(hours=hours_ago),
    )


class FakeTrendSource:
    """Returns the given items (at most ``limit``), or raises the given error."""

    def __init__(
        self, name: str, items: list[TrendItem] | None = None, error: TrendreelError | None = None
    ) -> None:
        self.name = name
        self.items = list(items or [])
        self.error = error

    def collect(self, now: datetime, limit: int, usage: UsageLog) -> list[TrendItem]:
        usage.record(self.name, "collect", 1, "requests")
        if self.error is not None:
            raise self.error
        return [item.model_copy(update={"source": self.name}) for item in self.items[:limit]]


# --- analysis and writing ---------------------------------------------------------------------


def make_report(now: datetime = NOW, label: str = "phone battery") -> TrendReport:
    return TrendReport(
        generated_at=now,
        analyzer="fake",
        top_hashtags=[],
        top_keywords=[],
        clusters=[],
        engagement=EngagementStats(
            item_count=2,
            by_platform={"youtube": 2},
            median_views=1000.0,
            mean_engagement_rate=0.1,
            median_velocity=50.0,
            p90_velocity=90.0,
            median_duration_seconds=30.0,
        ),
        recommended_format=RecommendedFormat(
            hook_style="question", pacing="fast", duration_seconds=30, reason="short wins"
        ),
        chosen_topic=ChosenTopic(
            label=label,
            keywords=["phone", "battery"],
            hashtags=["#phone"],
            reason="fastest rising cluster",
            supporting_items=["youtube:a1"],
            supporting_titles=["Battery myths"],
        ),
    )


class FakeAnalyzer:
    name = "fake-analyzer"

    def __init__(self, report: TrendReport | None = None) -> None:
        self.report = report or make_report()

    def analyze(
        self, collection: TrendCollection, config: ThemeConfig, now: datetime, usage: UsageLog
    ) -> TrendReport:
        usage.record(self.name, "analyze", len(collection.items), "items")
        return self.report


def make_script(scene_words: list[int], target_seconds: int = 20) -> Script:
    """A script whose scene ``i`` has ``scene_words[i]`` words."""
    scenes = []
    for index, count in enumerate(scene_words):
        words = [_WORDS[(index * 7 + n) % len(_WORDS)] for n in range(count)]
        scenes.append(
            Scene(
                index=index,
                narration=" ".join(words) + ".",
                visual_intent="hook" if index == 0 else "explain",
                keywords=words[:2],
            )
        )
    return Script(
        title="Why phone batteries die",
        hook="Your battery is lying",
        scenes=scenes,
        call_to_action="Follow for more",
        description="Battery facts.",
        hashtags=["#phone"],
        target_seconds=target_seconds,
        writer="fake-writer",
    )


class FakeWriter:
    """Writes a four-scene script sized for ``target_seconds`` at the narration rate."""

    name = "fake-writer"

    def write(
        self, report: TrendReport, config: ThemeConfig, target_seconds: int, usage: UsageLog
    ) -> Script:
        usage.record(self.name, "write", 1, "requests", WRITER_COST)
        total = max(round(target_seconds * NARRATION_WPM / 60), 4)
        per_scene = [total // 4 + (1 if n < total % 4 else 0) for n in range(4)]
        return make_script(per_scene, target_seconds=target_seconds)


# --- voice ------------------------------------------------------------------------------------


class FakeTTS:
    """Sine-wave speech: each word takes ``60 / rate_wpm * slowness`` seconds.

    ``slowness`` > 1 models a voice that speaks slower than asked (so the first attempt runs
    long); the usage log records the rate of every call as its operation.
    """

    name = "fake-tts"
    voice = "fake-voice"

    def __init__(
        self, slowness: float = 1.0, sample_rate: int = 8000, rates: list[int] | None = None
    ) -> None:
        self.slowness = slowness
        self.sample_rate = sample_rate
        self.rates = rates  # per-scene sample rates, to model a broken synthesizer

    def synthesize(self, text: str, scene_index: int, rate_wpm: float, usage: UsageLog) -> Speech:
        usage.record(
            self.name,
            f"synthesize@{rate_wpm:.1f}wpm",
            len(text),
            "characters",
            TTS_COST_PER_CALL,
        )
        sample_rate = self.rates[scene_index] if self.rates else self.sample_rate
        tokens = [t.strip(".,!?") for t in text.split()]
        slot = 60.0 / rate_wpm * self.slowness
        duration = slot * len(tokens)
        n = round(duration * sample_rate)
        t = np.arange(n) / sample_rate
        samples = (8000 * np.sin(2 * math.pi * 220.0 * t)).astype(np.int16)
        words = [
            WordTiming(word=w, start=i * slot, end=i * slot + 0.8 * slot, scene_index=scene_index)
            for i, w in enumerate(tokens)
        ]
        return Speech(samples=samples, sample_rate=sample_rate, words=words)


def nominal_seconds(script: Script, rate_wpm: float = NARRATION_WPM) -> float:
    """Spoken length of ``script`` by a FakeTTS with slowness 1 (no pauses)."""
    return script.word_count() * 60.0 / rate_wpm


# --- visuals and music ------------------------------------------------------------------------


class FakeVisuals:
    """One small 'footage' blob per scene under ``key_prefix``; a throwaway palette."""

    name = "fake-visuals"
    licence = "CC0 (fake)"

    def choose(
        self,
        script: Script,
        scene_bounds: list[tuple[float, float]],
        seed: int,
        blobs: BlobStore,
        key_prefix: str,
        usage: UsageLog,
    ) -> VisualPlan:
        choices = []
        for scene, (start, end) in zip(script.scenes, scene_bounds, strict=True):
            asset_key = f"{key_prefix}/scene_{scene.index:02d}.mp4"
            blobs.put_bytes(asset_key, f"clip {scene.index} {seed}".encode(), "video/mp4")
            usage.record(self.name, "download", 1, "clips")
            choices.append(
                VisualChoice(
                    scene_index=scene.index,
                    kind="video",
                    template="footage",
                    params={"seed": seed, "seconds": round(end - start, 3)},
                    asset_key=asset_key,
                    source_url=f"https://example.test/clip/{seed}/{scene.index}",
                    provider=self.name,
                    licence=self.licence,
                    reason=f"keywords {', '.join(scene.keywords)}",
                )
            )
        return VisualPlan(provider=self.name, palette=list(FAKE_PALETTE), choices=choices)


class FakeMusic:
    """A silent WAV bed of the requested length at ``key``."""

    name = "fake-music"
    sample_rate = 8000

    def track(
        self,
        duration_seconds: float,
        mood: str,
        seed: int,
        blobs: BlobStore,
        key: str,
        usage: UsageLog,
    ) -> MusicTrack:
        samples = np.zeros(math.ceil(duration_seconds * self.sample_rate), dtype=np.int16)
        blobs.put_bytes(key, wav.to_bytes(samples, self.sample_rate), "audio/wav")
        usage.record(self.name, "generate", duration_seconds, "seconds")
        return MusicTrack(
            provider=self.name,
            audio_key=key,
            title=f"{mood} bed #{seed % 100}",
            source="generated in-test",
            licence="CC0 (fake)",
            duration_seconds=duration_seconds,
            mood=mood,
        )


# --- wiring -----------------------------------------------------------------------------------


def providers(
    sources: Sequence[TrendSource] | None = None,
    *,
    analyzer: Analyzer | None = None,
    writer: ScriptWriter | None = None,
    tts: SpeechSynthesizer | None = None,
    visuals: VisualProvider | None = None,
    music: MusicProvider | None = None,
) -> Providers:
    return Providers(
        trend_sources=list(sources) if sources is not None else [FakeTrendSource("fake")],
        analyzer=analyzer or FakeAnalyzer(),
        writer=writer or FakeWriter(),
        tts=tts or FakeTTS(),
        visuals=visuals or FakeVisuals(),
        music=music or FakeMusic(),
    )


def make_ctx(
    root: Path, provs: Providers | None = None, settings: Settings | None = None
) -> StageContext:
    return StageContext(
        blobs=LocalBlobStore(root / "blobs"),
        providers=provs or providers(),
        settings=settings or Settings(home=root / "home"),
        clock=lambda: NOW,
        scratch_dir=root,
    )


def make_job(
    job_id: str = JOB_ID,
    duration: int = 30,
    style: str = "energetic",
    config: ThemeConfig | None = None,
) -> JobSpec:
    base = config or load_default_config()
    data = base.model_dump()
    data["config"].update(video_duration_seconds=duration, style=style)
    return JobSpec(
        job_id=job_id, config=ThemeConfig.model_validate(data), created_at=NOW, inputs={}
    )
