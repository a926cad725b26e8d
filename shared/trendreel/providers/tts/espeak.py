"""The offline voice: espeak-ng through ctypes, with word timings from espeak's own events.

Word starts come from the ``sample`` field of espeak's WORD events: it is the sample index from the
start of each espeak_Synth call (verified against the audio: events land on the voicing onsets
and the END event's sample equals the number of samples produced), so it needs no offset and is
more precise than the millisecond field. Word ends are not reported by espeak; a word ends where
the next one starts, pulled back over any pause in between.

Speaking rate, measured with espeak-ng 1.52 en-us as words / whole utterance duration:

    requested    87-word paragraph   69-word news text   45 short words
    140          138.8 wpm           142.8 wpm           159.1 wpm
    160          158.9 wpm           162.1 wpm           182.9 wpm
    180          179.3 wpm           183.1 wpm           207.8 wpm

espeak's ``espeakRATE`` is already real words per minute for ordinary prose (within ~2 %; 80
words at 160 take ~30 s); text made of short words comes out faster because espeak paces
syllables, not words. There is no systematic offset to correct, so ``espeak_rate_for`` only
rounds and clamps (``RATE_CALIBRATION`` = 1.0).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from trendreel.errors import MediaError
from trendreel.models import WordTiming
from trendreel.providers.base import Speech, UsageLog
from trendreel.providers.tts import espeak_abi, espeak_ffi
from trendreel.providers.tts.espeak_align import Token, align, normalise, tokenise

RATE_CALIBRATION = 1.0  # espeak rate per wanted real wpm (measured, see the module docstring)
SILENCE_DB = -40.0  # a 10 ms frame this far below the loudest frame counts as silence
MIN_WORD_SECONDS = 0.06
EDGE_SECONDS = 0.05  # silence kept before the first and after the last word


def espeak_rate_for(target_wpm: float) -> int:
    """The espeakRATE value that makes espeak speak at ``target_wpm`` real words per minute."""
    rate = round(target_wpm * RATE_CALIBRATION)
    return max(espeak_abi.MIN_RATE, min(espeak_abi.MAX_RATE, rate))


class EspeakSynthesizer:
    name = "espeak"

    def __init__(self, voice: str = "en-us") -> None:
        self.voice = voice

    def synthesize(self, text: str, scene_index: int, rate_wpm: float, usage: UsageLog) -> Speech:
        text = normalise(text)
        tokens = tokenise(text)
        if not tokens:
            raise MediaError(f"espeak: nothing to say in scene {scene_index}: {text!r}")
        raw = espeak_ffi.synthesize(text, self.voice, espeak_rate_for(rate_wpm))
        usage.record(self.name, "synthesize", len(text), "characters", 0.0)
        first = align(tokens, [event.position for event in raw.events])
        _check_coverage(tokens, first)
        event_starts = [None if f is None else raw.events[f].sample for f in first]
        samples, words = _timed_words(raw.samples, raw.sample_rate, tokens, event_starts)
        timings = [
            WordTiming(word=token.word, start=start, end=end, scene_index=scene_index)
            for token, (start, end) in zip(tokens, words, strict=True)
        ]
        return Speech(samples=samples, sample_rate=raw.sample_rate, words=timings)


def _check_coverage(tokens: list[Token], first: list[int | None]) -> None:
    """A few words without an event of their own are normal ("of the" is one dictionary entry
    with one event); most words without one means espeak and the text disagree."""
    missing = [token.word for token, f in zip(tokens, first, strict=True) if f is None]
    if all(f is None for f in first) or len(missing) > max(1, len(tokens) // 2):
        raise MediaError(
            f"espeak reported no timing for {len(missing)} of {len(tokens)} words: "
            + ", ".join(missing[:20])
        )


class _Loudness:
    """Which 10 ms frames of an utterance are voiced."""

    def __init__(self, samples: npt.NDArray[np.int16], sample_rate: int) -> None:
        self.frame = sample_rate // 100
        count = len(samples) // self.frame
        frames = samples[: count * self.frame].astype(np.float64).reshape(count, self.frame)
        rms = np.sqrt((frames**2).mean(axis=1)) if count else np.zeros(0)
        peak = float(rms.max()) if count else 0.0
        self.loud: npt.NDArray[np.bool_] = rms > peak * 10 ** (SILENCE_DB / 20) if peak else rms > 1
        voiced = np.flatnonzero(self.loud)
        if not len(voiced):
            raise MediaError("espeak produced only silence")
        self.start = int(voiced[0]) * self.frame
        self.end = (int(voiced[-1]) + 1) * self.frame

    def trim_back(self, boundary: int, floor: int) -> int:
        """Pull ``boundary`` back over silent frames, not below ``floor``."""
        end, index = boundary, boundary // self.frame - 1  # the last whole frame before it
        while index >= 0 and index * self.frame >= floor and not self.loud[index]:
            end, index = index * self.frame, index - 1
        return max(end, min(floor, boundary))

    def onset(self, start: int, limit: int) -> int:
        """The first voiced frame at or after ``start`` (before ``limit``), else ``start``."""
        first, last = start // self.frame, max(start // self.frame, limit // self.frame)
        voiced = np.flatnonzero(self.loud[first:last])
        return max(start, (first + int(voiced[0])) * self.frame) if len(voiced) else start


def _timed_words(
    samples: npt.NDArray[np.int16],
    sample_rate: int,
    tokens: list[Token],
    event_starts: list[int | None],
) -> tuple[npt.NDArray[np.int16], list[tuple[float, float]]]:
    """Trim the utterance's edge silence and return (start, end) seconds for every token."""
    loud = _Loudness(samples, sample_rate)
    min_len = round(MIN_WORD_SECONDS * sample_rate)
    starts = _starts(loud, tokens, event_starts, min_len)
    ends = [
        loud.trim_back(nxt, start + min_len)
        for start, nxt in zip(starts, [*starts[1:], loud.end], strict=True)
    ]
    cut = max(0, loud.start - round(EDGE_SECONDS * sample_rate))
    stop = min(len(samples), loud.end + round(EDGE_SECONDS * sample_rate))
    words = [
        ((s - cut) / sample_rate, (max(e, s + 1) - cut) / sample_rate)
        for s, e in zip(starts, ends, strict=True)
    ]
    return samples[cut:stop].copy(), words


def _starts(
    loud: _Loudness, tokens: list[Token], event_starts: list[int | None], min_len: int
) -> list[int]:
    """Start samples: espeak's, shared out over words without an event, strictly increasing."""
    anchors = [(i, s) for i, s in enumerate(event_starts) if s is not None]
    starts = [0] * len(tokens)
    for n, (anchor, sample) in enumerate(anchors):
        begin = 0 if n == 0 else anchor  # words before the first event join the first group
        stop, following = anchors[n + 1] if n + 1 < len(anchors) else (len(tokens), loud.end)
        group_start = max(loud.start, sample)
        group_end = loud.trim_back(following, group_start + min_len)
        # Words espeak merged into this event share its audio in proportion to their length.
        weights = np.cumsum([0] + [t.weight for t in tokens[begin:stop]])
        share = (group_end - group_start) / weights[-1]
        for k in range(begin, stop):
            starts[k] = group_start + round(share * weights[k - begin])
    for k in range(1, len(starts)):
        starts[k] = max(starts[k], starts[k - 1] + 1)
    # A start in the silence of a stop consonant or a pause moves to the voicing onset.
    limits = [nxt - min_len for nxt in starts[1:]] + [loud.end - min_len]
    return [loud.onset(start, limit) for start, limit in zip(starts, limits, strict=True)]
