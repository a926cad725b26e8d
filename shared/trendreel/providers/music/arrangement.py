"""What the generated bed plays: moods, chords, and rendering one bar at a time.

A bar is a pure function of (mood, seed, bar index), so the track can be rendered bar by bar with
constant memory, and a probe of a few bars predicts the level of the whole track.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trendreel.providers.music import synth
from trendreel.providers.music.synth import SAMPLE_RATE

_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)
_PAD_CENTRE = 64  # E4: every chord is voiced close to it, so chords move smoothly
_LEFT, _RIGHT, _CENTRE = (0.85, 0.35), (0.35, 0.85), (0.7, 0.7)


@dataclass(frozen=True)
class Mood:
    bpm: float
    minor: bool
    progressions: tuple[tuple[int, ...], ...]  # scale degrees (0 = I), one chord per bar
    sevenths: bool
    arp_per_beat: int  # arpeggio notes per beat, 0 = none
    bass_beats: tuple[float, ...]
    kick_beats: tuple[float, ...] = ()  # no kicks: no percussion at all
    hats_per_beat: int = 0


MOODS: dict[str, Mood] = {
    # Major seventh chords, slow, a sparse arpeggio: the lo-fi default.
    "calm": Mood(
        bpm=76,
        minor=False,
        progressions=((0, 5, 3, 4), (0, 3, 5, 4), (3, 4, 0, 5)),
        sevenths=True,
        arp_per_beat=1,
        bass_beats=(0,),
    ),
    "informative": Mood(
        bpm=92,
        minor=False,
        progressions=((0, 4, 5, 3), (5, 3, 0, 4)),
        sevenths=True,
        arp_per_beat=2,
        bass_beats=(0, 2),
    ),
    "energetic": Mood(
        bpm=112,
        minor=False,
        progressions=((5, 3, 0, 4), (0, 4, 5, 3)),
        sevenths=False,
        arp_per_beat=2,
        bass_beats=(0, 1.5, 2, 3),
        kick_beats=(0, 1, 2, 3),
        hats_per_beat=2,
    ),
    "playful": Mood(
        bpm=104,
        minor=False,
        progressions=((0, 3, 1, 4), (0, 5, 1, 4)),
        sevenths=True,
        arp_per_beat=2,
        bass_beats=(0, 1, 2, 3),
        kick_beats=(0, 2),
        hats_per_beat=2,
    ),
    # Minor triads, slow, a kick on one and the "and" of three.
    "dramatic": Mood(
        bpm=70,
        minor=True,
        progressions=((0, 5, 2, 6), (0, 3, 5, 4)),
        sevenths=False,
        arp_per_beat=1,
        bass_beats=(0,),
        kick_beats=(0, 2.5),
        hats_per_beat=1,
    ),
}
DEFAULT_MOOD = "calm"


class Arrangement:
    def __init__(self, mood_name: str, seed: int) -> None:
        name = mood_name.strip().lower()
        self.mood = MOODS.get(name, MOODS[DEFAULT_MOOD])  # unknown moods get the calm bed
        key = [seed & 0xFFFFFFFF, zlib.crc32(name.encode())]
        self._key = key
        rng = np.random.default_rng(key)
        self.root = 48 + int(rng.integers(0, 8))  # C3..G3
        self.progression = self.mood.progressions[int(rng.integers(len(self.mood.progressions)))]
        self.arp_down = bool(rng.integers(0, 2))
        self.phases = rng.random(8)
        self.bar = round(4 * 60 / self.mood.bpm * SAMPLE_RATE)
        self.beat = self.bar / 4
        self.tail = round(1.6 * SAMPLE_RATE)  # room for releases ringing into the next bar
        self._pad_env = synth.pad_envelope(self.bar, round(1.5 * SAMPLE_RATE))

    def bars_for(self, seconds: float) -> int:
        return max(1, math.ceil(seconds * SAMPLE_RATE / self.bar))

    def _note(self, step: int) -> int:
        scale = _MINOR if self.mood.minor else _MAJOR
        return self.root + 12 * (step // 7) + scale[step % 7]

    def chord(self, index: int) -> list[int]:
        degree = self.progression[index % len(self.progression)]
        notes = [self._note(degree + 2 * j) for j in range(4 if self.mood.sevenths else 3)]
        return sorted(n + 12 * round((_PAD_CENTRE - n) / 12) for n in notes)

    def render(self, index: int) -> npt.NDArray[np.float32]:
        """Bar ``index`` plus the tail that rings into the following bars, stereo (2, n)."""
        buffer = np.zeros((2, self.bar + self.tail), dtype=np.float32)
        chord = self.chord(index)
        self._pads(buffer, chord)
        self._bass(buffer, chord[0])
        if index >= len(self.progression) and self.mood.arp_per_beat:  # enters on the 2nd round
            self._arpeggio(buffer, chord)
        if index >= 2 and self.mood.kick_beats:  # percussion enters after two bars
            self._drums(buffer, np.random.default_rng([*self._key, index]))
        return buffer

    def _pads(self, buffer: npt.NDArray[np.float32], chord: list[int]) -> None:
        length = len(self._pad_env)
        for n, note in enumerate(chord):
            for cents, pan in ((-6.0, _LEFT), (6.0, _RIGHT)):  # detuned pair: width + slow beating
                freq = synth.midi_hz(note + cents / 100)
                voice = synth.tone(freq, length, synth.PAD_PARTIALS, self.phases[n])
                synth.add(buffer, 0, voice * self._pad_env, (0.16 * pan[0], 0.16 * pan[1]))

    def _bass(self, buffer: npt.NDArray[np.float32], lowest: int) -> None:
        note = 36 + (lowest - 36) % 12  # C2..B2
        beats = self.mood.bass_beats
        for beat, following in zip(beats, [*beats[1:], 4.0], strict=True):
            hold = round((following - beat) * self.beat * 0.9)
            env = synth.bass_envelope(hold)
            voice = synth.tone(synth.midi_hz(note), len(env), synth.BASS_PARTIALS)
            synth.add(buffer, round(beat * self.beat), voice * env, (0.4, 0.4))

    def _arpeggio(self, buffer: npt.NDArray[np.float32], chord: list[int]) -> None:
        tones = [n + 12 for n in chord]
        order = tones[::-1] if self.arp_down else tones
        step = self.beat / self.mood.arp_per_beat
        env = synth.pluck_envelope(round(0.9 * SAMPLE_RATE))
        for k in range(4 * self.mood.arp_per_beat):
            voice = synth.tone(synth.midi_hz(order[k % len(order)]), len(env), synth.PLUCK_PARTIALS)
            pan = _LEFT if k % 2 else _RIGHT
            synth.add(buffer, round(k * step), voice * env, (0.12 * pan[0], 0.12 * pan[1]))

    def _drums(self, buffer: npt.NDArray[np.float32], rng: np.random.Generator) -> None:
        kick = synth.kick()
        for beat in self.mood.kick_beats:
            synth.add(buffer, round(beat * self.beat), kick, (0.5, 0.5))
        per_beat = self.mood.hats_per_beat
        for k in range(4 * per_beat):
            accent = 1.0 if k % per_beat else 0.6  # off-beats a little louder: a lazy swing
            synth.add(
                buffer,
                round(k * self.beat / per_beat),
                synth.hat(rng),
                (0.04 * accent, 0.06 * accent),
            )
