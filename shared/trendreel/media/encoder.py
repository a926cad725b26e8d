"""The H.264/AAC encoder: raw I420 frames on ffmpeg's stdin, a WAV beside them, one MP4 out.

Settings that define the output (preset, CRF, threads) live in EncodeSettings so the benchmark
can give the bundled ffmpeg exactly the same ones when it measures the encoder floor.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from trendreel.errors import MediaError
from trendreel.media import layout
from trendreel.media.ffmpeg import ffmpeg_exe, tail
from trendreel.media.yuv import U8

AUDIO_RATE = 48000
AUDIO_BITRATE = "192k"


@dataclass(frozen=True)
class EncodeSettings:
    preset: str = "veryfast"
    crf: int = 23
    threads: int = 2
    fps: int = layout.FPS

    def video_args(self) -> list[str]:
        return [
            "-c:v", "libx264", "-preset", self.preset, "-crf", str(self.crf),
            "-threads", str(self.threads), "-pix_fmt", "yuv420p",
            "-profile:v", "high", "-movflags", "+faststart",
            "-color_range", "tv", "-colorspace", "bt709",
            "-color_primaries", "bt709", "-color_trc", "bt709",
        ]  # fmt: skip

    def audio_args(self) -> list[str]:
        return ["-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", str(AUDIO_RATE)]


class VideoEncoder:
    """Context manager: ``write(frame)`` for each frame, then the MP4 is finalised on exit."""

    def __init__(self, out: Path, audio: Path, settings: EncodeSettings) -> None:
        self.out = out
        self.frames = 0
        self._frame_bytes = layout.WIDTH * layout.HEIGHT * 3 // 2
        size = f"{layout.WIDTH}x{layout.HEIGHT}"
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-v", "error"]
        cmd += ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", size, "-r", str(settings.fps)]
        cmd += ["-color_range", "tv", "-colorspace", "bt709"]
        cmd += ["-i", "pipe:0", "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0"]
        # No -shortest: it makes ffmpeg buffer raw frames (hundreds of MB); the mix is cut to
        # exactly the video length instead.
        cmd += [*settings.video_args(), *settings.audio_args(), str(out)]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def write(self, frame: U8) -> None:
        """One I420 frame (any shape, C-contiguous, width·height·1.5 bytes)."""
        if frame.nbytes != self._frame_bytes or not frame.flags.c_contiguous:
            raise MediaError(f"frame of {frame.nbytes} bytes; expected {self._frame_bytes}")
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(frame.data)
        except BrokenPipeError as exc:
            raise MediaError(f"the encoder stopped early: {self._stderr()}") from exc
        self.frames += 1

    def _stderr(self) -> str:
        self._proc.wait()
        assert self._proc.stderr is not None
        return tail(self._proc.stderr.read().decode("utf-8", "replace"))

    def __enter__(self) -> VideoEncoder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._proc.stdin is not None
        if exc_type is not None:
            self._proc.kill()
            self._proc.wait()
            self._close_pipes()
            return
        self._proc.stdin.close()
        code = self._proc.wait()
        message = self._stderr() if code != 0 else ""
        self._close_pipes()
        if code != 0:
            raise MediaError(f"encoding failed (ffmpeg exit {code}): {message}")

    def _close_pipes(self) -> None:
        for pipe in (self._proc.stdin, self._proc.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()
