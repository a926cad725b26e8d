"""Fake Google and TikTok authorization servers, and settings that point at them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tests.support.fakes.oauth import FakeGoogleOAuth, FakeTikTokOAuth
from tests.support.fakes.tokens import TokenRegistry
from trendreel.settings import Settings


@pytest.fixture
def google() -> Iterator[FakeGoogleOAuth]:
    with FakeGoogleOAuth(TokenRegistry(prefix="ya29")) as fake:
        yield fake


@pytest.fixture
def tiktok() -> Iterator[FakeTikTokOAuth]:
    with FakeTikTokOAuth(TokenRegistry(prefix="act")) as fake:
        yield fake


def settings_for(
    home: Path, google: FakeGoogleOAuth, tiktok: FakeTikTokOAuth, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "home": home,
        "youtube_client_id": google.client_id,
        "youtube_client_secret": SecretStr(google.client_secret),
        "google_oauth_authorize_url": google.authorize_url,
        "google_oauth_token_url": google.token_url,
        "youtube_base_url": google.youtube_base_url,
        "tiktok_client_key": tiktok.client_key,
        "tiktok_client_secret": SecretStr(tiktok.client_secret),
        "tiktok_authorize_url": tiktok.authorize_url,
        "tiktok_base_url": tiktok.url,
        "tiktok_token_url": f"{tiktok.url}/v2/oauth/token/",
        "http_backoff_seconds": 0.0,
        **overrides,
    }
    return Settings.model_validate(values)


@pytest.fixture
def settings(tmp_path: Path, google: FakeGoogleOAuth, tiktok: FakeTikTokOAuth) -> Settings:
    return settings_for(tmp_path / "home", google, tiktok)
