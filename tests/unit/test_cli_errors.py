"""``trendreel render`` error paths in-process: exit codes, messages, nothing written, no leaks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support.http_fixture import FixtureServer, Scripted
from trendreel import cli, render_command
from trendreel.progress import StageProgress

SECRET = "sk-secret-123"
OUT = "trendreel-out"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("TRENDREEL_") or name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRENDREEL_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    # StageProgress binds sys.stdout as a default argument at import time; give it the stream
    # that is current now so its lines are captured with everything else.
    monkeypatch.setattr(render_command, "StageProgress", lambda: StageProgress(sys.stdout))


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _nothing_written(tmp_path: Path, *allowed: str) -> None:
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(allowed)


def test_an_invalid_config_file_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "theme.yaml").write_text("config:\n  theme: x\n  colour: red\n", "utf-8")
    code, out, err = _run(["render", "--config", "theme.yaml"], capsys)
    assert code == cli.EXIT_BAD_INPUT
    assert "config.colour" in err
    assert "what to do:" in err
    assert out == ""
    _nothing_written(tmp_path, "theme.yaml")


def test_a_config_that_is_not_yaml_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "theme.json").write_text('{"config": {"theme": }', "utf-8")
    code, _, err = _run(["render", "--config", "theme.json"], capsys)
    assert code == cli.EXIT_BAD_INPUT
    assert "not valid YAML/JSON" in err
    _nothing_written(tmp_path, "theme.json")


def test_a_missing_config_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["render", "--config", "missing.yaml"], capsys)
    assert code == cli.EXIT_BAD_INPUT
    assert "missing.yaml" in err
    _nothing_written(tmp_path)


def test_a_non_utf8_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "theme.yaml").write_bytes("config:\n  theme: café\n".encode("latin-1"))
    code, _, _ = _run(["render", "--config", "theme.yaml"], capsys)
    assert code == cli.EXIT_BAD_INPUT


@pytest.mark.parametrize("seconds", ["2", "181"])
def test_an_out_of_range_duration_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seconds: str
) -> None:
    code, out, err = _run(["render", "--duration", seconds], capsys)
    assert code == cli.EXIT_BAD_INPUT
    assert "video_duration_seconds" in err
    assert out == ""
    _nothing_written(tmp_path)


def test_a_real_tts_without_its_key_exits_2_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRENDREEL_TTS", "google")
    code, out, err = _run(["render", "--duration", "5"], capsys)
    assert code == cli.EXIT_BAD_INPUT
    assert "TRENDREEL_GOOGLE_TTS_API_KEY" in err
    assert "job " not in out  # no job was started
    _nothing_written(tmp_path)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRENDREEL_X264_CRF", "99"),
        ("TRENDREEL_TTS", "festival"),
        ("TRENDREEL_HTTP_TIMEOUT_SECONDS", "soon"),
    ],
)
def test_an_invalid_setting_exits_2_naming_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
) -> None:
    monkeypatch.setenv(name, value)
    code, out, err = _run(["render"], capsys)
    assert code == cli.EXIT_BAD_INPUT
    assert f"invalid setting {name}:" in err
    assert out == ""
    _nothing_written(tmp_path)


def test_an_invalid_trend_source_names_the_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRENDREEL_TREND_SOURCES", "bundled, myspace")
    code, _, err = _run(["render"], capsys)
    assert code == cli.EXIT_BAD_INPUT
    assert "invalid setting TRENDREEL_TREND_SOURCES:" in err


def test_an_empty_gemini_key_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRENDREEL_ANALYZER", "gemini")
    monkeypatch.setenv("TRENDREEL_GEMINI_API_KEY", "")
    code, _, err = _run(["render", "--duration", "5"], capsys)
    assert code == cli.EXIT_BAD_INPUT
    assert "TRENDREEL_GEMINI_API_KEY" in err
    _nothing_written(tmp_path)


def test_a_secret_never_appears_when_a_later_provider_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRENDREEL_VISUALS", "pexels")
    monkeypatch.setenv("TRENDREEL_PEXELS_API_KEY", SECRET)
    monkeypatch.setenv("TRENDREEL_MUSIC", "library")  # built after visuals, without its folder
    code, out, err = _run(["render", "--duration", "5"], capsys)
    assert code == cli.EXIT_BAD_INPUT
    assert "TRENDREEL_MUSIC_LIBRARY" in err
    assert SECRET not in out + err
    _nothing_written(tmp_path)


def test_a_secret_never_appears_when_its_provider_fails_mid_job(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    http_fixture: FixtureServer,
) -> None:
    http_fixture.add("GET", "/videos/search", Scripted.json({"error": "Unauthorized"}, status=401))
    monkeypatch.setenv("TRENDREEL_VISUALS", "pexels")
    monkeypatch.setenv("TRENDREEL_PEXELS_API_KEY", SECRET)
    monkeypatch.setenv("TRENDREEL_PEXELS_BASE_URL", http_fixture.url)
    monkeypatch.setenv("TRENDREEL_HTTP_MAX_RETRIES", "0")

    code, out, err = _run(["render", "--duration", "5"], capsys)

    assert code == cli.EXIT_FAILED
    assert "stage content_generation failed (provider_auth_failed)" in err
    assert "provider: pexels" in err
    assert "retryable: no" in err
    assert "content_generation" in out  # the progress lines were captured too
    # the key really was used (sent as a header), yet never shown
    assert http_fixture.requests
    assert http_fixture.requests[0].headers.get("authorization") == SECRET
    assert SECRET not in out + err
    # No manifest without a review stage; home/ holds only the narrator's model cache.
    _nothing_written(tmp_path, "home")
    assert [p.name for p in (tmp_path / "home").iterdir()] == ["models"]
