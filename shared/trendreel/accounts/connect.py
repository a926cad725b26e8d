"""Connecting an account: the authorization code flow with PKCE and a loopback redirect.

1. Listen on 127.0.0.1 (a free port, or the one registered with the app).
2. Send the person to the platform's authorization page with ``state`` and a PKCE challenge.
3. Take the one redirect back, check ``state``, exchange the code with the PKCE verifier.
4. Name the account, store the refresh token (owner-only file), report what was granted.

No token is ever printed: the invitation carries the client id, the state and the challenge,
none of which lets anyone act as the account.
"""

from __future__ import annotations

import secrets
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from trendreel.accounts import pkce
from trendreel.accounts.endpoint import TokenEndpoint, TokenGrant
from trendreel.accounts.identity import identify
from trendreel.accounts.loopback import LoopbackReceiver
from trendreel.accounts.platforms import PlatformOAuth, spec
from trendreel.accounts.store import StoredAccount, account_path, write_account_file
from trendreel.errors import ProviderResponseError
from trendreel.models.publishing import PublishPlatform
from trendreel.settings import Settings

#: Opens a URL in the person's browser; False when it could not.
Browser = Callable[[str], bool]


@dataclass(frozen=True)
class Connection:
    account: StoredAccount
    path: Path
    warnings: list[str] = field(default_factory=list)
    not_granted: list[str] = field(default_factory=list)


def connect(
    settings: Settings,
    platform: PublishPlatform | str,
    *,
    out: TextIO,
    browser: Browser | None = webbrowser.open,
    redirect_port: int = 0,
    timeout: float = 300.0,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Connection:
    oauth = spec(platform)
    endpoint = TokenEndpoint(settings, oauth, transport=transport, sleep=sleep)
    verifier, state = pkce.new_verifier(), secrets.token_urlsafe(24)
    with LoopbackReceiver(oauth.platform.value, oauth.redirect_path, redirect_port) as inbox:
        redirect_uri = inbox.redirect_uri
        url = authorization_url(
            settings, oauth, endpoint.client_id, redirect_uri, state, oauth.challenge(verifier)
        )
        _invite(out, oauth, url, redirect_uri, browser, timeout)
        query = inbox.wait(state, timeout)
    grant = endpoint.exchange_code(query["code"], redirect_uri, verifier)
    return _store(settings, oauth, grant, query, endpoint.client_id, transport, sleep)


def authorization_url(
    settings: Settings,
    oauth: PlatformOAuth,
    client_id: str,
    redirect_uri: str,
    state: str,
    challenge: str,
) -> str:
    params = {
        oauth.client_id_param: client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": oauth.scope_separator.join(oauth.scopes),
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": pkce.METHOD,
        **oauth.extra_authorize_params,
    }
    return f"{oauth.authorize_url(settings)}?{urlencode(params)}"


def _invite(
    out: TextIO,
    oauth: PlatformOAuth,
    url: str,
    redirect_uri: str,
    browser: Browser | None,
    timeout: float,
) -> None:
    print(f"Connecting a {oauth.label} account.", file=out)
    print("Open this URL in a browser signed in to that account and allow access:\n", file=out)
    print(f"  {url}\n", file=out)
    if oauth.platform is PublishPlatform.TIKTOK:
        print(
            "The TikTok app must list this redirect URI under Login Kit > Desktop: "
            "http://127.0.0.1:*/callback/ (any port), or the exact one below when you pass "
            "--redirect-port.",
            file=out,
        )
    print(f"Waiting up to {timeout:.0f} s for the redirect to {redirect_uri} ...", file=out)
    out.flush()
    if browser is not None and not _opened(browser, url):
        print("No browser could be opened here: open the URL above yourself.", file=out)


def _opened(browser: Browser, url: str) -> bool:
    try:
        return bool(browser(url))
    except webbrowser.Error:
        return False


def _store(
    settings: Settings,
    oauth: PlatformOAuth,
    grant: TokenGrant,
    query: Mapping[str, str],
    client_id: str,
    transport: httpx.BaseTransport | None,
    sleep: Callable[[float], None],
) -> Connection:
    if not grant.refresh_token:
        raise ProviderResponseError(
            oauth.platform.value, "the token endpoint issued no refresh token"
        )
    now = datetime.now(UTC)
    scopes = grant.scopes or _granted(oauth, query)
    who = identify(settings, oauth, grant, transport=transport, sleep=sleep)
    account = StoredAccount(
        platform=oauth.platform,
        refresh_token=SecretStr(grant.refresh_token),
        scopes=scopes,
        account_id=who.account_id,
        account_name=who.account_name,
        client_id=client_id,
        connected_at=now,
        refresh_expires_at=(
            now + timedelta(seconds=grant.refresh_expires_in) if grant.refresh_expires_in else None
        ),
    )
    path = account_path(settings, oauth.platform)
    write_account_file(path, account)
    return Connection(
        account=account,
        path=path,
        warnings=[who.warning] if who.warning else [],
        not_granted=[s for s in oauth.scopes if s not in scopes],
    )


def _granted(oauth: PlatformOAuth, query: Mapping[str, str]) -> tuple[str, ...]:
    """The scopes the redirect says were granted, for a token answer that leaves them out."""
    listed = query.get(oauth.granted_scopes_param, "")
    return tuple(s for s in listed.replace(",", " ").split() if s)
