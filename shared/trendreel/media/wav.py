"""16-bit PCM WAV files read and written block by block (the stdlib ``wave`` module)."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import numpy as np
import numpy.typing as npt

from trendreel.errors import MediaError

Pcm = npt.NDArray[np.float32]


def info(path: Path) -> tuple[int, int, int]:
    """(sample_rate, channels, frames)."""
    try:
        with wave.open(str(path), "rb") as w:
            return w.getframerate(), w.getnchannels(), w.getnframes()
    except (wave.Error, EOFError) as exc:
        raise MediaError(f"{path.name} is not a 16-bit PCM WAV file: {exc}") from exc


def read_blocks(path: Path, block: int) -> Iterator[Pcm]:
    """Float blocks of shape (n, channels) in [-1, 1]."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise MediaError(f"{path.name}: expected 16-bit samples")
        channels = w.getnchannels()
        while True:
            raw = w.readframes(block)
            if not raw:
                return
            data = np.frombuffer(raw, dtype="<i2").reshape(-1, channels)
            yield data.astype(np.float32) / 32768.0


def write_all(path: Path, samples: npt.NDArray[np.int16], rate: int) -> None:
    """A whole mono/stereo int16 array (small files: speech segments, test fixtures)."""
    path.write_bytes(to_bytes(samples, rate))


def to_bytes(samples: npt.NDArray[np.int16], rate: int) -> bytes:
    """A whole mono/stereo int16 array as WAV file bytes."""
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


class WavWriter:
    def __init__(self, path: Path, rate: int, channels: int) -> None:
        self._w = wave.open(str(path), "wb")  # noqa: SIM115 - closed in __exit__
        self._w.setnchannels(channels)
        self._w.setsampwidth(2)
        self._w.setframerate(rate)

    def write(self, block: Pcm) -> None:
        clipped = np.clip(block, -1.0, 32767 / 32768)
        self._w.writeframes((clipped * 32768.0).astype("<i2").tobytes())

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._w.close()
