"""The offline espeak-ng voice: real synthesis, word timings checked against the audio."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pytest

from trendreel.errors import ConfigError, MediaError
from trendreel.providers.base import Speech, SpeechSynthesizer, UsageLog
from trendreel.providers.tts import espeak_ffi
from trendreel.providers.tts.espeak import EspeakSynthesizer, espeak_rate_for
from trendreel.providers.tts.espeak_align import align, tokenise

TEXT = (
    "Every morning millions of people open their phones and scroll through short videos. "
    "Some clips vanish within hours, while others spread across the world in a single afternoon."
)


def _speak(text: str = TEXT, rate: float = 160, scene: int = 0) -> Speech:
    return EspeakSynthesizer().synthesize(text, scene, rate, UsageLog())


def _rms(samples: npt.NDArray[np.int16]) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


def test_satisfies_the_protocol_and_records_usage() -> None:
    synth: SpeechSynthesizer = EspeakSynthesizer("en-us")
    usage = UsageLog()
    synth.synthesize("Hello there.", 0, 160, usage)
    [call] = usage.calls
    assert (call.provider, call.unit_name, call.units) == ("espeak", "characters", 12)
    assert call.estimated_cost_usd == 0


def test_duration_and_format_are_plausible() -> None:
    speech = _speak()
    words = len(TEXT.split())
    assert speech.sample_rate == 22050
    assert speech.samples.dtype == np.int16
    assert words / 160 * 60 * 0.75 < speech.duration < words / 160 * 60 * 1.3
    assert np.abs(speech.samples.astype(np.int32)).max() > 3000  # speech, not silence


def test_one_timing_per_token_in_order() -> None:
    speech = _speak()
    assert [w.word for w in speech.words] == [t.strip(".,") for t in TEXT.split()]
    starts = [w.start for w in speech.words]
    assert all(b > a for a, b in pairwise(starts))
    assert all(w.end > w.start for w in speech.words)
    assert all(w.end <= n.start + 1e-9 for w, n in pairwise(speech.words))
    assert speech.words[-1].end <= speech.duration
    assert speech.words[0].start <= 0.06  # leading silence trimmed


def test_every_word_start_is_voiced() -> None:
    speech = _speak()
    rate, overall = speech.sample_rate, _rms(speech.samples)
    for word in speech.words:
        start = round(word.start * rate)
        after = _rms(speech.samples[start : start + round(0.08 * rate)])
        assert after > overall * 10 ** (-25 / 20), word


def test_word_before_a_pause_ends_before_the_pause() -> None:
    speech = _speak("Most of the time, in the end, it works.")
    words = {w.word: w for w in speech.words}
    assert words["in"].start - words["time"].end > 0.1  # the comma's pause is not in "time"
    rate = speech.sample_rate
    gap = speech.samples[round(words["time"].end * rate) : round(words["in"].start * rate)]
    assert _rms(gap) < _rms(speech.samples) * 0.05


def test_numbers_accents_and_merged_phrases() -> None:
    speech = _speak("In 2026 the café said déjà vu to most of the 1,234 fans.")
    words = [w.word for w in speech.words]
    assert words == [
        *("In", "2026", "the", "café", "said", "déjà", "vu"),
        *("to", "most", "of", "the", "1,234", "fans"),
    ]
    timing = {w.word: w for w in speech.words[:7]}
    # "2026" is several spoken words (several espeak events); they must not leak into "the".
    assert timing["the"].start - timing["2026"].start > 0.8
    assert timing["vu"].start - timing["déjà"].start > 0.2


def test_punctuation_only_pieces_join_a_word() -> None:
    speech = _speak("— Wait — what? Rock & roll!")
    assert [w.word for w in speech.words] == ["Wait", "what", "Rock", "&", "roll"]


def test_slower_rate_takes_longer() -> None:
    durations = [_speak(rate=rate).duration for rate in (120, 160, 220)]
    assert durations[0] > durations[1] > durations[2]


def test_scene_index_is_propagated() -> None:
    assert {w.scene_index for w in _speak(scene=7).words} == {7}


def test_output_is_deterministic() -> None:
    first, second = _speak(), _speak()
    assert np.array_equal(first.samples, second.samples)
    assert first.words == second.words


def test_rate_is_clamped_to_espeak_limits() -> None:
    assert espeak_rate_for(160) == 160
    assert espeak_rate_for(10) == 80
    assert espeak_rate_for(1000) == 450


def test_unknown_voice_is_a_config_error_and_does_not_break_the_engine() -> None:
    with pytest.raises(ConfigError) as info:
        EspeakSynthesizer("xx-nonexistent").synthesize("Hello.", 0, 160, UsageLog())
    assert info.value.field == "espeak_voice"
    assert _speak("Still working.").words[-1].word == "working"


def test_text_without_words_is_a_media_error() -> None:
    with pytest.raises(MediaError, match="nothing to say"):
        _speak("  — ... ")


def test_unloadable_library_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import espeakng_loader

    monkeypatch.setattr(espeakng_loader, "get_library_path", lambda: "/nonexistent/libespeak.so")
    with pytest.raises(MediaError) as info:
        espeak_ffi.synthesize("Hello.", "en-us", 160)
    assert "reinstall" in info.value.hint


@pytest.mark.parametrize(
    ("text", "positions", "expected"),
    [
        # a number is several events inside one token
        ("In 2026 the café", [1, 4, 5, 5, 5, 9, 13], [0, 1, 5, 6]),
        # "of the" is one dictionary entry with one event: "the" has none
        ("from the numbers", [1, 10], [0, None, 1]),
        # "it is" reports the second word one character into the first
        ("what it is now", [1, 6, 7, 12], [0, 1, 2, 3]),
        # camelCase words are spoken as parts
        ("use TikTok today", [1, 5, 8, 12], [0, 1, 3]),
        # an emoji is spoken as words, the later event reported in the gap after it
        ("fun 😀 really", [1, 5, 6, 7], [0, 1, 3]),
    ],
)
def test_event_alignment(text: str, positions: list[int], expected: list[int | None]) -> None:
    assert align(tokenise(text), positions) == expected


def test_tokens_keep_internal_apostrophes_and_hyphens() -> None:
    words = [t.word for t in tokenise("“It's state-of-the-art,” (they) said…")]
    assert words == ["It's", "state-of-the-art", "they", "said"]
