"""Quality checks: the check builders, ffmpeg log parsing, the faststart box check, and an
end-to-end negative on a clip with a black stretch."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.unit.media.conftest import ffmpeg
from trendreel.errors import MediaError
from trendreel.media import analysis, captions, qc
from trendreel.media.analysis import SCALE, Analysis
from trendreel.media.probe import ProbeInfo, probe, top_level_boxes
from trendreel.models import CaptionCue, QCCheck

GOOD = ProbeInfo(
    format_name="mov,mp4,m4a,3gp,3g2,mj2",
    size_bytes=5_000_000,
    video_codec="h264",
    profile="High",
    width=1080,
    height=1920,
    fps=30.0,
    pix_fmt="yuv420p",
    video_frames=600,
    video_seconds=20.0,
    audio_codec="aac",
    sample_rate=48000,
    channels=2,
    audio_seconds=20.02,
    faststart=True,
)
CLEAN = Analysis(integrated_lufs=-14.2, black=[], frozen=[], frames=600)


def by_name(checks: list[QCCheck]) -> dict[str, QCCheck]:
    return {c.name: c for c in checks}


def failed(checks: list[QCCheck]) -> dict[str, QCCheck]:
    return {c.name: c for c in checks if not c.passed}


# -- format checks ----------------------------------------------------------------------------


def test_a_conforming_file_passes_every_format_check() -> None:
    checks = qc.format_checks(GOOD)
    assert [c.name for c in checks] == [
        "container",
        "video_codec",
        "resolution",
        "fps",
        "pixel_format",
        "audio_codec",
        "faststart",
        "file_size",
    ]
    assert failed(checks) == {}
    named = by_name(checks)
    assert named["resolution"].measured == "1080x1920"
    assert named["audio_codec"].measured == "aac 48000 Hz x2"
    assert named["file_size"].measured == "5000000 bytes, 2.00 Mbit/s"


@pytest.mark.parametrize(
    ("change", "name", "measured"),
    [
        ({"format_name": "matroska,webm"}, "container", "matroska,webm"),
        ({"video_codec": "hevc", "profile": "Main"}, "video_codec", "hevc Main"),
        ({"width": 1920, "height": 1080}, "resolution", "1920x1080"),
        ({"width": 1080, "height": 1918}, "resolution", "1080x1918"),
        ({"fps": 29.97}, "fps", 29.97),
        ({"fps": 25.0}, "fps", 25.0),
        ({"pix_fmt": "yuv444p"}, "pixel_format", "yuv444p"),
        ({"audio_codec": "mp3"}, "audio_codec", "mp3 48000 Hz x2"),
        ({"sample_rate": 44100}, "audio_codec", "aac 44100 Hz x2"),
        ({"faststart": False}, "faststart", False),
        ({"size_bytes": 400_000}, "file_size", "400000 bytes, 0.16 Mbit/s"),
        ({"size_bytes": 80_000_000}, "file_size", "80000000 bytes, 32.00 Mbit/s"),
        (
            {"size_bytes": 1024**3 + 1, "video_seconds": 400.0},
            "file_size",
            "1073741825 bytes, 21.47 Mbit/s",
        ),
    ],
)
def test_each_format_problem_fails_its_check_naming_the_measurement(
    change: dict[str, object], name: str, measured: object
) -> None:
    checks = qc.format_checks(GOOD.model_copy(update=change))
    assert list(failed(checks)) == [name]
    assert failed(checks)[name].measured == measured
    assert failed(checks)[name].expected


# -- signal checks ----------------------------------------------------------------------------


def test_clean_signal_passes() -> None:
    checks = qc.signal_checks(GOOD, CLEAN)
    assert [c.name for c in checks] == [
        "av_duration_match",
        "loudness",
        "no_black_stretch",
        "no_frozen_stretch",
    ]
    assert failed(checks) == {}
    assert by_name(checks)["loudness"].measured == -14.2


@pytest.mark.parametrize(
    ("info", "result", "name", "measured"),
    [
        (
            {"audio_seconds": 19.85},
            {},
            "av_duration_match",
            "video 20.000 s, audio 19.850 s",
        ),
        ({}, {"integrated_lufs": -15.3}, "loudness", -15.3),
        ({}, {"integrated_lufs": -12.9}, "loudness", -12.9),
        ({}, {"integrated_lufs": -math.inf}, "loudness", -math.inf),
        (
            {},
            {"black": [(0.0, 2.0), (10.5, 1.25)]},
            "no_black_stretch",
            ["0.00s+2.00s", "10.50s+1.25s"],
        ),
        ({}, {"frozen": [(4.0, 1.5)]}, "no_frozen_stretch", ["4.00s+1.50s"]),
    ],
)
def test_each_signal_problem_fails_its_check_naming_the_measurement(
    info: dict[str, object], result: dict[str, object], name: str, measured: object
) -> None:
    measured_signal = Analysis(integrated_lufs=-14.0, frames=600)
    for key, value in result.items():
        setattr(measured_signal, key, value)
    checks = qc.signal_checks(GOOD.model_copy(update=info), measured_signal)
    assert list(failed(checks)) == [name]
    assert failed(checks)[name].measured == measured


def test_loudness_tolerance_is_one_lu_either_side() -> None:
    for lufs, ok in ((-15.0, True), (-13.0, True), (-15.01, False), (-12.99, False)):
        checks = qc.signal_checks(GOOD, Analysis(integrated_lufs=lufs))
        assert by_name(checks)["loudness"].passed is ok, lufs


# -- caption checks ---------------------------------------------------------------------------


def cue(n: int, start: float, word: str = "w") -> CaptionCue:
    return CaptionCue(
        word=f"{word}{n}",
        word_index=n,
        chunk_index=0,
        start=start,
        end=start + 0.3,
        box=(100, 1100, 300, 1200),
    )


SPOKEN = [qc.SpokenWord(0, "w0", 0.3), qc.SpokenWord(1, "w1", 0.6), qc.SpokenWord(2, "w2", 0.9)]
CUES = [cue(0, 0.3), cue(1, 0.6), cue(2, 0.9)]
SEEN = {0: 0.8, 1: 0.5, 2: 0.31}


def test_captions_pass_when_every_word_is_timed_and_seen() -> None:
    checks = qc.caption_checks(CUES, SPOKEN, SEEN)
    assert failed(checks) == {}
    assert by_name(checks)["captions_timing"].measured == "3/3 words captioned within ±100 ms"
    assert by_name(checks)["captions_visible"].measured == "3/3 highlights seen in decoded frames"


def test_late_or_missing_captions_fail_timing_naming_the_words() -> None:
    late = [cue(0, 0.3), cue(1, 0.75)]  # w1 150 ms late, w2 has no cue
    checks = failed(qc.caption_checks(late, SPOKEN, SEEN))
    assert list(checks) == ["captions_timing"]
    assert checks["captions_timing"].measured == "1/3 words captioned within ±100 ms"
    assert checks["captions_timing"].detail == "w1@0.60s, w2@0.90s"
    just_in = [cue(0, 0.3), cue(1, 0.69), cue(2, 0.81)]
    assert failed(qc.caption_checks(just_in, SPOKEN, SEEN)) == {}


def test_hidden_highlights_fail_visibility_naming_the_words() -> None:
    checks = failed(qc.caption_checks(CUES, SPOKEN, {0: 0.8, 1: 0.29}))
    assert list(checks) == ["captions_visible"]
    assert checks["captions_visible"].measured == "1/3 highlights seen in decoded frames"
    assert checks["captions_visible"].detail == "w1@0.60s, w2@0.90s"


def test_no_words_or_no_cues_fail_both_caption_checks() -> None:
    assert set(failed(qc.caption_checks([], [], {}))) == {"captions_timing", "captions_visible"}
    assert set(failed(qc.caption_checks([], SPOKEN, {}))) == {
        "captions_timing",
        "captions_visible",
    }


def test_duration_check_allows_fifteen_percent() -> None:
    def check(seconds: float, target: float) -> QCCheck:
        return qc.duration_check(GOOD.model_copy(update={"video_seconds": seconds}), target)

    assert check(34.0, 30).passed
    assert check(26.0, 30).passed
    assert not check(35.0, 30).passed
    assert not check(25.0, 30).passed
    assert not check(20.0, 0).passed
    assert check(35.0, 30).measured == "35.00 s for a 30 s target"


def test_highlight_fraction_reads_the_box_in_the_downscaled_frame() -> None:
    frame = np.zeros((480, 270, 3), dtype=np.uint8)
    box = (400, 1000, 800, 1200)  # full-size coordinates
    x0, y0, x1, y1 = (v // SCALE for v in box)
    frame[y0:y1, x0:x1] = captions.HIGHLIGHT
    assert qc.highlight_fraction(frame, box) == 1.0
    frame[y0:y1, x0 : (x0 + x1) // 2] = (255, 255, 255)  # left half white: not the highlight
    assert qc.highlight_fraction(frame, box) == pytest.approx(0.5, abs=0.05)
    assert qc.highlight_fraction(np.zeros_like(frame), box) == 0.0
    assert qc.highlight_fraction(frame, (400, 1000, 404, 1004)) == 0.0  # empty region


# -- analysis log parsing -------------------------------------------------------------------

LOG = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'video.mp4':
[blackdetect @ 0x5581] black_start:0 black_end:2.0 black_duration:2.0
[freezedetect @ 0x5582] lavfi.freezedetect.freeze_start: 0.033
[freezedetect @ 0x5582] lavfi.freezedetect.freeze_duration: 1.967
[freezedetect @ 0x5582] lavfi.freezedetect.freeze_end: 2
[blackdetect @ 0x5581] black_start:7.5 black_end:8.75 black_duration:1.25
[freezedetect @ 0x5582] lavfi.freezedetect.freeze_start: 9.1
[Parsed_ebur128_0 @ 0x5583] Summary:

  Integrated loudness:
    I:         -14.3 LUFS
    Threshold: -24.5 LUFS

  Loudness range:
    LRA:         3.1 LU
"""


def test_parse_reads_black_freeze_and_loudness() -> None:
    result = analysis._parse(LOG, duration=10.0, frames=300)
    assert result.integrated_lufs == -14.3
    assert result.black == [(0.0, 2.0), (7.5, 1.25)]
    assert result.frozen[0] == pytest.approx((0.033, 1.967))
    assert result.frozen[1] == pytest.approx((9.1, 0.9))  # lasts to the end: no freeze_end
    assert result.frames == 300


def test_parse_without_a_summary_or_events() -> None:
    result = analysis._parse("nothing useful here", duration=3.0, frames=0)
    assert result.integrated_lufs == -math.inf
    assert (result.black, result.frozen) == ([], [])
    silent = "Integrated loudness:\n    I:         -70.0 LUFS\n"
    assert analysis._parse(silent, 3.0, 90).integrated_lufs == -70.0


# -- probe ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_mp4s(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("mp4")
    out = []
    for name, flags in (("fast.mp4", ["-movflags", "+faststart"]), ("slow.mp4", [])):
        path = folder / name
        ffmpeg(
            "-f", "lavfi", "-i", "testsrc=size=64x64:rate=30:duration=0.5",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=0.5",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", *flags, str(path),
        )  # fmt: skip
        out.append(path)
    return out[0], out[1]


def test_top_level_boxes_tell_faststart_apart(tiny_mp4s: tuple[Path, Path]) -> None:
    fast, slow = (top_level_boxes(p) for p in tiny_mp4s)
    assert fast[0] == slow[0] == "ftyp"
    assert fast.index("moov") < fast.index("mdat")
    assert slow.index("mdat") < slow.index("moov")
    assert probe(tiny_mp4s[0]).faststart is True
    assert probe(tiny_mp4s[1]).faststart is False


def test_top_level_boxes_handle_64_bit_and_to_the_end_sizes(tmp_path: Path) -> None:
    path = tmp_path / "boxes.mp4"
    ftyp = struct.pack(">I4s", 16, b"ftyp") + b"isom" + b"\0" * 4
    big = struct.pack(">I4sQ", 1, b"moov", 16 + 5) + b"x" * 5  # 64-bit size
    last = struct.pack(">I4s", 0, b"mdat") + b"y" * 100  # size 0: runs to the end
    path.write_bytes(ftyp + big + last + struct.pack(">I4s", 8, b"free"))
    assert top_level_boxes(path) == ["ftyp", "moov", "mdat"]
    assert top_level_boxes(path, limit=2) == ["ftyp", "moov"]
    path.write_bytes(ftyp + b"\0\0")  # truncated header
    assert top_level_boxes(path) == ["ftyp"]


def test_probe_reads_streams(tiny_mp4s: tuple[Path, Path]) -> None:
    info = probe(tiny_mp4s[0])
    assert "mp4" in info.format_name
    assert (info.video_codec, info.width, info.height) == ("h264", 64, 64)
    assert info.fps == pytest.approx(30.0)
    assert info.pix_fmt == "yuv420p"
    assert info.video_frames == 15
    assert info.video_seconds == pytest.approx(0.5, abs=0.05)
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48000, 1)
    assert info.audio_seconds == pytest.approx(0.5, abs=0.05)
    assert info.size_bytes == tiny_mp4s[0].stat().st_size


def test_probe_rejects_non_media_and_video_only_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\0" * 64)
    with pytest.raises(MediaError, match=r"cannot open junk\.mp4"):
        probe(junk)
    silent = tmp_path / "silent.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=64x64:rate=30:duration=0.2",
        "-c:v", "libx264", "-preset", "ultrafast", str(silent),
    )  # fmt: skip
    with pytest.raises(MediaError, match="lacks a video or an audio stream"):
        probe(silent)


# -- end to end -----------------------------------------------------------------------------


def test_run_qc_fails_a_clip_with_two_seconds_of_black(tmp_path: Path) -> None:
    path = tmp_path / "black.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=black:s=1080x1920:r=30:d=2",
        "-f", "lavfi", "-i", "testsrc=size=1080x1920:rate=30:duration=1",
        "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=3",
        "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]",
        "-map", "[v]", "-map", "2:a",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-ar", "48000", "-movflags", "+faststart", str(path),
    )  # fmt: skip
    report = qc.run_qc(path, "jobs/x/video.mp4", cues=[], spoken=[], target_seconds=3)
    assert report.file_key == "jobs/x/video.mp4"
    assert report.passed is False
    bad = {c.name: c for c in report.failed()}
    assert {"no_black_stretch", "captions_timing", "captions_visible"} <= set(bad)
    (stretch,) = bad["no_black_stretch"].measured
    start, length = (float(v) for v in stretch.rstrip("s").split("s+"))
    assert start == pytest.approx(0.0, abs=0.05)
    assert length == pytest.approx(2.0, abs=0.1)
    # ffmpeg's sine is 1/8 of full scale (-18 dBFS peak), mono: -21 LUFS, measured by ebur128
    assert bad["loudness"].measured == pytest.approx(-21.0, abs=0.5)
    ok = {c.name for c in report.checks if c.passed}
    expected_ok = {"container", "video_codec", "resolution", "fps", "pixel_format"}
    expected_ok |= {"audio_codec", "faststart", "av_duration_match", "duration_vs_target"}
    assert expected_ok <= ok
