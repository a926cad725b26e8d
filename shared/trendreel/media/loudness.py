"""Integrated loudness (ITU-R BS.1770-4 / EBU R128), measured block by block.

The meter keeps only filter state and one mean-square value per 100 ms, so measuring a
two-minute mix costs kilobytes. K-weighting coefficients are the standard's, for 48 kHz.

The two K-weighting biquads are applied as one FIR filter (their impulse response, truncated
where it has decayed below 1e-7) by overlap-save FFT convolution in numpy: the same result to
well under 0.01 LU, without importing scipy.signal (which alone costs ~80 MB of resident memory
in the render process).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt

RATE = 48000
HOP = RATE // 10  # 100 ms: gating blocks are 400 ms with 75 % overlap
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0

# Stage 1: the "head" high shelf; stage 2: the RLB high-pass.
_B1 = np.array([1.53512485958697, -2.69169618940638, 1.19839281085285])
_A1 = np.array([1.0, -1.69065929318241, 0.73248077421585])
_B2 = np.array([1.0, -2.0, 1.0])
_A2 = np.array([1.0, -1.99004745483398, 0.99007225036621])

TAPS = 8192
Audio = npt.NDArray[np.float32]  # (n, channels), float in [-1, 1]


def _biquad(b: npt.NDArray[np.float64], a: npt.NDArray[np.float64], x: list[float]) -> list[float]:
    y: list[float] = []
    x1 = x2 = y1 = y2 = 0.0
    for x0 in x:
        y0 = b[0] * x0 + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
        y.append(y0)
        x2, x1, y2, y1 = x1, x0, y1, y0
    return y


@lru_cache(maxsize=1)
def k_weighting_spectrum(size: int) -> npt.NDArray[np.complex128]:
    """FFT (of length ``size``) of the K-weighting filter's impulse response, TAPS long."""
    impulse = [1.0] + [0.0] * (TAPS - 1)
    response = np.asarray(_biquad(_B2, _A2, _biquad(_B1, _A1, impulse)))
    return np.fft.rfft(response, size)


class LoudnessMeter:
    def __init__(self, channels: int = 2) -> None:
        self.channels = channels
        self._history = np.zeros((TAPS - 1, channels))  # overlap-save: last inputs seen
        self._pending = np.zeros((0, channels), dtype=np.float64)
        self._hops: list[float] = []  # summed channel mean-square per 100 ms
        self.peak = 0.0

    def add(self, block: Audio) -> None:
        if block.shape[1] != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {block.shape[1]}")
        self.peak = max(self.peak, float(np.abs(block).max(initial=0.0)))
        y = self._filter(block.astype(np.float64))
        data = np.concatenate([self._pending, y]) if len(self._pending) else y
        whole = len(data) // HOP * HOP
        if whole:
            squares = (data[:whole] ** 2).reshape(-1, HOP, self.channels).mean(axis=1)
            self._hops.extend(squares.sum(axis=1).tolist())
        self._pending = data[whole:]

    def _filter(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if len(x) == 0:
            return x
        padded = np.concatenate([self._history, x])
        size = 1 << int(np.ceil(np.log2(len(padded))))
        spectrum = np.fft.rfft(padded, size, axis=0) * k_weighting_spectrum(size)[:, None]
        full = np.fft.irfft(spectrum, size, axis=0)
        self._history = padded[len(padded) - (TAPS - 1) :]
        out: npt.NDArray[np.float64] = full[TAPS - 1 : len(padded)]
        return out

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
