"""The Piper narrator: real synthesis with the packaged voice, word times checked against the
model's own phoneme durations and against the audio itself."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from tests.unit.stages.fakes import make_script
from trendreel.providers.base import Speech, SpeechSynthesizer, UsageLog
from trendreel.providers.tts import piper, piper_phonemes
from trendreel.providers.tts.piper import (
    MAX_LENGTH_SCALE,
    MIN_LENGTH_SCALE,
    MIN_START_GAP,
    RATE_SCALE,
    ROUNDING,
    PiperSynthesizer,
    length_scale_for,
)
from trendreel.providers.tts.piper_model import PiperModel
from trendreel.providers.tts.piper_phonemes import Utterance
from trendreel.providers.tts.piper_voice import BOS, EOS, PAD, packaged_voice
from trendreel.stages.voiceover import SCENE_PAUSE, voice_script

TEXT = "Most of the time, in the end, it works. Then we rest."
PARAGRAPH = (
    "Every morning millions of people open their phones and scroll through short videos. "
    "Some clips vanish within hours, while others spread across the world in a single "
    "afternoon. Nobody can promise which one will take off, but the patterns are easy to spot."
)
SCRIPT = (  # what the offline writer writes: short sentences, so more pauses than prose
    "Three things you need to know about phone battery, fast! Calling all creators! Number one. "
    "Phone battery videos are gaining 204 thousand reactions every hour. That is five times a "
    "typical trend. Number two. It is going viral on Google search, TikTok and YouTube."
)
SOURCE = packaged_voice().model


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model cache, seeded with what an older install and a killed process left behind."""
    cache = tmp_path_factory.mktemp("models")
    (cache / "en_US-joe-medium.1-2.aligned.onnx").write_bytes(b"an older install's copy")
    abandoned = cache / "en_US-joe-medium.1-2.aligned.onnx.99.partial"
    abandoned.write_bytes(b"killed mid-write")
    os.utime(abandoned, (0, 0))
    (cache / "en_US-joe-medium.3-4.aligned.onnx.98.partial").write_bytes(b"being written now")
    return cache


@pytest.fixture(scope="module")
def voice(cache: Path) -> PiperSynthesizer:
    """Loaded once for the module, as the runtime loads it once per process."""
    synth = PiperSynthesizer(cache)
    synth.model()
    return synth


@dataclass
class Recorded:
    utterances: list[Utterance] = field(default_factory=list)
    runs: list[tuple[list[int], npt.NDArray[np.int64]]] = field(default_factory=list)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    """What the real model and phonemiser returned during the test (they still run)."""
    record = Recorded()
    infer, spoken = PiperModel.infer, piper_phonemes.utterance

    def recording_infer(self: PiperModel, ids: list[int], scale: float) -> Any:
        audio, per_id = infer(self, ids, scale)
        record.runs.append((list(ids), per_id.copy()))
        return audio, per_id

    def recording_utterance(*args: Any) -> Utterance:
        record.utterances.append(spoken(*args))
        return record.utterances[-1]

    monkeypatch.setattr(PiperModel, "infer", recording_infer)
    monkeypatch.setattr(piper, "utterance", recording_utterance)  # the name piper.py calls
    return record


def _rms(samples: npt.NDArray[np.int16]) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


def _span(speech: Speech, start: float, end: float) -> npt.NDArray[np.int16]:
    return speech.samples[round(start * speech.sample_rate) : round(end * speech.sample_rate)]


def test_satisfies_the_protocol_and_records_usage(voice: PiperSynthesizer) -> None:
    synth: SpeechSynthesizer = voice
    usage = UsageLog()
    speech = synth.synthesize("Hello there.", 3, 160, usage)
    [call] = usage.calls
    assert (call.provider, call.unit_name, call.units, call.estimated_cost_usd) == (
        "piper", "characters", 12, 0,
    )  # fmt: skip
    assert (synth.name, synth.voice) == ("piper", "en_US-joe-medium")
    assert speech.sample_rate == 22050
    assert speech.samples.dtype == np.dtype(np.int16)
    assert [(w.word, w.scene_index) for w in speech.words] == [("Hello", 3), ("there", 3)]
    assert np.abs(speech.samples.astype(np.int32)).max() > 20000  # peak-normalised speech


def test_word_times_are_the_models_own_phoneme_durations(
    voice: PiperSynthesizer, recorded: Recorded
) -> None:
    speech = voice.synthesize(TEXT, 0, 160, UsageLog())
    [spoken] = recorded.utterances
    ids_of = voice.config.phoneme_id_map
    starts: list[int] = []
    ends: list[int] = []
    offset = 0
    for symbols, (ids, per_id) in zip(spoken.sentences, recorded.runs, strict=True):
        # Piper's input: BOS and a pad, every symbol's ids and a pad, EOS
        layout = [[*ids_of[BOS], *ids_of[PAD]]] + [[*ids_of[s], *ids_of[PAD]] for s in symbols]
        assert ids == [i for part in layout for i in part] + ids_of[EOS]
        edges = offset + np.cumsum([0] + [len(part) for part in layout])
        sums = offset + np.concatenate(([0], np.cumsum(per_id)))
        starts += [int(sums[e]) for e in edges[1:-1] - offset]
        ends += [int(sums[e]) for e in edges[2:] - offset]
        offset += int(per_id.sum())
    assert offset == len(speech.samples)  # the durations account for every sample
    assert len(spoken.sentences) == 2
    for word, (first, last) in zip(speech.words, spoken.spans, strict=True):
        assert round(word.start * speech.sample_rate) == starts[first], word
        assert round(word.end * speech.sample_rate) == ends[last - 1], word


def test_words_are_voiced_and_pauses_are_silent(voice: PiperSynthesizer) -> None:
    speech = voice.synthesize(TEXT, 0, 160, UsageLog())
    overall = _rms(speech.samples)
    assert [w.word for w in speech.words] == [t.strip(",.") for t in TEXT.split()]
    for word in speech.words:
        assert _rms(_span(speech, word.start, word.end)) > overall * 0.05, word
    words = {w.word: w for w in speech.words}
    # the comma's pause and the sentence break, less one video frame of onset at either side
    for before, after in (("time", "in"), ("works", "Then")):
        start, end = words[before].end + 0.04, words[after].start - 0.04
        assert end - start > 0.05
        assert _rms(_span(speech, start, end)) < overall * 0.02, (before, after)


def test_words_are_ordered_and_far_enough_apart_to_be_seen(voice: PiperSynthesizer) -> None:
    speech = voice.synthesize(
        "The iPhone sold 204K units in 3 days! AI costs $5 now.", 0, 230, UsageLog()
    )
    assert all(w.end > w.start for w in speech.words)
    assert all(a.end <= b.start for a, b in pairwise(speech.words))
    assert all(b.start - a.start > 1 / 30 for a, b in pairwise(speech.words))  # one video frame
    timing = {w.word: w for w in speech.words}
    assert timing["204K"].end - timing["204K"].start > 3 * (timing["3"].end - timing["3"].start)
    assert speech.words[-1].end <= speech.duration


def test_tokens_without_a_sound_of_their_own_still_get_a_visible_time(
    voice: PiperSynthesizer,
) -> None:
    speech = voice.synthesize("one ✓ two, x ^ y and a \u200b b.", 0, 160, UsageLog())
    assert [w.word for w in speech.words] == [
        "one",
        "✓",
        "two",
        "x",
        "^",
        "y",
        "and",
        "a",
        "\u200b",
        "b",
    ]
    assert all(b.start - a.start >= MIN_START_GAP - 1e-9 for a, b in pairwise(speech.words))
    assert all(w.start <= w.end <= speech.duration for w in speech.words)


def test_rate_maps_to_length_scale_and_is_clamped() -> None:
    assert length_scale_for(RATE_SCALE / (1 + ROUNDING)) == pytest.approx(1.0)
    assert length_scale_for(120) > length_scale_for(160) > length_scale_for(220)
    assert length_scale_for(10) == MAX_LENGTH_SCALE
    assert length_scale_for(10_000) == MIN_LENGTH_SCALE


@pytest.mark.parametrize("text", [PARAGRAPH, SCRIPT], ids=["prose", "script"])
def test_speaking_rate_follows_the_requested_rate(voice: PiperSynthesizer, text: str) -> None:
    rates = (120, 160, 220)
    seconds = [voice.synthesize(text, 0, rate, UsageLog()).duration for rate in rates]
    assert seconds[0] > seconds[1] > seconds[2]
    for rate, duration in zip(rates, seconds, strict=True):
        assert len(text.split()) / duration * 60 == pytest.approx(rate, rel=0.12)


def test_voiceover_keeps_scenes_pauses_and_the_target(voice: PiperSynthesizer) -> None:
    script = make_script([14, 10, 12])
    speech, bounds, _ = voice_script(voice, script, 12.0, UsageLog())
    assert speech.duration == pytest.approx(12.0, rel=0.15)
    for (_, end), (start, _) in pairwise(bounds):
        assert start - end == pytest.approx(SCENE_PAUSE, abs=1e-3)
        assert not np.any(_span(speech, end, start))
    for word in speech.words:
        start, end = bounds[word.scene_index]
        assert start <= word.start < word.end <= end + 1e-9


def test_the_model_is_patched_into_the_cache_once(voice: PiperSynthesizer, cache: Path) -> None:
    before = SOURCE.stat()
    [copy] = cache.glob("*.aligned.onnx")
    written = copy.stat().st_mtime_ns
    PiperSynthesizer(cache).synthesize("Again.", 0, 160, UsageLog())  # a second process
    assert copy.stat().st_mtime_ns == written
    assert {p.name for p in cache.iterdir()} == {
        copy.name, "en_US-joe-medium.3-4.aligned.onnx.98.partial",  # someone's work in progress
    }  # fmt: skip
    assert (SOURCE.stat().st_size, SOURCE.stat().st_mtime_ns) == (
        before.st_size,
        before.st_mtime_ns,
    )
    assert str(copy).startswith(str(cache))
