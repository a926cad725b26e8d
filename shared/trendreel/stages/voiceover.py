"""Voicing a script scene by scene and holding it to the planned length.

Scenes are synthesised separately (so each word knows its scene) and joined with a short pause.
If the result misses the narration target by more than RATE_TOLERANCE, the speaking rate is
scaled by the miss and the script is voiced once more: the voiceover drives the video length,
so this is what keeps the video within ±15% of the requested duration.
"""

from __future__ import annotations

import numpy as np

from trendreel.errors import MediaError
from trendreel.models import Script, WordTiming
from trendreel.providers.base import NARRATION_WPM, Speech, SpeechSynthesizer, UsageLog

SCENE_PAUSE = 0.3
RATE_TOLERANCE = 0.08
MIN_WPM, MAX_WPM = 115.0, 230.0


def voice_script(
    tts: SpeechSynthesizer, script: Script, target_seconds: float, usage: UsageLog
) -> tuple[Speech, list[tuple[float, float]], float]:
    """The joined speech, each scene's (start, end) in it, and the rate used (wpm)."""
    rate = NARRATION_WPM
    speech, bounds = _voice(tts, script, rate, usage)
    miss = speech.duration / target_seconds
    if abs(miss - 1) > RATE_TOLERANCE:
        rate = min(max(rate * miss, MIN_WPM), MAX_WPM)
        speech, bounds = _voice(tts, script, rate, usage)
    return speech, bounds, rate


def _voice(
    tts: SpeechSynthesizer, script: Script, rate: float, usage: UsageLog
) -> tuple[Speech, list[tuple[float, float]]]:
    parts = [tts.synthesize(s.narration, s.index, rate, usage) for s in script.scenes]
    rates = {p.sample_rate for p in parts}
    if len(rates) != 1:
        raise MediaError(f"{tts.name} returned mixed sample rates {sorted(rates)}")
    sample_rate = rates.pop()
    gap = np.zeros(round(SCENE_PAUSE * sample_rate), dtype=np.int16)
    chunks: list[np.ndarray] = []
    words: list[WordTiming] = []
    bounds: list[tuple[float, float]] = []
    offset = 0
    for n, part in enumerate(parts):
        if n:
            chunks.append(gap)
            offset += len(gap)
        start = offset / sample_rate
        words += [
            w.model_copy(update={"start": w.start + start, "end": w.end + start})
            for w in part.words
        ]
        chunks.append(part.samples)
        offset += len(part.samples)
        bounds.append((start, offset / sample_rate))
    samples = np.concatenate(chunks).astype(np.int16)
    return Speech(samples=samples, sample_rate=sample_rate, words=words), bounds
