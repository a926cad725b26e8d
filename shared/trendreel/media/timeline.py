"""The render plan: what is on screen when. Pure: no I/O, no pixels.

Times are in seconds of the output video. The voice starts at VOICE_OFFSET so the hook card is
on screen as the first word is spoken; the video ends OUTRO after the last word, on the CTA card.
Every boundary is quantised to whole frames, which keeps caption timing within half a frame
(17 ms at 30 fps) of the synthesizer's word times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trendreel.models import Script, VisualChoice, VoiceoverInfo, WordTiming

VOICE_OFFSET = 0.3
OUTRO = 1.8  # the call-to-action hold after the last word...
MIN_OUTRO = 0.8  # ...shortened for very short videos, which must still land within ±15 %
OUTRO_SHARE = 0.25
HOOK_MAX = 2.8
CTA_MIN = 2.4
TRANSITION = 0.25


@dataclass(frozen=True)
class SceneWindow:
    index: int
    start: float
    end: float
    intent: str
    headline: str
    visual: VisualChoice


@dataclass(frozen=True)
class TextCard:
    kind: str  # "hook" | "cta"
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class TimedWord:
    index: int
    text: str
    start: float
    end: float
    scene_index: int


@dataclass(frozen=True)
class RenderPlan:
    fps: int
    duration: float
    voice_offset: float
    voice_duration: float
    scenes: list[SceneWindow]
    words: list[TimedWord]
    hook: TextCard
    cta: TextCard
    palette: list[str]
    seed: int

    @property
    def frame_count(self) -> int:
        return round(self.duration * self.fps)

    def scene_at(self, t: float) -> int:
        for n, scene in enumerate(self.scenes):
            if t < scene.end:
                return n
        return len(self.scenes) - 1


def outro_seconds(voice_seconds: float) -> float:
    """OUTRO, or a quarter of the voiceover for very short videos (never under MIN_OUTRO)."""
    return min(OUTRO, max(MIN_OUTRO, OUTRO_SHARE * voice_seconds))


def narration_for(video_seconds: float) -> float:
    """The voiceover length that makes a video of ``video_seconds`` (inverse of the above)."""
    full = video_seconds - VOICE_OFFSET - OUTRO
    if OUTRO_SHARE * full >= OUTRO:
        return full
    shared = (video_seconds - VOICE_OFFSET) / (1 + OUTRO_SHARE)
    if OUTRO_SHARE * shared >= MIN_OUTRO:
        return shared
    return video_seconds - VOICE_OFFSET - MIN_OUTRO


def quantise(t: float, fps: int) -> float:
    return round(t * fps) / fps


def build_plan(
    script: Script,
    voice: VoiceoverInfo,
    visuals: list[VisualChoice],
    palette: list[str],
    seed: int,
    fps: int,
) -> RenderPlan:
    if len(visuals) != len(script.scenes):
        raise ValueError(f"{len(visuals)} visuals for {len(script.scenes)} scenes")
    # round() first: float noise such as 363.00000000000006 must not cost a whole extra frame
    outro = outro_seconds(voice.duration_seconds)
    duration = math.ceil(round((VOICE_OFFSET + voice.duration_seconds + outro) * fps, 6)) / fps
    words = [_shift(n, w, fps) for n, w in enumerate(voice.words)]
    scenes = _scene_windows(script, voice, visuals, duration, fps)
    hook_end = min(HOOK_MAX, scenes[0].end) if len(scenes) > 1 else HOOK_MAX
    # The CTA card holds CTA_MIN, less when a very short video's outro was shortened.
    cta_hold = min(CTA_MIN, outro + 0.6)
    cta_start = quantise(min(duration - cta_hold, scenes[-1].start + 0.5), fps)
    return RenderPlan(
        fps=fps,
        duration=duration,
        voice_offset=VOICE_OFFSET,
        voice_duration=voice.duration_seconds,
        scenes=scenes,
        words=words,
        hook=TextCard("hook", script.hook, 0.0, quantise(hook_end, fps)),
        cta=TextCard("cta", script.call_to_action, max(cta_start, hook_end), duration),
        palette=palette,
        seed=seed,
    )


def _shift(index: int, word: WordTiming, fps: int) -> TimedWord:
    start = quantise(word.start + VOICE_OFFSET, fps)
    end = max(quantise(word.end + VOICE_OFFSET, fps), start + 1 / fps)
    return TimedWord(index, word.word, start, end, word.scene_index)


def _scene_windows(
    script: Script,
    voice: VoiceoverInfo,
    visuals: list[VisualChoice],
    duration: float,
    fps: int,
) -> list[SceneWindow]:
    starts = [0.0] + [quantise(b[0] + VOICE_OFFSET, fps) for b in voice.scene_bounds[1:]]
    ends = [*starts[1:], duration]
    by_index = {v.scene_index: v for v in visuals}
    return [
        SceneWindow(
            index=scene.index,
            start=starts[n],
            end=ends[n],
            intent=scene.visual_intent,
            headline=scene.on_screen_text,
            visual=by_index[scene.index],
        )
        for n, scene in enumerate(script.scenes)
    ]
