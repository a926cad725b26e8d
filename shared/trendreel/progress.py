"""Progress lines for the terminal: one line per stage, a live bar when stdout is a TTY."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from trendreel.models import Stage, StageResult

BAR = 24


class StageProgress:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream: TextIO = sys.stdout if stream is None else stream
        self.live = self.stream.isatty()
        self._stage: Stage | None = None
        self._last = 0.0

    def _label(self, stage: Stage) -> str:
        return f"[{stage.position + 1}/{len(Stage)}] {stage.value:<18}"

    def start(self, stage: Stage) -> None:
        self._stage = stage
        self._last = 0.0
        if not self.live:
            print(f"{self._label(stage)} started", file=self.stream, flush=True)

    def update(self, fraction: float, message: str) -> None:
        if self._stage is None or not self.live:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and fraction < 1.0:
            return
        self._last = now
        filled = round(BAR * min(max(fraction, 0.0), 1.0))
        bar = "█" * filled + "░" * (BAR - filled)
        line = f"\r{self._label(self._stage)} {bar} {fraction * 100:5.1f}%  {message[:40]:<40}"
        print(line, end="", file=self.stream, flush=True)

    def done(self, stage: Stage, result: StageResult) -> None:
        clear = "\r\033[K" if self.live else ""
        detail = ", ".join(f"{k}={v}" for k, v in _brief(result).items())
        print(f"{clear}{self._label(stage)} done in {result.seconds:6.1f} s  {detail}",
              file=self.stream, flush=True)  # fmt: skip

    def failed(self) -> None:
        if self.live:
            print("\r\033[K", end="", file=self.stream, flush=True)


def _brief(result: StageResult) -> dict[str, object]:
    keep = ("items", "sources", "chosen_topic", "title", "voice_seconds", "frames", "qc_passed")
    return {k: v for k, v in result.summary.items() if k in keep}
