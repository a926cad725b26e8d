"""Word timings from word start marks and the audio itself.

A word starts at its mark. It ends where the next word starts, pulled back over the silence
before it (10 ms frames whose RMS is below ``SILENCE_RMS``), but never shorter than
``MIN_WORD_SECONDS``. The last word ends where voiced audio ends.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from trendreel.models import WordTiming

FRAME_SECONDS = 0.01
#: Frame RMS below this fraction of full scale (-40 dBFS) counts as silence.
SILENCE_RMS = 0.01
MIN_WORD_SECONDS = 0.06


def voiced_frames(samples: npt.NDArray[np.int16], sample_rate: int) -> npt.NDArray[np.bool_]:
    """One flag per 10 ms frame (the last one may be partial): is it louder than silence?"""
    frame = max(1, round(sample_rate * FRAME_SECONDS))
    count = math.ceil(len(samples) / frame)
    padded = np.zeros(count * frame, dtype=np.float64)
    padded[: len(samples)] = samples.astype(np.float64) / 32768.0
    rms = np.sqrt(np.mean(np.square(padded.reshape(count, frame)), axis=1))
    flags: npt.NDArray[np.bool_] = rms >= SILENCE_RMS
    return flags


def _voiced_end(voiced: npt.NDArray[np.bool_], start: float, stop: float) -> float | None:
    """End time of the last voiced frame overlapping [start, stop), if any."""
    first = math.floor(start / FRAME_SECONDS + 1e-9)
    last = min(math.ceil(stop / FRAME_SECONDS - 1e-9), len(voiced))
    hits = np.flatnonzero(voiced[first:last])
    if hits.size == 0:
        return None
    return min(stop, (first + int(hits[-1]) + 1) * FRAME_SECONDS)


def word_timings(
    words: list[str],
    starts: list[float],
    samples: npt.NDArray[np.int16],
    sample_rate: int,
    scene_index: int,
) -> list[WordTiming]:
    duration = len(samples) / sample_rate
    voiced = voiced_frames(samples, sample_rate)
    timings = []
    for i, (word, start) in enumerate(zip(words, starts, strict=True)):
        stop = starts[i + 1] if i + 1 < len(starts) else duration
        voiced_end = _voiced_end(voiced, start, stop)
        end = max(start if voiced_end is None else voiced_end, start + MIN_WORD_SECONDS)
        timings.append(
            WordTiming(word=word, start=round(start, 3), end=round(end, 3), scene_index=scene_index)
        )
    return timings
