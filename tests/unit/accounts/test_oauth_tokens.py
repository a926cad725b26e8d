"""OAuthTokens against the fake token endpoints: caching, invalidation, rotation, revocation."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.support.fakes.oauth import (
    YOUTUBE_READONLY,
    YOUTUBE_UPLOAD,
    FakeGoogleOAuth,
    FakeTikTokOAuth,
)
from tests.unit.accounts.conftest import settings_for
from trendreel.accounts import AccountNotConnectedError, OAuthTokens, access_tokens
from trendreel.accounts.store import StoredAccount, account_path, load_account, save_account
from trendreel.errors import ProviderAuthError, ProviderNotConfiguredError
from trendreel.models.publishing import PublishPlatform
from trendreel.settings import Settings

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TIKTOK_SCOPES = {"user.info.basic", "video.publish", "video.upload", "video.list"}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _connect(settings: Settings, platform: PublishPlatform, refresh: str, **extra: str) -> None:
    save_account(
        settings,
        StoredAccount(
            platform=platform,
            refresh_token=SecretStr(refresh),
            connected_at=T0,
            **extra,  # type: ignore[arg-type]
        ),
    )


@pytest.fixture
def youtube_refresh(settings: Settings, google: FakeGoogleOAuth) -> str:
    refresh = google.registry.grant({YOUTUBE_UPLOAD, YOUTUBE_READONLY})
    _connect(settings, PublishPlatform.YOUTUBE, refresh, client_id=google.client_id)
    return refresh


@pytest.fixture
def tiktok_refresh(settings: Settings, tiktok: FakeTikTokOAuth) -> str:
    refresh = tiktok.registry.grant(TIKTOK_SCOPES)
    _connect(settings, PublishPlatform.TIKTOK, refresh)
    return refresh


@pytest.mark.usefixtures("youtube_refresh")
def test_an_access_token_is_cached_until_shortly_before_it_expires(
    settings: Settings, google: FakeGoogleOAuth
) -> None:
    clock = Clock()
    tokens = OAuthTokens(settings, "youtube", clock=clock)

    first = tokens.access_token()
    assert tokens.access_token() == first
    assert google.registry.check(first, YOUTUBE_UPLOAD) == "ok"
    assert google.registry.refreshes == 1

    clock.now = T0 + timedelta(seconds=google.access_ttl - 61)
    assert tokens.access_token() == first
    clock.now = T0 + timedelta(seconds=google.access_ttl - 59)
    second = tokens.access_token()
    assert second != first
    assert google.registry.refreshes == 2


@pytest.mark.usefixtures("youtube_refresh")
def test_invalidate_refreshes_exactly_once(settings: Settings, google: FakeGoogleOAuth) -> None:
    tokens = OAuthTokens(settings, "youtube")
    rejected = tokens.access_token()

    tokens.invalidate(rejected)
    fresh = tokens.access_token()
    # A second delivery reporting the same rejected token does not cost another refresh.
    tokens.invalidate(rejected)

    assert tokens.access_token() == fresh != rejected
    assert google.registry.refreshes == 2


def test_a_reconnect_takes_effect_without_a_restart(
    settings: Settings, google: FakeGoogleOAuth, youtube_refresh: str
) -> None:
    tokens = OAuthTokens(settings, "youtube")
    before = tokens.access_token()
    google.registry.revoke(youtube_refresh)
    reconnected = google.registry.grant({YOUTUBE_UPLOAD})
    _connect(settings, PublishPlatform.YOUTUBE, reconnected, client_id=google.client_id)

    tokens.invalidate(before)

    assert google.registry.check(tokens.access_token(), YOUTUBE_UPLOAD) == "ok"


@pytest.mark.usefixtures("tiktok_refresh")
def test_concurrent_deliveries_share_one_refresh(
    settings: Settings, tiktok: FakeTikTokOAuth
) -> None:
    tokens = access_tokens(settings, "tiktok")

    first = _in_eight_deliveries(tokens.access_token)
    assert len(set(first)) == 1
    assert tiktok.registry.refreshes == 1

    # All eight get a 401 for that token at once: one refresh serves them all.
    def rejected() -> str:
        tokens.invalidate(first[0])
        return tokens.access_token()

    second = _in_eight_deliveries(rejected)
    assert len(set(second)) == 1
    assert second[0] != first[0]
    assert tiktok.registry.refreshes == 2


def _in_eight_deliveries(call: Callable[[], str]) -> list[str]:
    start = threading.Barrier(8)
    seen: list[str] = []

    def delivery() -> None:
        start.wait()
        seen.append(call())

    threads = [threading.Thread(target=delivery) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(seen) == 8
    return seen


def test_tiktok_rotated_refresh_token_replaces_the_stored_one(
    settings: Settings, tiktok: FakeTikTokOAuth, tiktok_refresh: str
) -> None:
    tiktok.rotate_refresh = True
    OAuthTokens(settings, "tiktok").access_token()

    path = account_path(settings, PublishPlatform.TIKTOK)
    stored = json.loads(path.read_text())
    assert stored["refresh_token"] not in ("", tiktok_refresh)
    assert stored["refresh_expires_at"] is not None
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    # The old one is dead at TikTok; a new process starts from the saved one and works.
    assert tiktok.registry.exchange(tiktok_refresh) is None
    assert OAuthTokens(settings, "tiktok").access_token()


@pytest.mark.parametrize("status", [200, 400])
def test_a_revoked_tiktok_refresh_token_says_to_reconnect(
    settings: Settings, tiktok: FakeTikTokOAuth, tiktok_refresh: str, status: int
) -> None:
    tiktok.error_status = status
    tiktok.echo_in_errors = True
    tiktok.registry.revoke(tiktok_refresh)

    with pytest.raises(ProviderAuthError) as caught:
        OAuthTokens(settings, "tiktok").access_token()

    assert "invalid_grant: Refresh token is invalid or expired." in caught.value.message
    assert "trendreel accounts connect tiktok" in caught.value.hint
    assert not caught.value.retryable
    assert tiktok_refresh not in str(caught.value)


def test_a_revoked_google_refresh_token_says_to_reconnect(
    settings: Settings, google: FakeGoogleOAuth, youtube_refresh: str
) -> None:
    google.registry.revoke(youtube_refresh)

    with pytest.raises(ProviderAuthError) as caught:
        OAuthTokens(settings, "youtube").access_token()

    assert "Token has been expired or revoked" in caught.value.message
    assert "trendreel accounts connect youtube" in caught.value.hint
    assert youtube_refresh not in str(caught.value)
    assert youtube_refresh not in repr(caught.value)


@pytest.mark.usefixtures("youtube_refresh")
def test_a_failing_token_endpoint_is_retried_by_the_outbound_policy(
    settings: Settings, google: FakeGoogleOAuth
) -> None:
    google.token_failures = [503]
    assert OAuthTokens(settings, "youtube", sleep=lambda _s: None).access_token()
    assert [r.path for r in google.requests].count("/token") == 2


def test_no_connected_account_names_the_command(settings: Settings) -> None:
    with pytest.raises(ProviderNotConfiguredError) as caught:
        OAuthTokens(settings, "youtube").access_token()
    assert isinstance(caught.value, AccountNotConnectedError)
    assert "trendreel accounts connect youtube" in caught.value.hint
    assert str(account_path(settings, PublishPlatform.YOUTUBE)) in caught.value.message


@pytest.mark.parametrize(
    ("platform", "missing", "setting"),
    [
        ("youtube", "youtube_client_id", "TRENDREEL_YOUTUBE_CLIENT_ID"),
        ("youtube", "youtube_client_secret", "TRENDREEL_YOUTUBE_CLIENT_SECRET"),
        ("tiktok", "tiktok_client_key", "TRENDREEL_TIKTOK_CLIENT_KEY"),
        ("tiktok", "tiktok_client_secret", "TRENDREEL_TIKTOK_CLIENT_SECRET"),
    ],
)
def test_a_missing_client_setting_is_named(
    tmp_path: Path,
    google: FakeGoogleOAuth,
    tiktok: FakeTikTokOAuth,
    platform: str,
    missing: str,
    setting: str,
) -> None:
    settings = settings_for(tmp_path, google, tiktok, **{missing: None})
    _connect(settings, PublishPlatform(platform), "refresh")

    with pytest.raises(ProviderNotConfiguredError) as caught:
        OAuthTokens(settings, platform).access_token()

    assert caught.value.setting == setting
    assert setting in caught.value.message
    assert google.requests == []
    assert tiktok.requests == []


def test_an_account_from_another_oauth_client_is_refused_before_any_request(
    settings: Settings, google: FakeGoogleOAuth
) -> None:
    _connect(settings, PublishPlatform.YOUTUBE, "refresh", client_id="other.apps")
    with pytest.raises(ProviderAuthError, match="another OAuth client") as caught:
        OAuthTokens(settings, "youtube").access_token()
    assert "TRENDREEL_YOUTUBE_CLIENT_ID" in caught.value.hint
    assert google.requests == []


def test_gcp_refreshes_from_the_secret_and_keeps_a_rotated_token_in_memory(
    tmp_path: Path,
    google: FakeGoogleOAuth,
    tiktok: FakeTikTokOAuth,
    caplog: pytest.LogCaptureFixture,
) -> None:
    refresh = tiktok.registry.grant(TIKTOK_SCOPES)
    secret = StoredAccount(
        platform=PublishPlatform.TIKTOK, refresh_token=SecretStr(refresh), connected_at=T0
    ).to_file_json()
    settings = settings_for(
        tmp_path, google, tiktok, backend="gcp", tiktok_account=SecretStr(secret)
    )
    tiktok.rotate_refresh = True
    tokens = OAuthTokens(settings, "tiktok")

    with caplog.at_level(logging.INFO, logger="trendreel.accounts"):
        first = tokens.access_token()
        tokens.invalidate(first)
        second = tokens.access_token()  # only works with the rotated token

    assert first != second
    assert tiktok.registry.refreshes == 2
    assert not (tmp_path / "accounts").exists()
    assert "TRENDREEL_TIKTOK_ACCOUNT" in caplog.text
    assert refresh not in caplog.text
    assert load_account(settings, PublishPlatform.TIKTOK) is not None


@pytest.mark.usefixtures("youtube_refresh")
def test_repr_shows_no_token(settings: Settings) -> None:
    tokens = OAuthTokens(settings, "youtube")
    token = tokens.access_token()
    assert token not in repr(tokens)
