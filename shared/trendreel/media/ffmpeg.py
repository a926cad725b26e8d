"""The bundled ffmpeg (from imageio-ffmpeg) and running it with useful errors."""

from __future__ import annotations

import subprocess
from functools import lru_cache

import imageio_ffmpeg

from trendreel.errors import MediaError


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:  # imageio-ffmpeg raises RuntimeError when no binary is found
        raise MediaError(
            "the bundled ffmpeg is missing", hint="Reinstall trendreel (pip install -e .)"
        ) from exc


def run_ffmpeg(args: list[str], *, what: str, timeout: float = 900.0) -> str:
    """Run ffmpeg with ``args``; return its stderr (where ffmpeg reports). Raise MediaError."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"ffmpeg timed out after {timeout:.0f} s while {what}") from exc
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg failed while {what}: {tail(stderr)}")
    return stderr


def tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])
