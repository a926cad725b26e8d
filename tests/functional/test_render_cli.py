"""End to end: `trendreel render` on the offline defaults produces a checked, watchable video."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from trendreel.cli import main
from trendreel.media.probe import probe

pytestmark = pytest.mark.slow


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRENDREEL_HOME", str(tmp_path / "home"))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.chdir(tmp_path)
    for name in ("TRENDREEL_TTS", "TRENDREEL_VISUALS", "TRENDREEL_TREND_SOURCES"):
        monkeypatch.delenv(name, raising=False)
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return tmp_path


def test_render_writes_a_checked_video(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = isolated / "out"
    assert main(["render", "--duration", "6", "--out", str(out)]) == 0

    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "thumbnail.jpg", "video.mp4"]
    info = probe(out / "video.mp4")
    assert (info.video_codec, info.pix_fmt, info.width, info.height) == (
        "h264",
        "yuv420p",
        1080,
        1920,
    )
    assert info.fps == pytest.approx(30.0)
    assert (info.audio_codec, info.sample_rate) == ("aac", 48000)
    assert info.faststart
    assert abs(info.video_seconds - info.audio_seconds) <= 0.1
    assert 6 * 0.85 <= info.video_seconds <= 6 * 1.15

    manifest = json.loads((out / "manifest.json").read_text())
    qc = manifest["qc"]
    assert qc["passed"], [c for c in qc["checks"] if not c["passed"]]
    names = {c["name"] for c in qc["checks"]}
    assert {"loudness", "captions_timing", "captions_visible", "no_black_stretch"} <= names
    assert manifest["chosen_topic"]["reason"]
    assert manifest["chosen_topic"]["supporting_items"]
    assert manifest["word_timings"]
    assert manifest["script"]["scenes"]
    assert {a["kind"] for a in manifest["assets"]} >= {
        "voiceover",
        "music",
        "font",
        "visual:procedural",
    }
    assert all(a["licence"] for a in manifest["assets"])
    # the default narrator is the Piper voice, with its model and licence on record
    [voice] = [a for a in manifest["assets"] if a["kind"] == "voiceover"]
    assert (voice["provider"], voice["source"]) == ("piper", "piper:en_US-joe-medium")
    assert "CC0" in voice["licence"]
    assert "en_US-joe-medium" in voice["detail"]
    assert manifest["estimated_cost_usd"] == 0
    assert [t["stage"] for t in manifest["stage_timings"]] == [
        "trend_collection", "trend_analysis", "content_generation", "composition", "review",
    ]  # fmt: skip

    thumb = Image.open(out / "thumbnail.jpg")
    assert thumb.size == (1080, 1920)
    assert np.asarray(thumb).std() > 10  # a picture, not a flat colour

    # The audio is not silent and the picture moves.
    with av.open(str(out / "video.mp4")) as container:
        frames = [
            f.to_ndarray(format="gray")
            for _, f in zip(range(40), container.decode(video=0), strict=False)
        ]
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 1

    # Nothing is left behind: no scratch files, no temporary blob stores.
    assert list((isolated / "scratch").iterdir()) == []
    printed = capsys.readouterr().out
    for stage in (
        "trend_collection",
        "trend_analysis",
        "content_generation",
        "composition",
        "review",
    ):
        assert f"{stage}" in printed
        assert "done in" in printed


def test_invalid_config_writes_nothing(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = isolated / "bad.yaml"
    bad.write_text("config:\n  theme: x\n  video_duration_seconds: 900\n")
    out = isolated / "out"
    assert main(["render", "--config", str(bad), "--out", str(out)]) == 2
    assert "config.video_duration_seconds" in capsys.readouterr().err
    assert not out.exists()
    assert not (isolated / "home").exists()
