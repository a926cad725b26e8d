"""Choosing providers from settings: offline by default, real ones demand their credential."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pydantic import SecretStr

from trendreel.bootstrap import build_providers, trend_sources
from trendreel.errors import ProviderNotConfiguredError
from trendreel.settings import Settings

SECRETS = {
    "TRENDREEL_YOUTUBE_API_KEY": "yt-secret-111",
    "TRENDREEL_APIFY_TOKEN": "apify-secret-222",
    "TRENDREEL_GEMINI_API_KEY": "gem-secret-333",
    "TRENDREEL_GOOGLE_TTS_API_KEY": "tts-secret-444",
    "TRENDREEL_PEXELS_API_KEY": "sk-secret-123",
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRENDREEL_") or name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
            monkeypatch.delenv(name)


def test_default_settings_build_offline_providers() -> None:
    built = build_providers(Settings())
    assert [s.name for s in built.trend_sources] == ["bundled"]
    assert built.analyzer.name == "offline"
    assert built.writer.name == "offline"
    assert built.tts.name == "piper"  # the neural narrator is the offline default
    assert built.visuals.name == "procedural"
    assert built.music.name == "generated"


def test_trend_sources_are_deduplicated_in_order() -> None:
    sources = trend_sources(Settings(trend_sources=["bundled", "bundled"]))
    assert [s.name for s in sources] == ["bundled"]


def test_no_trend_sources_names_the_setting() -> None:
    with pytest.raises(ProviderNotConfiguredError, match="TRENDREEL_TREND_SOURCES"):
        trend_sources(Settings(trend_sources=[]))


MISSING = [
    ({"trend_sources": ["youtube"]}, "TRENDREEL_YOUTUBE_API_KEY"),
    ({"trend_sources": ["bundled", "tiktok"]}, "TRENDREEL_APIFY_TOKEN"),
    ({"trend_sources": ["file"]}, "TRENDREEL_TRENDS_FILE"),
    ({"analyzer": "gemini"}, "TRENDREEL_GEMINI_API_KEY"),
    ({"writer": "gemini"}, "TRENDREEL_GEMINI_API_KEY"),
    ({"tts": "google"}, "TRENDREEL_GOOGLE_TTS_API_KEY"),
    ({"visuals": "pexels"}, "TRENDREEL_PEXELS_API_KEY"),
    ({"music": "library"}, "TRENDREEL_MUSIC_LIBRARY"),
]


@pytest.mark.parametrize(("choice", "setting"), MISSING)
def test_a_real_provider_without_its_credential_names_the_setting(
    choice: dict[str, Any], setting: str
) -> None:
    with pytest.raises(ProviderNotConfiguredError) as caught:
        build_providers(Settings(**choice))
    err = caught.value
    assert setting in err.message
    assert err.setting == setting
    assert setting in err.hint
    assert err.code == "provider_not_configured"
    assert err.retryable is False


EMPTY = [
    pytest.param(
        {"trend_sources": ["youtube"]}, "TRENDREEL_YOUTUBE_API_KEY", id="TRENDREEL_YOUTUBE_API_KEY"
    ),
    pytest.param(
        {"trend_sources": ["tiktok"]}, "TRENDREEL_APIFY_TOKEN", id="TRENDREEL_APIFY_TOKEN"
    ),
    pytest.param({"analyzer": "gemini"}, "TRENDREEL_GEMINI_API_KEY", id="TRENDREEL_GEMINI_API_KEY"),
    pytest.param(
        {"tts": "google"}, "TRENDREEL_GOOGLE_TTS_API_KEY", id="TRENDREEL_GOOGLE_TTS_API_KEY"
    ),
    pytest.param({"visuals": "pexels"}, "TRENDREEL_PEXELS_API_KEY", id="TRENDREEL_PEXELS_API_KEY"),
]


@pytest.mark.parametrize(("choice", "setting"), EMPTY)
def test_an_empty_credential_counts_as_missing(
    monkeypatch: pytest.MonkeyPatch, choice: dict[str, Any], setting: str
) -> None:
    monkeypatch.setenv(setting, "")  # e.g. `export TRENDREEL_PEXELS_API_KEY=` in a .env file
    with pytest.raises(ProviderNotConfiguredError) as caught:
        build_providers(Settings(**choice))
    assert caught.value.setting == setting


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRENDREEL_TREND_SOURCES", "bundled, youtube")
    monkeypatch.setenv("TRENDREEL_TTS", "google")
    monkeypatch.setenv("TRENDREEL_X264_CRF", "30")
    settings = Settings()
    assert settings.trend_sources == ["bundled", "youtube"]
    assert settings.tts == "google"
    assert settings.x264_crf == 30


def test_credentials_from_the_environment_build_real_providers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRENDREEL_TREND_SOURCES", "bundled, youtube")
    monkeypatch.setenv("TRENDREEL_YOUTUBE_API_KEY", SECRETS["TRENDREEL_YOUTUBE_API_KEY"])
    monkeypatch.setenv("TRENDREEL_VISUALS", "pexels")
    monkeypatch.setenv("TRENDREEL_PEXELS_API_KEY", SECRETS["TRENDREEL_PEXELS_API_KEY"])
    built = build_providers(Settings())
    assert [s.name for s in built.trend_sources] == ["bundled", "youtube"]
    assert built.visuals.name == "pexels"


def test_secrets_never_appear_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.pexels_api_key == SecretStr(SECRETS["TRENDREEL_PEXELS_API_KEY"])
    shown = [repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump())]
    for text in shown:
        for value in SECRETS.values():
            assert value not in text
