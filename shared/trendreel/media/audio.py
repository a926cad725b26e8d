"""The soundtrack: voice over a music bed that ducks under speech, normalised to -14 LUFS.

Everything streams in one-second blocks (voice and music are read from WAV files as needed), so
memory does not grow with the video's length. Ducking follows the synthesizer's own word
timings rather than a level detector: the music dips just before each phrase starts. Loudness
is measured with our BS.1770 meter, gain applied, peaks soft-limited below -1 dBFS, and measured
again; a second correction pass absorbs what the limiter took away.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trendreel.errors import MediaError
from trendreel.media import wav
from trendreel.media.loudness import RATE, LoudnessMeter

BLOCK = RATE
ATTACK = 0.12
RELEASE = 0.35
FADE_IN = 0.5
FADE_OUT = 1.2
LIMIT = 0.89  # -1 dBFS
TOLERANCE_LU = 0.3


@dataclass(frozen=True)
class MixPlan:
    duration: float
    voice_offset: float
    speech: list[tuple[float, float]]  # output-time intervals where the voice speaks
    target_lufs: float = -14.0
    music_under_speech_lu: float = -18.0
    music_alone_lu: float = -7.0


@dataclass(frozen=True)
class MixReport:
    integrated_lufs: float
    peak: float
    gain_db: float
    voice_lufs: float
    music_lufs: float
    passes: int


class _Exact:
    """Serves exactly ``n`` samples per call from a block iterator, padding with silence."""

    def __init__(self, blocks: Iterator[wav.Pcm], channels: int, lead: int = 0) -> None:
        self._blocks = blocks
        self._buf = np.zeros((lead, channels), dtype=np.float32)
        self._channels = channels

    def take(self, n: int) -> wav.Pcm:
        while len(self._buf) < n:
            nxt = next(self._blocks, None)
            if nxt is None:
                pad = np.zeros((n - len(self._buf), self._channels), dtype=np.float32)
                self._buf = np.concatenate([self._buf, pad])
                break
            self._buf = np.concatenate([self._buf, nxt])
        out, self._buf = self._buf[:n], self._buf[n:]
        return out


def _looped(path: Path) -> Iterator[wav.Pcm]:
    _, _, frames = wav.info(path)
    if frames == 0:
        raise MediaError(f"music track {path.name} is empty")
    while True:
        yield from wav.read_blocks(path, BLOCK)


def measure_file(path: Path, seconds: float | None = None) -> float:
    rate, channels, _ = wav.info(path)
    if rate != RATE:
        raise MediaError(f"{path.name}: loudness is measured at {RATE} Hz, file has {rate}")
    meter = LoudnessMeter(2)
    limit = math.inf if seconds is None else seconds * RATE
    done = 0
    for block in wav.read_blocks(path, BLOCK):
        meter.add(np.repeat(block, 2, axis=1) if channels == 1 else block)
        done += len(block)
        if done >= limit:
            break
    return meter.integrated()


def duck_envelope(plan: MixPlan, low: float, high: float) -> tuple[list[float], list[float]]:
    """Breakpoints (time, gain) for the music: ``low`` while speaking, ``high`` otherwise."""
    xs, ys = [0.0], [high]
    for start, end in _merge_close(plan.speech):
        a, b = max(start - ATTACK, xs[-1]), end + RELEASE
        xs += [a, max(start, a), b, b + ATTACK]
        ys += [high, low, low, high]
    return xs, ys


def _merge_close(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Phrases too close for the music to recover between them stay ducked as one."""
    merged: list[tuple[float, float]] = []
    for start, end in spans:
        if merged and start - merged[-1][1] < RELEASE + 2 * ATTACK:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _gain_curve(plan: MixPlan, env: tuple[list[float], list[float]], t0: float, n: int) -> wav.Pcm:
    t = t0 + np.arange(n, dtype=np.float64) / RATE
    g = np.interp(t, env[0], env[1])
    g *= np.clip(t / FADE_IN, 0.0, 1.0) * np.clip((plan.duration - t) / FADE_OUT, 0.0, 1.0)
    return g.astype(np.float32)[:, None]


def _soft_limit(x: wav.Pcm) -> wav.Pcm:
    mag = np.abs(x)
    over = mag > LIMIT
    if over.any():
        squeezed = LIMIT + (1 - LIMIT) * np.tanh((mag[over] - LIMIT) / (1 - LIMIT))
        x = x.copy()
        x[over] = np.sign(x[over]) * squeezed * 0.999
    return x


def _render(
    voice: Path, music: Path, plan: MixPlan, env: tuple[list[float], list[float]], gain: float
) -> Iterator[wav.Pcm]:
    total = round(plan.duration * RATE)
    vstream = _Exact(wav.read_blocks(voice, BLOCK), 1, lead=round(plan.voice_offset * RATE))
    mstream = _Exact(_looped(music), 2)
    done = 0
    while done < total:
        n = min(BLOCK, total - done)
        v = vstream.take(n)
        m = mstream.take(n) * _gain_curve(plan, env, done / RATE, n)
        yield _soft_limit((v + m) * np.float32(gain))
        done += n


def mix(voice: Path, music: Path, plan: MixPlan, out: Path) -> MixReport:
    """Write the normalised 48 kHz stereo mix to ``out``; ``voice`` must be 48 kHz mono."""
    for path, channels in ((voice, 1), (music, 2)):
        rate, ch, _ = wav.info(path)
        if (rate, ch) != (RATE, channels):
            raise MediaError(f"{path.name}: expected {RATE} Hz x{channels}, got {rate} Hz x{ch}")
    voice_lufs = measure_file(voice)
    music_lufs = measure_file(music, seconds=min(plan.duration, 60.0))
    if not math.isfinite(voice_lufs):
        raise MediaError("the voiceover is silent")
    rel = voice_lufs - (music_lufs if math.isfinite(music_lufs) else voice_lufs)
    env = duck_envelope(
        plan,
        10 ** ((rel + plan.music_under_speech_lu) / 20),
        10 ** ((rel + plan.music_alone_lu) / 20),
    )
    gain_db = 0.0
    meter = LoudnessMeter(2)
    for block in _render(voice, music, plan, env, 1.0):
        meter.add(block)
    gain_db = plan.target_lufs - meter.integrated()
    passes = 1
    while True:
        meter = LoudnessMeter(2)
        with wav.WavWriter(out, RATE, 2) as writer:
            for block in _render(voice, music, plan, env, 10 ** (gain_db / 20)):
                meter.add(block)
                writer.write(block)
        passes += 1
        error = plan.target_lufs - meter.integrated()
        if abs(error) <= TOLERANCE_LU or passes >= 4:
            break
        gain_db += error
    return MixReport(meter.integrated(), meter.peak, gain_db, voice_lufs, music_lufs, passes)
