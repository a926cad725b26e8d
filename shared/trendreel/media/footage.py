"""Stock footage as a background: decoded, scaled and cropped to 1080×1920 by ffmpeg.

Frames are read straight into the output frame buffer (``readinto``), so footage costs one pipe
read per frame and no Python-side scaling. A clip shorter than its scene loops.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from trendreel.errors import MediaError
from trendreel.media import layout
from trendreel.media.ffmpeg import ffmpeg_exe
from trendreel.media.yuv import YuvFrame

FRAME_BYTES = layout.WIDTH * layout.HEIGHT * 3 // 2


class FootageBackground:
    def __init__(self, path: Path, fps: int) -> None:
        self.path = path
        self.fps = fps
        self._proc: subprocess.Popen[bytes] | None = None
        self._frames_read = 0

    def _start(self) -> subprocess.Popen[bytes]:
        vf = (
            f"scale={layout.WIDTH}:{layout.HEIGHT}:force_original_aspect_ratio=increase,"
            f"crop={layout.WIDTH}:{layout.HEIGHT},fps={self.fps},format=yuv420p"
        )
        cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(self.path), "-vf", vf, "-an"]
        cmd += ["-color_range", "tv", "-colorspace", "bt709", "-f", "rawvideo", "pipe:1"]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def draw(self, out: YuvFrame, t: float) -> None:
        for _ in range(2):  # second pass: the clip ended, loop it once from the start
            if self._proc is None:
                self._proc = self._start()
            assert self._proc.stdout is not None
            view = out.buf.data.cast("B")
            got = self._proc.stdout.readinto(view)  # type: ignore[attr-defined]
            if got == FRAME_BYTES:
                self._frames_read += 1
                return
            self.close()
            if self._frames_read == 0:
                break
            self._frames_read = 0
        raise MediaError(f"could not decode footage {self.path.name}")

    def close(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
