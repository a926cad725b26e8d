"""Small additive-synthesis voices for the generated music bed (float32, mono, 48 kHz).

Tones are read from a one-cycle wavetable instead of summing ``np.sin`` per partial: one table
lookup per sample costs the same whatever the number of partials, which keeps a two-minute bed
to about a second of CPU.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 48_000
_TABLE_SIZE = 4096

Signal = npt.NDArray[np.float32]

# Partial amplitudes: a sawtooth rolled off quickly sounds like a low-passed, warm pad.
PAD_PARTIALS = (1.0, 0.45, 0.2, 0.1, 0.05)
PLUCK_PARTIALS = (1.0, 0.25, 0.08)
BASS_PARTIALS = (1.0, 0.3, 0.05)


def midi_hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _wavetable(partials: tuple[float, ...]) -> Signal:
    cycle = np.arange(_TABLE_SIZE) / _TABLE_SIZE * 2 * np.pi
    table = sum(amp * np.sin(k * cycle) for k, amp in enumerate(partials, start=1))
    peak = float(np.abs(table).max())
    return (np.asarray(table) / peak).astype(np.float32)


_TABLES: dict[tuple[float, ...], Signal] = {
    p: _wavetable(p) for p in (PAD_PARTIALS, PLUCK_PARTIALS, BASS_PARTIALS)
}


def tone(freq: float, length: int, partials: tuple[float, ...], phase: float = 0.0) -> Signal:
    """``length`` samples of a steady tone; ``phase`` in cycles (0-1)."""
    table = _TABLES.get(partials)
    if table is None:
        table = _TABLES[partials] = _wavetable(partials)
    step = freq / SAMPLE_RATE * _TABLE_SIZE
    index = (np.arange(length, dtype=np.float64) * step + phase * _TABLE_SIZE).astype(np.int64)
    out: Signal = table[index & (_TABLE_SIZE - 1)]
    return out


def pad_envelope(hold: int, release: int, attack: float = 0.6) -> Signal:
    """Slow swell, a gentle sag while held, then a cosine release: chords blend into each other."""
    t = np.arange(hold + release, dtype=np.float32) / SAMPLE_RATE
    env = np.minimum(1.0, t / attack) * (0.75 + 0.25 * np.exp(-t / 2.5))
    fade = 0.5 + 0.5 * np.cos(
        np.pi * np.clip((t - hold / SAMPLE_RATE) * SAMPLE_RATE / release, 0, 1)
    )
    return (env * fade).astype(np.float32)


def _taper(signal: Signal, seconds: float = 0.01) -> Signal:
    """Fade the last few milliseconds to zero: a decay cut off mid-way clicks."""
    count = min(len(signal), round(seconds * SAMPLE_RATE))
    signal[len(signal) - count :] *= np.linspace(1.0, 0.0, count, dtype=np.float32)
    return signal


def pluck_envelope(length: int, decay: float = 0.22) -> Signal:
    t = np.arange(length, dtype=np.float32) / SAMPLE_RATE
    return _taper((np.minimum(1.0, t / 0.005) * np.exp(-t / decay)).astype(np.float32))


def bass_envelope(hold: int, release: int = 2400) -> Signal:
    t = np.arange(hold + release, dtype=np.float32) / SAMPLE_RATE
    env = np.minimum(1.0, t / 0.01) * (0.6 + 0.4 * np.exp(-t / 0.4))
    env[hold:] *= np.linspace(1.0, 0.0, release, dtype=np.float32)
    return env.astype(np.float32)


def kick(length: int = 16_800) -> Signal:
    """A soft sine kick: pitch falls from ~120 Hz to 45 Hz in a few tens of milliseconds."""
    t = np.arange(length, dtype=np.float64) / SAMPLE_RATE
    freq = 45.0 + 75.0 * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    return _taper((np.sin(phase) * np.exp(-t / 0.16)).astype(np.float32))


def hat(rng: np.random.Generator, length: int = 3_600) -> Signal:
    """A short burst of high-passed noise (twice-differenced white noise), quickly decaying."""
    noise = rng.standard_normal(length + 2).astype(np.float32)
    bright = np.diff(noise, n=2) / 4
    t = np.arange(length, dtype=np.float32) / SAMPLE_RATE
    return _taper((bright * np.exp(-t / 0.025)).astype(np.float32))


def add(
    buffer: npt.NDArray[np.float32], start: int, signal: Signal, gains: tuple[float, float]
) -> None:
    """Mix a mono ``signal`` into the stereo ``buffer`` (2, n) at ``start``, panned by ``gains``."""
    end = min(buffer.shape[1], start + len(signal))
    if end <= start:
        return
    buffer[0, start:end] += gains[0] * signal[: end - start]
    buffer[1, start:end] += gains[1] * signal[: end - start]
