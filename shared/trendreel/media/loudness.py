"""Integrated loudness (ITU-R BS.1770-4 / EBU R128), measured block by block.

The meter keeps only filter state and one mean-square value per 100 ms, so measuring a
two-minute mix costs kilobytes. K-weighting coefficients are the standard's, for 48 kHz.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

RATE = 48000
HOP = RATE // 10  # 100 ms: gating blocks are 400 ms with 75 % overlap
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0

# Stage 1: the "head" high shelf; stage 2: the RLB high-pass.
_B1 = np.array([1.53512485958697, -2.69169618940638, 1.19839281085285])
_A1 = np.array([1.0, -1.69065929318241, 0.73248077421585])
_B2 = np.array([1.0, -2.0, 1.0])
_A2 = np.array([1.0, -1.99004745483398, 0.99007225036621])

Audio = npt.NDArray[np.float32]  # (n, channels), float in [-1, 1]


class LoudnessMeter:
    def __init__(self, channels: int = 2) -> None:
        self.channels = channels
        self._z1 = np.zeros((2, channels))
        self._z2 = np.zeros((2, channels))
        self._pending = np.zeros((0, channels), dtype=np.float64)
        self._hops: list[float] = []  # summed channel mean-square per 100 ms
        self.peak = 0.0

    def add(self, block: Audio) -> None:
        if block.shape[1] != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {block.shape[1]}")
        self.peak = max(self.peak, float(np.abs(block).max(initial=0.0)))
        x = block.astype(np.float64)
        y, self._z1 = lfilter(_B1, _A1, x, axis=0, zi=self._z1)
        y, self._z2 = lfilter(_B2, _A2, y, axis=0, zi=self._z2)
        data = np.concatenate([self._pending, y]) if len(self._pending) else y
        whole = len(data) // HOP * HOP
        if whole:
            squares = (data[:whole] ** 2).reshape(-1, HOP, self.channels).mean(axis=1)
            self._hops.extend(squares.sum(axis=1).tolist())
        self._pending = data[whole:]

    def integrated(self) -> float:
        """Integrated loudness in LUFS; -inf for silence or less than 400 ms of audio."""
        if len(self._hops) < 4:
            return -math.inf
        hops = np.asarray(self._hops)
        blocks = np.convolve(hops, np.ones(4) / 4, mode="valid")
        with np.errstate(divide="ignore"):
            loud = -0.691 + 10 * np.log10(blocks)
        gated = blocks[loud > ABSOLUTE_GATE]
        if gated.size == 0:
            return -math.inf
        relative = -0.691 + 10 * math.log10(gated.mean()) + RELATIVE_GATE
        final = blocks[(loud > ABSOLUTE_GATE) & (loud > relative)]
        return float(-0.691 + 10 * math.log10(final.mean()))
