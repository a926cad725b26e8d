"""Voicing a script scene by scene, joined with pauses and held to the planned length."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from tests.unit.stages.fakes import TTS_COST_PER_CALL, FakeTTS, make_script, nominal_seconds
from trendreel.errors import MediaError
from trendreel.providers.base import NARRATION_WPM, UsageLog
from trendreel.stages.voiceover import MAX_WPM, MIN_WPM, RATE_TOLERANCE, SCENE_PAUSE, voice_script

SCENE_WORDS = [12, 20, 16, 8]
PAUSES = SCENE_PAUSE * (len(SCENE_WORDS) - 1)


def _rates(usage: UsageLog) -> list[float]:
    """The speaking rates the fake TTS was asked for, in call order."""
    return [float(c.operation.removeprefix("synthesize@").removesuffix("wpm")) for c in usage.calls]


def test_scenes_are_joined_with_pauses_and_words_shifted_to_global_time() -> None:
    script = make_script(SCENE_WORDS)
    target = nominal_seconds(script) + PAUSES  # on target: voiced once at the default rate
    usage = UsageLog()
    speech, bounds, rate = voice_script(FakeTTS(), script, target, usage)

    assert rate == NARRATION_WPM
    assert speech.duration == pytest.approx(target, abs=1e-3)
    assert len(bounds) == len(SCENE_WORDS)
    assert bounds[0][0] == 0.0
    assert bounds[-1][1] == pytest.approx(speech.duration)
    for (_, end), (start, _) in pairwise(bounds):
        assert start - end == pytest.approx(SCENE_PAUSE, abs=1e-3)
        gap = speech.samples[round(end * speech.sample_rate) : round(start * speech.sample_rate)]
        assert len(gap) > 0
        assert not np.any(gap)  # silence between scenes

    assert [w.word for w in speech.words] == [
        t.strip(".") for s in script.scenes for t in s.narration.split()
    ]
    starts = [w.start for w in speech.words]
    assert all(b > a for a, b in pairwise(starts))
    for word in speech.words:
        start, end = bounds[word.scene_index]
        assert start - 1e-9 <= word.start < word.end <= end + 1e-9
    for index, count in enumerate(SCENE_WORDS):
        first = next(w for w in speech.words if w.scene_index == index)
        assert first.start == pytest.approx(bounds[index][0])
        assert sum(w.scene_index == index for w in speech.words) == count
    assert _rates(usage) == [NARRATION_WPM] * len(SCENE_WORDS)


def test_a_voice_that_misses_the_target_is_revoiced_at_a_scaled_rate() -> None:
    script = make_script(SCENE_WORDS)
    target = nominal_seconds(script) + PAUSES
    tts = FakeTTS(slowness=1.3)  # speaks 30% slower than asked: the first attempt runs long
    first_duration = nominal_seconds(script) * 1.3 + PAUSES
    assert first_duration / target - 1 > RATE_TOLERANCE
    usage = UsageLog()

    speech, bounds, rate = voice_script(tts, script, target, usage)

    assert rate == pytest.approx(NARRATION_WPM * first_duration / target)
    assert abs(speech.duration / target - 1) <= RATE_TOLERANCE
    assert bounds[-1][1] == pytest.approx(speech.duration)
    assert speech.words[-1].end <= speech.duration
    # both attempts are in the usage log, each scene voiced at each rate
    rates = _rates(usage)
    assert rates == pytest.approx([NARRATION_WPM] * 4 + [round(rate, 1)] * 4, abs=0.06)
    assert usage.total_cost() == pytest.approx(8 * TTS_COST_PER_CALL)


def test_a_voice_within_tolerance_is_kept() -> None:
    script = make_script(SCENE_WORDS)
    target = (nominal_seconds(script) + PAUSES) * 1.05  # 5% miss: inside the 8% tolerance
    usage = UsageLog()
    _, _, rate = voice_script(FakeTTS(), script, target, usage)
    assert rate == NARRATION_WPM
    assert len(usage.calls) == len(SCENE_WORDS)


@pytest.mark.parametrize(("slowness", "clamped"), [(3.0, MAX_WPM), (0.3, MIN_WPM)])
def test_the_rescaled_rate_is_clamped(slowness: float, clamped: float) -> None:
    script = make_script(SCENE_WORDS)
    target = nominal_seconds(script) + PAUSES
    usage = UsageLog()
    speech, _, rate = voice_script(FakeTTS(slowness=slowness), script, target, usage)
    assert rate == clamped
    assert _rates(usage)[len(SCENE_WORDS) :] == [clamped] * len(SCENE_WORDS)
    expected = nominal_seconds(script, clamped) * slowness + PAUSES
    assert speech.duration == pytest.approx(expected, abs=1e-3)


def test_mixed_sample_rates_are_a_media_error() -> None:
    script = make_script([3, 3])
    with pytest.raises(MediaError, match="mixed sample rates"):
        voice_script(FakeTTS(rates=[8000, 16000]), script, 10.0, UsageLog())
