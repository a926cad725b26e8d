"""The connect flow end to end: a thread plays the browser against the fake authorization
servers, the loopback receiver takes the redirect, the code is exchanged with PKCE."""

from __future__ import annotations

import io
import json
import re
import socket
import stat
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.fakes.oauth import (
    YOUTUBE_READONLY,
    YOUTUBE_UPLOAD,
    Browser,
    FakeGoogleOAuth,
    FakeTikTokOAuth,
)
from trendreel.accounts import OAuthTokens, pkce
from trendreel.accounts.connect import Connection, connect
from trendreel.accounts.store import account_path
from trendreel.errors import ProviderAuthError, ProviderError
from trendreel.models.publishing import PublishPlatform
from trendreel.settings import Settings


def _connect(
    settings: Settings, platform: str, browser: Browser | None, redirect_port: int = 0
) -> tuple[Connection, str]:
    out = io.StringIO()
    try:
        connection = connect(
            settings,
            platform,
            out=out,
            browser=browser,
            timeout=10,
            redirect_port=redirect_port,
        )
    finally:
        if browser is not None:
            browser.join()
    return connection, out.getvalue()


def _authorize_query(fake: FakeGoogleOAuth | FakeTikTokOAuth) -> dict[str, str]:
    (request,) = [r for r in fake.requests if r.method == "GET" and "auth" in r.path]
    return request.query


def _no_secret_in(text: str, fake: FakeGoogleOAuth | FakeTikTokOAuth, refresh: str) -> None:
    assert refresh not in text
    assert fake.issued_access
    for token in fake.issued_access:
        assert token not in text


def test_youtube_connect_end_to_end(settings: Settings, google: FakeGoogleOAuth) -> None:
    browser = Browser()
    connection, printed = _connect(settings, "youtube", browser)

    account = connection.account
    assert account.platform is PublishPlatform.YOUTUBE
    assert set(account.scopes) == {YOUTUBE_UPLOAD, YOUTUBE_READONLY}
    assert (account.account_id, account.account_name) == google.channel
    assert account.client_id == google.client_id
    assert connection.not_granted == []
    assert connection.warnings == []

    path = account_path(settings, PublishPlatform.YOUTUBE)
    assert connection.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["account_name"] == "Trendreel Test Channel"
    refresh = stored["refresh_token"]
    # The stored refresh token is live at the platform: it yields an upload-scoped token.
    token = OAuthTokens(settings, "youtube").access_token()
    assert google.registry.check(token, YOUTUBE_UPLOAD) == "ok"

    query = _authorize_query(google)
    assert query["redirect_uri"].startswith("http://127.0.0.1:")
    assert query["code_challenge_method"] == "S256"
    assert (query["access_type"], query["prompt"]) == ("offline", "consent")
    assert query["scope"].split() == [YOUTUBE_UPLOAD, YOUTUBE_READONLY]
    assert browser.final is not None
    assert browser.final.status_code == 200
    assert "Return to the terminal" in browser.final.text
    assert google.authorize_url in printed
    _no_secret_in(printed, google, refresh)


def test_tiktok_connect_end_to_end(settings: Settings, tiktok: FakeTikTokOAuth) -> None:
    browser = Browser()
    connection, printed = _connect(settings, "tiktok", browser)

    account = connection.account
    assert set(account.scopes) == {"user.info.basic", "video.publish", "video.upload", "video.list"}
    assert (account.account_id, account.account_name) == (tiktok.open_id, tiktok.display_name)
    assert account.refresh_expires_at is not None
    expected = datetime.now(UTC) + timedelta(seconds=tiktok.refresh_ttl)
    assert abs(account.refresh_expires_at - expected) < timedelta(minutes=1)

    query = _authorize_query(tiktok)
    assert query["client_key"] == tiktok.client_key
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/callback/", query["redirect_uri"])
    assert re.fullmatch(r"[0-9a-f]{64}", query["code_challenge"])  # hex, as desktop requires
    assert query["scope"] == "user.info.basic,video.publish,video.upload,video.list"
    path = account_path(settings, PublishPlatform.TIKTOK)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "127.0.0.1:*/callback/" in printed
    _no_secret_in(printed, tiktok, json.loads(path.read_text())["refresh_token"])


@pytest.mark.parametrize("platform", ["youtube", "tiktok"])
def test_a_code_whose_pkce_challenge_was_swapped_is_refused(
    settings: Settings, google: FakeGoogleOAuth, tiktok: FakeTikTokOAuth, platform: str
) -> None:
    """Someone who rewrites the authorization request with their own challenge gets a code
    this client cannot redeem: its verifier does not match, and nothing is stored."""
    fake = google if platform == "youtube" else tiktok
    theirs = pkce.new_verifier()
    forged = pkce.s256_challenge(theirs) if platform == "youtube" else pkce.hex_challenge(theirs)
    browser = Browser(tamper_authorize=lambda url: _replace(url, "code_challenge", forged))

    with pytest.raises(ProviderError, match="verifier"):
        _connect(settings, platform, browser)

    assert not account_path(settings, PublishPlatform(platform)).exists()
    assert fake.issued_access == []


def test_a_redirect_with_another_state_is_refused_before_the_code_is_used(
    settings: Settings, google: FakeGoogleOAuth
) -> None:
    browser = Browser(tamper_redirect=lambda url: _replace(url, "state", "forged-state"))

    with pytest.raises(ProviderAuthError, match="another state"):
        _connect(settings, "youtube", browser)

    assert browser.final is not None
    assert browser.final.status_code == 400
    assert [r.path for r in google.requests if r.method == "POST"] == []
    assert not account_path(settings, PublishPlatform.YOUTUBE).exists()


def test_a_refused_consent_stores_nothing(settings: Settings, tiktok: FakeTikTokOAuth) -> None:
    tiktok.decline = True
    with pytest.raises(ProviderAuthError, match="access_denied"):
        _connect(settings, "tiktok", Browser())
    assert not account_path(settings, PublishPlatform.TIKTOK).exists()


def test_scopes_the_person_unticked_are_reported(
    settings: Settings, google: FakeGoogleOAuth
) -> None:
    google.grant_only = {YOUTUBE_UPLOAD}
    connection, _ = _connect(settings, "youtube", Browser())

    assert connection.account.scopes == (YOUTUBE_UPLOAD,)
    assert connection.not_granted == [YOUTUBE_READONLY]
    assert connection.account.account_name is None
    assert any("read-only scope" in w for w in connection.warnings)


def test_a_google_account_without_a_channel_is_connected_with_a_warning(
    settings: Settings, google: FakeGoogleOAuth
) -> None:
    google.channel = None
    connection, _ = _connect(settings, "youtube", Browser())
    assert any("no YouTube channel" in w for w in connection.warnings)
    assert account_path(settings, PublishPlatform.YOUTUBE).exists()


def test_no_redirect_within_the_timeout_stores_nothing(settings: Settings) -> None:
    with pytest.raises(ProviderError, match="no authorization arrived"):
        connect(settings, "youtube", out=io.StringIO(), browser=None, timeout=0.3)
    assert not account_path(settings, PublishPlatform.YOUTUBE).exists()


def test_tiktok_with_a_fixed_registered_port(settings: Settings, tiktok: FakeTikTokOAuth) -> None:
    port = _free_port()
    tiktok.redirect_uris = (f"http://127.0.0.1:{port}/callback/",)

    connection, _ = _connect(settings, "tiktok", Browser(), redirect_port=port)

    assert connection.account.account_id == tiktok.open_id
    assert _authorize_query(tiktok)["redirect_uri"] == f"http://127.0.0.1:{port}/callback/"


def test_the_fakes_check_pkce_the_way_each_platform_encodes_it(
    google: FakeGoogleOAuth, tiktok: FakeTikTokOAuth
) -> None:
    """TikTok's desktop challenge is hex, Google's base64url: each fake refuses the other's."""
    verifier = pkce.new_verifier()
    assert _redeem(tiktok, pkce.s256_challenge(verifier), verifier)["error"] == "invalid_request"
    assert "access_token" in _redeem(tiktok, pkce.hex_challenge(verifier), verifier)
    assert _redeem(google, pkce.hex_challenge(verifier), verifier)["error"] == "invalid_grant"
    assert "access_token" in _redeem(google, pkce.s256_challenge(verifier), verifier)


def _redeem(
    fake: FakeGoogleOAuth | FakeTikTokOAuth, challenge: str, verifier: str
) -> dict[str, str]:
    """Authorize with ``challenge``, then redeem the code with ``verifier``: the token
    endpoint's answer."""
    if isinstance(fake, FakeGoogleOAuth):
        redirect, scope, token_url = "http://127.0.0.1:4321", YOUTUBE_UPLOAD, fake.token_url
        client = {"client_id": fake.client_id}
    else:
        redirect, scope = "http://127.0.0.1:4321/callback/", "video.publish"
        token_url = f"{fake.url}/v2/oauth/token/"
        client = {"client_key": fake.client_key}
    params = {
        **client,
        "redirect_uri": redirect,
        "response_type": "code",
        "scope": scope,
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = httpx.get(fake.authorize_url, params=params)
    assert page.status_code == 302
    code = parse_qs(urlsplit(page.headers["Location"]).query)["code"][0]
    form = {
        **client,
        "client_secret": fake.client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect,
        "code_verifier": verifier,
    }
    body: dict[str, str] = httpx.post(token_url, data=form).json()
    return body


def _replace(url: str, name: str, value: str) -> str:
    return re.sub(rf"([?&]{name}=)[^&]*", lambda m: m.group(1) + value, url)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
