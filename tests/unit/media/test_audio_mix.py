"""The soundtrack mix: voice over looping music, ducked under speech, normalised to -14 LUFS."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from tests.unit.media.conftest import RATE, Floats, read_wav, tone, write_wav
from trendreel.errors import MediaError
from trendreel.media import audio
from trendreel.media.loudness import LoudnessMeter
from trendreel.media.render import speech_intervals
from trendreel.media.timeline import TimedWord

VOICE_HZ, MUSIC_HZ = 1000.0, 200.0
OFFSET = 0.3
DURATION = 5.0
MUSIC_SECONDS = 1.5  # shorter than the mix: it has to loop
# Voice time: two phrases; output time is OFFSET later.
PHRASES = [(0.2, 1.0), (2.0, 2.8)]
SPEECH = [(a + OFFSET, b + OFFSET) for a, b in PHRASES]  # (0.5, 1.3), (2.3, 3.1)


def band_level(samples: Floats, t0: float, t1: float, freq: float) -> float:
    """dB level of ``freq`` (±20 Hz) in the left channel between t0 and t1, independent of
    the window's length."""
    seg = samples[round(t0 * RATE) : round(t1 * RATE), 0]
    window = np.hanning(len(seg))
    spectrum = np.abs(np.fft.rfft(seg * window)) / window.sum()
    freqs = np.fft.rfftfreq(len(seg), 1 / RATE)
    power = float((spectrum[np.abs(freqs - freq) <= 20] ** 2).sum())
    return 10 * math.log10(power + 1e-20)


def rms(samples: Floats, t0: float, t1: float) -> float:
    seg = samples[round(t0 * RATE) : round(t1 * RATE)]
    return float(np.sqrt(np.mean(seg**2)))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("mix")
    voice = np.zeros(round(3.0 * RATE))
    for a, b in PHRASES:
        voice[round(a * RATE) : round(b * RATE)] = tone(VOICE_HZ, b - a, -10.0)
    music = tone(MUSIC_HZ, MUSIC_SECONDS, -6.0)  # a whole number of cycles: loops cleanly
    return (
        write_wav(folder / "voice.wav", voice),
        write_wav(folder / "music.wav", np.stack([music, music], axis=1)),
    )


@pytest.fixture(scope="module")
def mixed(
    inputs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[audio.MixReport, int, Floats]:
    out = tmp_path_factory.mktemp("mixout") / "mix.wav"
    report = audio.mix(*inputs, audio.MixPlan(DURATION, OFFSET, SPEECH), out)
    rate, samples = read_wav(out)
    return report, rate, samples


def test_output_is_48k_stereo_of_exactly_the_plan_length(
    mixed: tuple[audio.MixReport, int, Floats],
) -> None:
    _, rate, samples = mixed
    assert rate == RATE
    assert samples.shape == (round(DURATION * RATE), 2)


def test_output_is_normalised_to_minus_14_lufs_below_full_scale(
    mixed: tuple[audio.MixReport, int, Floats],
) -> None:
    report, _, samples = mixed
    meter = LoudnessMeter(2)
    meter.add(samples.astype(np.float32))
    assert meter.integrated() == pytest.approx(-14.0, abs=0.5)
    assert report.integrated_lufs == pytest.approx(-14.0, abs=0.3)
    assert np.abs(samples).max() < 1.0
    assert report.peak < 1.0
    pyln = pytest.importorskip("pyloudnorm")
    assert pyln.Meter(RATE).integrated_loudness(samples) == pytest.approx(-14.0, abs=0.5)


def test_voice_is_placed_at_the_voice_offset(mixed: tuple[audio.MixReport, int, Floats]) -> None:
    _, _, samples = mixed
    # Voice starts at 0.2 s of its file, so at 0.5 s of output; none of it before.
    assert band_level(samples, 0.25, 0.45, VOICE_HZ) < band_level(samples, 0.6, 0.8, VOICE_HZ) - 40
    assert band_level(samples, 1.8, 2.2, VOICE_HZ) < band_level(samples, 2.4, 3.0, VOICE_HZ) - 40


def test_music_ducks_under_speech_and_comes_back_between_phrases(
    mixed: tuple[audio.MixReport, int, Floats],
) -> None:
    _, _, samples = mixed
    under_first = band_level(samples, 0.7, 1.2, MUSIC_HZ)
    between = band_level(samples, 1.75, 2.15, MUSIC_HZ)  # after the music's end: looped
    under_second = band_level(samples, 2.5, 3.0, MUSIC_HZ)
    after = band_level(samples, 3.6, 3.8, MUSIC_HZ)  # released, not yet fading out
    # The plan asks for -18 LU under speech and -7 LU alone: 11 dB apart.
    assert between - under_first == pytest.approx(11.0, abs=2.0)
    assert between - under_second == pytest.approx(11.0, abs=2.0)
    assert after - under_second == pytest.approx(11.0, abs=2.0)


def test_music_fades_in_from_silence(mixed: tuple[audio.MixReport, int, Floats]) -> None:
    _, _, samples = mixed
    assert np.abs(samples[0]).max() == 0.0
    early, later = rms(samples, 0.0, 0.05), rms(samples, 0.3, 0.35)
    assert later > 0.0
    assert early < 0.15 * later
    assert rms(samples, 0.1, 0.15) < rms(samples, 0.2, 0.25) < later


def test_music_fades_out_to_silence_at_the_end(mixed: tuple[audio.MixReport, int, Floats]) -> None:
    _, _, samples = mixed
    assert np.abs(samples[-48:]).max() < 0.01
    assert rms(samples, 4.9, 5.0) < 0.25 * rms(samples, 3.6, 3.7)


def test_loud_input_is_soft_limited_below_full_scale(tmp_path: Path) -> None:
    # A near-full-scale square wave voice: normalising it would clip without the limiter.
    t = np.arange(RATE * 2) / RATE
    square = 0.99 * np.sign(np.sin(2 * np.pi * 150 * t))
    voice = write_wav(tmp_path / "v.wav", square)
    music = write_wav(tmp_path / "m.wav", np.zeros((RATE, 2)))
    out = tmp_path / "mix.wav"
    report = audio.mix(voice, music, audio.MixPlan(2.5, 0.0, [(0.0, 2.0)]), out)
    _, samples = read_wav(out)
    assert np.abs(samples).max() <= 0.9995
    assert report.peak < 1.0
    assert samples.shape == (round(2.5 * RATE), 2)


def test_silent_music_still_mixes_the_voice(tmp_path: Path) -> None:
    voice = write_wav(tmp_path / "v.wav", tone(VOICE_HZ, 1.5, -20.0))
    music = write_wav(tmp_path / "m.wav", np.zeros((RATE // 2, 2)))
    out = tmp_path / "mix.wav"
    report = audio.mix(voice, music, audio.MixPlan(2.0, 0.3, [(0.3, 1.8)]), out)
    assert report.music_lufs == -math.inf
    assert report.integrated_lufs == pytest.approx(-14.0, abs=0.3)


def _write(path: Path, seconds: float, rate: int, channels: int) -> Path:
    mono = tone(VOICE_HZ, seconds, -20.0, rate)
    return write_wav(path, mono if channels == 1 else np.stack([mono] * channels, axis=1), rate)


@pytest.mark.parametrize(
    ("voice_fmt", "music_fmt"),
    [
        ((44_100, 1), (RATE, 2)),  # voice at the wrong rate
        ((RATE, 1), (44_100, 2)),  # music at the wrong rate
        ((RATE, 2), (RATE, 2)),  # stereo voice
        ((RATE, 1), (RATE, 1)),  # mono music
    ],
)
def test_wrong_input_formats_raise_media_error(
    tmp_path: Path, voice_fmt: tuple[int, int], music_fmt: tuple[int, int]
) -> None:
    voice = _write(tmp_path / "v.wav", 1.0, *voice_fmt)
    music = _write(tmp_path / "m.wav", 1.0, *music_fmt)
    with pytest.raises(MediaError, match=r"expected 48000 Hz"):
        audio.mix(voice, music, audio.MixPlan(1.5, 0.3, [(0.3, 1.3)]), tmp_path / "o.wav")


def test_silent_voice_and_empty_music_raise_media_error(tmp_path: Path) -> None:
    plan = audio.MixPlan(1.5, 0.3, [(0.3, 1.3)])
    silent = write_wav(tmp_path / "silent.wav", np.zeros(RATE))
    music = _write(tmp_path / "m.wav", 1.0, RATE, 2)
    with pytest.raises(MediaError, match="silent"):
        audio.mix(silent, music, plan, tmp_path / "o.wav")
    voice = _write(tmp_path / "v.wav", 1.0, RATE, 1)
    empty = write_wav(tmp_path / "empty.wav", np.zeros((0, 2)))
    with pytest.raises(MediaError, match="empty"):
        audio.mix(voice, empty, plan, tmp_path / "o.wav")
    not_wav = tmp_path / "x.wav"
    not_wav.write_bytes(b"not a wav file at all")
    with pytest.raises(MediaError, match="not a 16-bit PCM WAV"):
        audio.mix(not_wav, music, plan, tmp_path / "o.wav")


def test_duck_envelope_is_low_while_speaking_and_high_between() -> None:
    plan = audio.MixPlan(6.0, 0.3, [(1.0, 2.0), (3.5, 4.0)])
    xs, ys = audio.duck_envelope(plan, 0.1, 1.0)
    gain = np.interp([0.0, 0.5, 1.0, 1.5, 2.0, 2.3, 3.0, 3.5, 3.9, 4.5], xs, ys)
    assert gain.tolist() == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 1.0, 0.1, 0.1, 1.0])
    assert all(b >= a for a, b in itertools.pairwise(xs))
    # it starts dipping ATTACK before speech and recovers RELEASE + ATTACK after
    assert np.interp(1.0 - audio.ATTACK / 2, xs, ys) == pytest.approx(0.55)
    assert np.interp(2.0 + audio.RELEASE + audio.ATTACK / 2, xs, ys) == pytest.approx(0.55)


def test_music_stays_ducked_through_a_short_gap_between_phrases() -> None:
    # Phrases 0.35 s apart (speech_intervals only merges gaps under 0.3 s).
    plan = audio.MixPlan(4.0, 0.3, [(0.5, 1.0), (1.35, 2.0)])
    xs, ys = audio.duck_envelope(plan, 0.1, 1.0)
    during_speech = np.interp(np.linspace(1.35, 2.0, 66), xs, ys)
    assert during_speech.max() == pytest.approx(0.1)


def _word(n: int, start: float, end: float) -> TimedWord:
    return TimedWord(n, f"w{n}", start, end, 0)


def test_speech_intervals_merge_words_closer_than_the_gap() -> None:
    words = [_word(0, 0.3, 0.5), _word(1, 0.6, 0.9), _word(2, 1.3, 1.5), _word(3, 1.5, 1.6)]
    assert speech_intervals(words) == [(0.3, 0.9), (1.3, 1.6)]
    assert speech_intervals([]) == []
