"""The automatic review: checks run on the actual output file, each with what was measured.

Checks: container/codec/profile, 1080×1920, 30 fps, yuv420p, AAC 48 kHz, faststart, audio and
video durations within 100 ms, integrated loudness -14 ±1 LUFS, no black or frozen stretch over
1 s, every narrated word captioned within ±100 ms and its highlight visible in the decoded
frame, duration near the target, and a sane file size.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from trendreel.media import captions, layout
from trendreel.media.analysis import SCALE, Analysis, analyse
from trendreel.media.probe import ProbeInfo, probe
from trendreel.models import CaptionCue, QCCheck, QCReport

TARGET_LUFS = -14.0
LUFS_TOLERANCE = 1.0
SYNC_TOLERANCE = 0.1
CAPTION_TOLERANCE = 0.1
HIGHLIGHT_MIN_FRACTION = 0.3
DURATION_TOLERANCE = 0.15
MIN_MBPS, MAX_MBPS = 0.2, 30.0
MAX_BYTES = 1024**3


@dataclass(frozen=True)
class SpokenWord:
    index: int
    word: str
    start: float  # in video time


def highlight_fraction(frame: npt.NDArray[np.uint8], box: tuple[int, int, int, int]) -> float:
    """Share of the word's box (in a frame downscaled by SCALE) showing the highlight colour."""
    x0, y0, x1, y1 = (v // SCALE for v in box)
    region = frame[y0 + 1 : y1 - 1, x0 + 1 : x1 - 1].astype(np.int16)
    if region.size == 0:
        return 0.0
    target = np.array(captions.HIGHLIGHT, dtype=np.int16)
    close = (np.abs(region - target) <= np.array([60, 60, 90], dtype=np.int16)).all(axis=2)
    return float(close.mean())


def run_qc(
    path: Path,
    file_key: str,
    cues: list[CaptionCue],
    spoken: list[SpokenWord],
    target_seconds: float,
    fps: int = layout.FPS,
) -> QCReport:
    info = probe(path)
    checkpoints: dict[int, list[CaptionCue]] = {}
    for cue in cues:
        # A frame just after the highlight starts (never past its end) must show it.
        frame = round(cue.start * fps) + (1 if cue.end - cue.start > 2 / fps else 0)
        checkpoints.setdefault(frame, []).append(cue)
    seen: dict[int, float] = {}

    def inspect(n: int, frame: npt.NDArray[np.uint8]) -> None:
        for cue in checkpoints.get(n, []):
            seen[cue.word_index] = highlight_fraction(frame, cue.box)

    analysis = analyse(path, info.video_seconds, inspect)
    checks = [
        *format_checks(info),
        *signal_checks(info, analysis),
        *caption_checks(cues, spoken, seen),
        duration_check(info, target_seconds),
    ]
    return QCReport(
        file_key=file_key,
        passed=all(c.passed for c in checks),
        checks=checks,
        duration_seconds=round(info.video_seconds, 3),
    )


def _check(name: str, passed: bool, measured: object, expected: str, detail: str = "") -> QCCheck:
    return QCCheck(name=name, passed=passed, measured=measured, expected=expected, detail=detail)


def format_checks(info: ProbeInfo) -> list[QCCheck]:
    mbps = info.size_bytes * 8 / max(info.video_seconds, 1e-6) / 1e6
    size = (info.width, info.height)
    audio = f"{info.audio_codec} {info.sample_rate} Hz x{info.channels}"
    return [
        _check("container", "mp4" in info.format_name, info.format_name, "mp4"),
        _check(
            "video_codec", info.video_codec == "h264", f"{info.video_codec} {info.profile}", "h264"
        ),
        _check(
            "resolution",
            size == (layout.WIDTH, layout.HEIGHT),
            "x".join(map(str, size)),
            "1080x1920",
        ),
        _check("fps", abs(info.fps - layout.FPS) < 0.01, round(info.fps, 3), "30"),
        _check("pixel_format", info.pix_fmt == "yuv420p", info.pix_fmt, "yuv420p"),
        _check("audio_codec", audio.startswith("aac 48000 Hz"), audio, "aac 48000 Hz"),
        _check("faststart", info.faststart, info.faststart, "moov before mdat"),
        _check(
            "file_size",
            MIN_MBPS <= mbps <= MAX_MBPS and info.size_bytes <= MAX_BYTES,
            f"{info.size_bytes} bytes, {mbps:.2f} Mbit/s",
            f"{MIN_MBPS}-{MAX_MBPS} Mbit/s and at most 1 GiB",
        ),
    ]


def signal_checks(info: ProbeInfo, analysis: Analysis) -> list[QCCheck]:
    drift = abs(info.video_seconds - info.audio_seconds)
    lufs = analysis.integrated_lufs
    durations = f"video {info.video_seconds:.3f} s, audio {info.audio_seconds:.3f} s"
    black = [f"{s:.2f}s+{d:.2f}s" for s, d in analysis.black]
    frozen = [f"{s:.2f}s+{d:.2f}s" for s, d in analysis.frozen]
    return [
        _check("av_duration_match", drift <= SYNC_TOLERANCE, durations, "within 0.1 s"),
        _check(
            "loudness", abs(lufs - TARGET_LUFS) <= LUFS_TOLERANCE, round(lufs, 2), "-14 ±1 LUFS"
        ),
        _check("no_black_stretch", not black, black, "no black stretch over 1 s"),
        _check("no_frozen_stretch", not frozen, frozen, "no frozen stretch over 1 s"),
    ]


def caption_checks(
    cues: list[CaptionCue], spoken: list[SpokenWord], seen: dict[int, float]
) -> list[QCCheck]:
    by_word = {c.word_index: c for c in cues}
    late = [
        f"{w.word}@{w.start:.2f}s"
        for w in spoken
        if w.index not in by_word or abs(by_word[w.index].start - w.start) > CAPTION_TOLERANCE
    ]
    hidden = [
        f"{c.word}@{c.start:.2f}s"
        for c in cues
        if seen.get(c.word_index, 0.0) < HIGHLIGHT_MIN_FRACTION
    ]
    timed = f"{len(spoken) - len(late)}/{len(spoken)} words captioned within ±100 ms"
    visible = f"{len(cues) - len(hidden)}/{len(cues)} highlights seen in decoded frames"
    return [
        _check("captions_timing", bool(spoken) and not late, timed, "all", ", ".join(late[:10])),
        _check(
            "captions_visible", bool(cues) and not hidden, visible, "all", ", ".join(hidden[:10])
        ),
    ]


def duration_check(info: ProbeInfo, target: float) -> QCCheck:
    ratio = info.video_seconds / target if target else 0.0
    return QCCheck(
        name="duration_vs_target",
        passed=abs(ratio - 1) <= DURATION_TOLERANCE,
        measured=f"{info.video_seconds:.2f} s for a {target:.0f} s target",
        expected="within ±15%",
    )
