"""Container and stream facts of a rendered MP4, read with PyAV (FFmpeg's libraries, bundled in
its wheel; imageio-ffmpeg ships no ffprobe)."""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av
from pydantic import BaseModel

from trendreel.errors import MediaError


class ProbeInfo(BaseModel):
    format_name: str
    size_bytes: int
    video_codec: str
    profile: str
    width: int
    height: int
    fps: float
    pix_fmt: str
    video_frames: int
    video_seconds: float
    audio_codec: str
    sample_rate: int
    channels: int
    audio_seconds: float
    faststart: bool


def _seconds(duration: int | None, time_base: Fraction | None) -> float:
    if duration is None or time_base is None:
        return 0.0
    return float(duration * time_base)


def top_level_boxes(path: Path, limit: int = 16) -> list[str]:
    """The MP4's top-level box types in order ('moov' before 'mdat' means faststart)."""
    boxes: list[str] = []
    with path.open("rb") as fh:
        while len(boxes) < limit:
            header = fh.read(8)
            if len(header) < 8:
                break
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", fh.read(8))[0] - 8
            boxes.append(kind.decode("latin-1"))
            if size == 0:
                break
            fh.seek(size - 8, 1)
    return boxes


def probe(path: Path) -> ProbeInfo:
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise MediaError(f"cannot open {path.name}: {exc}") from exc
    with container:
        if not container.streams.video or not container.streams.audio:
            raise MediaError(f"{path.name} lacks a video or an audio stream")
        v, a = container.streams.video[0], container.streams.audio[0]
        vc, ac = v.codec_context, a.codec_context
        boxes = top_level_boxes(path)
        return ProbeInfo(
            format_name=container.format.name,
            size_bytes=path.stat().st_size,
            video_codec=vc.name,
            profile=str(vc.profile or ""),
            width=vc.width,
            height=vc.height,
            fps=float(v.average_rate or 0),
            pix_fmt=str(vc.pix_fmt),
            video_frames=int(v.frames),
            video_seconds=_seconds(v.duration, v.time_base),
            audio_codec=ac.name,
            sample_rate=int(ac.sample_rate),
            channels=int(ac.layout.nb_channels),
            audio_seconds=_seconds(a.duration, a.time_base),
            faststart="moov" in boxes
            and "mdat" in boxes
            and boxes.index("moov") < boxes.index("mdat"),
        )
