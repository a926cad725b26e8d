"""The default offline narrator: the Piper neural voice en_US-joe-medium, with word timings from
the model's own phoneme durations.

Why the model runs here directly (onnxruntime, MIT) rather than through piper-tts: piper-tts is
GPL-3.0-or-later and would add a second, private espeak-ng build to an Apache-2.0 project that
already binds one (espeakng-loader, GPL-3.0, loaded at run time through ctypes and used only by
the offline narrators, so it stays a separate, replaceable component). What piper-tts would do for
us is small and fully specified by the voice's config: espeak IPA in, symbol ids between BOS and
EOS with a pad after each, one ONNX call per sentence. And what we need it does not give: its
phonemiser loses which words of the text each IPA word came from, it loads its session with
default options, and it peak-normalises every sentence separately. The graph change that exposes
durations is one line with the onnx package (Apache-2.0), made once into a cache.

Timing: a word starts where the first symbol of its group starts and ends where its last symbol
(with its pad) ends, both sums of the model's per-id sample counts (``piper_phonemes`` says which
symbols each word became). Each id lasts at least one frame (``hop_length`` samples, 11.6 ms), so
words start at least four frames, 46 ms, apart: more than a video frame, which a caption needs to
be seen at all. Only tokens espeak gives no sound of their own ("^", a zero-width space) can
share a symbol with a neighbour; ``_seen`` moves their start on by MIN_START_GAP.

Rate: ``length_scale`` multiplies every predicted duration before it is rounded up to whole frames,
so the rounding (about a third of a word's length at 1.0) does not scale with it. Measured as words
over the whole utterance on what the narrator reads, the offline writer's scripts (46 scenes of 8
scripts, 15 to 120 s; short sentences, so many pauses), 2 runs each:

    length_scale   0.7    0.85   1.0    1.2    1.4    1.6
    words/minute   232    195    179    160    139    123

``wpm = RATE_SCALE / (length_scale + ROUNDING)`` fits every column within 3.2 %, so
``length_scale_for`` inverts it (ordinary prose, with fewer pauses, comes out ~8 % faster); the
voiceover stage corrects what is left with its second pass.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt

from trendreel.errors import MediaError
from trendreel.models import WordTiming
from trendreel.providers.base import Speech, UsageLog
from trendreel.providers.tts.espeak_align import normalise, tokenise
from trendreel.providers.tts.piper_model import PiperModel
from trendreel.providers.tts.piper_phonemes import utterance
from trendreel.providers.tts.piper_voice import (
    PROVIDER,
    VoiceFiles,
    packaged_voice,
    read_config,
    require_runtime,
)

RATE_SCALE, ROUNDING = 246.1, 0.375  # least-squares fit of 1/wpm to the table above
MIN_LENGTH_SCALE, MAX_LENGTH_SCALE = 0.5, 2.0
PEAK = 10 ** (-1 / 20)  # scenes are peak-normalised to -1 dBFS
MIN_START_GAP = 0.04  # seconds: over one frame at 30 fps


def length_scale_for(rate_wpm: float) -> float:
    """The duration multiplier that makes this voice speak ``rate_wpm`` words per minute."""
    return min(max(RATE_SCALE / rate_wpm - ROUNDING, MIN_LENGTH_SCALE), MAX_LENGTH_SCALE)


class PiperSynthesizer:
    """Loads the model on first use and keeps it: the runtime builds one provider per process."""

    name = PROVIDER

    def __init__(self, cache_dir: Path, files: VoiceFiles | None = None) -> None:
        require_runtime()
        self.files = files or packaged_voice()
        self.voice = self.files.name
        self.config = read_config(self.files)
        self._cache_dir = cache_dir
        self._model: PiperModel | None = None
        self._lock = threading.Lock()

    def model(self) -> PiperModel:
        with self._lock:
            if self._model is None:
                self._model = PiperModel.load(self.files, self.config, self._cache_dir)
            return self._model

    def synthesize(self, text: str, scene_index: int, rate_wpm: float, usage: UsageLog) -> Speech:
        text = normalise(text)
        tokens = tokenise(text)
        if not tokens:
            raise MediaError(f"piper: nothing to say in scene {scene_index}: {text!r}")
        model = self.model()
        spoken = utterance(text, tokens, self.config.espeak.voice, self.config.phoneme_id_map)
        audio, starts, ends = _speak(model, spoken.sentences, length_scale_for(rate_wpm))
        usage.record(self.name, "synthesize", len(text), "characters", 0.0)
        rate = model.sample_rate
        times = _seen([(starts[a] / rate, ends[b - 1] / rate) for a, b in spoken.spans])
        words = [
            WordTiming(word=token.word, start=start, end=end, scene_index=scene_index)
            for token, (start, end) in zip(tokens, times, strict=True)
        ]
        return Speech(samples=_pcm(audio), sample_rate=rate, words=words)


def _speak(
    model: PiperModel, sentences: list[list[str]], length_scale: float
) -> tuple[npt.NDArray[np.float32], list[int], list[int]]:
    """The sentences' audio, joined, and every symbol's first and end sample in it."""
    chunks: list[npt.NDArray[np.float32]] = []
    starts: list[int] = []
    ends: list[int] = []
    offset = 0
    for symbols in sentences:
        ids, at = model.encode(symbols)
        audio, per_id = model.infer(ids, length_scale)
        edges = offset + np.concatenate(([0], np.cumsum(per_id)))
        starts += [int(edges[i]) for i in at[:-1]]
        ends += [int(edges[i]) for i in at[1:]]
        chunks.append(audio)
        offset += len(audio)
    return np.concatenate(chunks), starts, ends


def _seen(times: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(start, end) of each word, every start at least MIN_START_GAP after the one before."""
    seen: list[tuple[float, float]] = []
    for start, end in times:
        earliest = seen[-1][0] + MIN_START_GAP if seen else 0.0
        seen.append((max(start, earliest), max(start, earliest, end)))
    return seen


def _pcm(audio: npt.NDArray[np.float32]) -> npt.NDArray[np.int16]:
    peak = float(np.abs(audio).max())
    if peak == 0.0:
        raise MediaError("piper produced only silence")
    return np.round(audio * (PEAK * 32767 / peak)).astype(np.int16)
