"""Stock footage as a background: decoded, scaled and cropped to 1080×1920 by ffmpeg.

Frames are read straight into the output frame buffer (``readinto``), so footage costs one pipe
read per frame and no Python-side scaling. The clip is scaled 10% larger than the frame and the
crop window drifts across it over the scene (a slow pan, computed by ffmpeg), so even a still or
near-still clip never freezes the picture. ``-stream_loop`` loops a clip shorter than its scene
without a gap.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from trendreel.errors import MediaError
from trendreel.media import layout
from trendreel.media.ffmpeg import ffmpeg_exe
from trendreel.media.yuv import YuvFrame

FRAME_BYTES = layout.WIDTH * layout.HEIGHT * 3 // 2
OVERSCAN = 1.1


class FootageBackground:
    def __init__(self, path: Path, fps: int, duration: float) -> None:
        self.path = path
        self.fps = fps
        self.duration = max(duration, 1.0 / fps)
        self._proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        w, h = round(layout.WIDTH * OVERSCAN / 2) * 2, round(layout.HEIGHT * OVERSCAN / 2) * 2
        pan = f"(iw-ow)*min(t/{self.duration:.3f}\\,1)"
        vf = (
            f"fps={self.fps},setpts=N/({self.fps}*TB),"
            f"scale={w}:{h}:force_original_aspect_ratio=increase:force_divisible_by=2,"
            f"crop={layout.WIDTH}:{layout.HEIGHT}:x='{pan}':y='(ih-oh)/2',format=yuv420p"
        )
        cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-stream_loop", "-1", "-i", str(self.path)]
        cmd += ["-vf", vf, "-an", "-color_range", "tv", "-colorspace", "bt709"]
        cmd += ["-f", "rawvideo", "pipe:1"]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def draw(self, out: YuvFrame, t: float) -> None:
        if self._proc is None:
            self._proc = self._start()
        assert self._proc.stdout is not None
        got = self._proc.stdout.readinto(out.buf.data.cast("B"))  # type: ignore[attr-defined]
        if got != FRAME_BYTES:
            self.close()
            raise MediaError(f"could not decode footage {self.path.name}")

    def close(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
