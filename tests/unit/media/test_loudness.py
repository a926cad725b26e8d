"""The streaming BS.1770 loudness meter."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.unit.media.conftest import RATE, Floats, tone
from trendreel.media.loudness import Audio, LoudnessMeter


def stereo(mono: Floats) -> Audio:
    return np.stack([mono, mono], axis=1).astype(np.float32)


def measure(audio: Audio, blocks: list[int] | None = None) -> float:
    meter = LoudnessMeter(audio.shape[1])
    if blocks is None:
        meter.add(audio)
    else:
        start = 0
        sizes = iter(blocks * (len(audio) // max(sum(blocks), 1) + 2))
        while start < len(audio):
            n = next(sizes)
            meter.add(audio[start : start + n])
            start += n
    return meter.integrated()


@pytest.mark.parametrize("dbfs", [-20.0, -26.0, -10.0])
def test_stereo_1khz_sine_measures_its_level(dbfs: float) -> None:
    assert measure(stereo(tone(1000.0, 3.0, dbfs))) == pytest.approx(dbfs, abs=0.2)


def test_mono_channel_counts_once() -> None:
    # One channel at -20 dBFS carries half the power of two: -23.01 LUFS.
    assert measure(tone(1000.0, 3.0, -20.0)[:, None].astype(np.float32)) == pytest.approx(
        -23.01, abs=0.2
    )


def test_k_weighting_boosts_highs_and_cuts_lows() -> None:
    high = measure(stereo(tone(4000.0, 3.0, -20.0)))
    low = measure(stereo(tone(60.0, 3.0, -20.0)))
    assert high - (-20.0) == pytest.approx(3.5, abs=0.5)  # ~+3.5 dB shelf at 4 kHz
    assert low < -21.0  # the high-pass takes ~1 dB off at 60 Hz


def test_silence_and_short_audio_are_minus_infinity() -> None:
    assert measure(np.zeros((RATE * 2, 2), dtype=np.float32)) == -math.inf
    assert measure(stereo(tone(1000.0, 0.35, -20.0))) == -math.inf  # under one 400 ms block
    assert LoudnessMeter(2).integrated() == -math.inf


def test_result_does_not_depend_on_block_sizes() -> None:
    rng = np.random.default_rng(1)
    audio = stereo(tone(700.0, 2.5, -18.0) * (1 + 0.5 * np.sin(np.arange(120_000) / 9000)))
    audio += rng.normal(0, 0.01, audio.shape).astype(np.float32)
    whole = measure(audio)
    assert math.isfinite(whole)
    assert measure(audio, [4799, 1, 12345, 333, 48000, 7]) == pytest.approx(whole, abs=1e-6)
    assert measure(audio, [4800]) == pytest.approx(whole, abs=1e-6)
    assert measure(audio, [100_000, 0, 77]) == pytest.approx(whole, abs=1e-6)


def _then(first: Audio, second: Audio) -> Audio:
    return np.concatenate([first, second])


def test_absolute_gate_ignores_a_long_silence_after_a_tone() -> None:
    # Blocks straddling the tone's end count (as BS.1770 says); after them silence is ignored.
    tone_part = stereo(tone(1000.0, 2.0, -20.0))
    short = measure(_then(tone_part, np.zeros((RATE // 2, 2), dtype=np.float32)))
    long = measure(_then(tone_part, np.zeros((RATE * 20, 2), dtype=np.float32)))
    assert long == pytest.approx(short, abs=0.1)
    assert long == pytest.approx(-20.0, abs=0.5)


def test_relative_gate_ignores_a_much_quieter_passage() -> None:
    loud = stereo(tone(1000.0, 2.0, -20.0))
    silent = measure(_then(loud, np.zeros((RATE * 10, 2), dtype=np.float32)))
    # 25 LU down: above the -70 LUFS absolute gate but below the -10 LU relative gate.
    quiet = measure(_then(loud, stereo(tone(1000.0, 10.0, -45.0))))
    assert quiet == pytest.approx(silent, abs=0.1)
    # ...while a passage only 6 LU down is above the gate and pulls the result down.
    assert measure(_then(loud, stereo(tone(1000.0, 2.0, -26.0)))) < silent - 1.0


def test_peak_is_the_largest_absolute_sample() -> None:
    meter = LoudnessMeter(2)
    audio = stereo(tone(1000.0, 0.5, -20.0))
    audio[100, 1] = -0.75
    meter.add(audio[:1000])
    meter.add(audio[1000:])
    assert meter.peak == pytest.approx(0.75)


def test_wrong_channel_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="expected 2 channels, got 1"):
        LoudnessMeter(2).add(np.zeros((10, 1), dtype=np.float32))


def pinkish_noise(seconds: float, seed: int) -> Audio:
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    spectrum = np.fft.rfft(rng.standard_normal((n, 2)), axis=0)
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum /= np.sqrt(np.maximum(freqs, 20.0))[:, None]  # 1/f power
    noise = np.fft.irfft(spectrum, n, axis=0)
    out: Audio = (noise / np.abs(noise).max() * 0.5).astype(np.float32)
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_agrees_with_pyloudnorm_on_pinkish_noise(seed: int) -> None:
    pyln = pytest.importorskip("pyloudnorm")
    audio = pinkish_noise(4.0, seed)
    audio[RATE : RATE * 2] *= 0.1  # a quieter second, so gating matters a little
    reference = pyln.Meter(RATE).integrated_loudness(audio.astype(np.float64))
    assert measure(audio, [12_345]) == pytest.approx(reference, abs=0.3)
