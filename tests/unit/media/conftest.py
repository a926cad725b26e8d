"""Builders for tiny synthetic media inputs: tones as WAV files, scripts, voice timings, plans,
and short clips made with the bundled ffmpeg."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import numpy.typing as npt

from trendreel.media import wav
from trendreel.media.timeline import RenderPlan, build_plan
from trendreel.models import Scene, Script, VisualChoice, VoiceoverInfo, WordTiming

RATE = 48_000
FPS = 30
# No colour here is near white or near the caption highlight, so tests can look for either.
PALETTE = ["#102030", "#203040", "#3060c0", "#c03060", "#20a040"]
INTENTS = ["hook", "list", "cta"]

Floats = npt.NDArray[np.float64]
# (scene index, phrase start in voice time, phrase text)
Phrase = tuple[int, float, str]

# About 3 s of narration over three scenes (voice time).
PHRASES: list[Phrase] = [
    (0, 0.0, "Sleep is your superpower."),
    (1, 1.2, "Three tips tonight."),
    (2, 2.2, "Follow now."),
]
WORD_SECONDS = 0.22
WORD_GAP = 0.04


def tone(freq: float, seconds: float, dbfs: float, rate: int = RATE) -> Floats:
    """A sine with its peak at ``dbfs``."""
    t = np.arange(round(seconds * rate)) / rate
    return 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t)


def to_int16(samples: Floats) -> npt.NDArray[np.int16]:
    return np.clip(np.rint(samples * 32767), -32768, 32767).astype(np.int16)


def write_wav(path: Path, samples: Floats, rate: int = RATE) -> Path:
    """Mono (n,) or stereo (n, 2) floats in [-1, 1] as a 16-bit WAV."""
    wav.write_all(path, to_int16(samples), rate)
    return path


def read_wav(path: Path) -> tuple[int, Floats]:
    """(rate, samples shaped (n, channels)) of a whole WAV."""
    rate, _, _ = wav.info(path)
    return rate, np.concatenate(list(wav.read_blocks(path, RATE))).astype(np.float64)


def ffmpeg(*args: str) -> None:
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y"]
    subprocess.run([*cmd, *args], check=True, capture_output=True)


def words_from(phrases: list[Phrase]) -> list[WordTiming]:
    out: list[WordTiming] = []
    for scene, start, text in phrases:
        t = start
        for word in text.split():
            out.append(WordTiming(word=word, start=t, end=t + WORD_SECONDS, scene_index=scene))
            t += WORD_SECONDS + WORD_GAP
    return out


def voice_bursts(words: list[WordTiming], seconds: float, rate: int = RATE) -> Floats:
    """A 'voice': a 1 kHz tone during every word, silence elsewhere (mono)."""
    out = np.zeros(round(seconds * rate))
    burst = tone(1000.0, WORD_SECONDS, -12.0, rate)
    for w in words:
        i = round(w.start * rate)
        out[i : i + len(burst)] = burst[: len(out) - i]
    return out


def procedural(scene_index: int, intent: str) -> VisualChoice:
    from trendreel.media.backgrounds import template_for

    return VisualChoice(
        scene_index=scene_index,
        kind="procedural",
        template=template_for(intent),
        provider="test",
        licence="generated",
        reason="test",
    )


def footage_visual(scene_index: int, key: str) -> VisualChoice:
    return VisualChoice(
        scene_index=scene_index,
        kind="video",
        template="footage",
        asset_key=key,
        provider="test",
        licence="test",
        reason="test",
    )


def make_inputs(
    phrases: list[Phrase] | None = None,
    intents: list[str] | None = None,
    headlines: list[str] | None = None,
    voice_seconds: float | None = None,
) -> tuple[Script, VoiceoverInfo]:
    phrases = PHRASES if phrases is None else phrases
    words = words_from(phrases)
    n_scenes = max(w.scene_index for w in words) + 1
    intents = intents or [INTENTS[min(n, len(INTENTS) - 1)] for n in range(n_scenes)]
    headlines = headlines or [""] * n_scenes
    scenes = [
        Scene(
            index=n,
            narration=" ".join(p[2] for p in phrases if p[0] == n),
            visual_intent=intents[n],  # type: ignore[arg-type]
            on_screen_text=headlines[n],
        )
        for n in range(n_scenes)
    ]
    script = Script(
        title="Sleep",
        hook="Sleep better tonight",
        scenes=scenes,
        call_to_action="Follow for more",
        description="",
        hashtags=[],
        target_seconds=3,
    )
    bounds = [
        (
            min(w.start for w in words if w.scene_index == n),
            max(w.end for w in words if w.scene_index == n),
        )
        for n in range(n_scenes)
    ]
    seconds = voice_seconds if voice_seconds is not None else round(words[-1].end + 0.2, 3)
    voice = VoiceoverInfo(
        provider="test",
        voice="tone",
        sample_rate=RATE,
        duration_seconds=seconds,
        words=words,
        scene_bounds=bounds,
        speaking_rate_wpm=150.0,
        audio_key="voice.wav",
    )
    return script, voice


def make_plan_and_voice(
    phrases: list[Phrase] | None = None,
    intents: list[str] | None = None,
    headlines: list[str] | None = None,
    visuals: list[VisualChoice] | None = None,
    voice_seconds: float | None = None,
) -> tuple[RenderPlan, VoiceoverInfo]:
    script, voice = make_inputs(phrases, intents, headlines, voice_seconds)
    if visuals is None:
        visuals = [procedural(s.index, s.visual_intent) for s in script.scenes]
    return build_plan(script, voice, visuals, PALETTE, seed=7, fps=FPS), voice


def make_plan(
    phrases: list[Phrase] | None = None,
    intents: list[str] | None = None,
    headlines: list[str] | None = None,
    visuals: list[VisualChoice] | None = None,
    voice_seconds: float | None = None,
) -> RenderPlan:
    return make_plan_and_voice(phrases, intents, headlines, visuals, voice_seconds)[0]
