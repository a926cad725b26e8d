"""End to end: `trendreel render` reviews the script as well as the file. The offline default
keeps the count its hook promises; a Gemini script that breaks one fails review, naming it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import gemini_scripts
from tests.support.http_fixture import FixtureServer
from trendreel.cli import EXIT_FAILED, main

pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRENDREEL_HOME", str(tmp_path / "home"))
    for name in ("TRENDREEL_TTS", "TRENDREEL_VISUALS", "TRENDREEL_TREND_SOURCES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRENDREEL_WRITER", "offline")
    monkeypatch.setenv("TRENDREEL_ANALYZER", "offline")
    return tmp_path


def _manifest(out: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text())
    return manifest


def test_the_default_render_keeps_its_promise_and_passes_review(home: Path) -> None:
    out = home / "out"
    assert main(["render", "--duration", str(gemini_scripts.SECONDS), "--out", str(out)]) == 0

    manifest = _manifest(out)
    check = manifest["script_check"]
    assert check["passed"], check["problems"]
    assert manifest["qc"]["passed"]
    scenes = manifest["script"]["scenes"]
    assert check["promises"], manifest["script"]["hook"]  # the default hook is a countdown
    assert {p["count"] for p in check["promises"]} == {len(check["point_scenes"])}
    assert check["point_scenes"] == [s["index"] for s in scenes[1:-1]]


def test_a_gemini_script_that_breaks_its_promise_fails_review(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    http_fixture: FixtureServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    http_fixture.add("POST", gemini_scripts.PATH, gemini_scripts.reply(gemini_scripts.BROKEN))
    monkeypatch.setenv("TRENDREEL_WRITER", "gemini")
    monkeypatch.setenv("TRENDREEL_GEMINI_API_KEY", "AIza-test-key")
    monkeypatch.setenv("TRENDREEL_GEMINI_BASE_URL", http_fixture.url)
    out = home / "out"

    code = main(["render", "--duration", str(gemini_scripts.SECONDS), "--out", str(out)])

    assert code == EXIT_FAILED
    err = capsys.readouterr().err
    assert "stage review failed (script_check_failed)" in err
    assert gemini_scripts.BROKEN_MESSAGE in err
    manifest = _manifest(out)  # handed over for inspection, with both reports
    assert manifest["script"]["writer"] == "gemini"
    assert [p["message"] for p in manifest["script_check"]["problems"]] == [
        gemini_scripts.BROKEN_MESSAGE
    ]
    assert manifest["qc"]["passed"], [c for c in manifest["qc"]["checks"] if not c["passed"]]
    assert not (out / "video.mp4").exists()
