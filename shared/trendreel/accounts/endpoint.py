"""The platforms' token endpoints: an authorization code or a refresh token in, tokens out, over
the one outbound-call policy (``ServiceClient``: timeouts, retries of 429/5xx, backoff).

Both answer an error with ``{"error": ..., "error_description": ...}`` (TikTok adds
``log_id``); Google with HTTP 400/401, TikTok sometimes with HTTP 200, so the body is read
whatever the status. Sources: https://developers.google.com/youtube/v3/guides/auth/installed-apps
(steps 5 and "Refresh an access token"), https://developers.tiktok.com/doc/oauth-user-access-token-management,
https://developers.tiktok.com/doc/oauth-error-handling,
https://github.com/HohnerJulian/ResearchTikPy/pull/28 (TikTok's HTTP 200 error bodies).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from trendreel.accounts.platforms import PlatformOAuth
from trendreel.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from trendreel.providers.http import Redactor, ServiceClient
from trendreel.settings import Settings

_UNAVAILABLE = frozenset({"server_error", "temporarily_unavailable"})
_CLIENT = frozenset({"invalid_client", "unauthorized_client"})
_SECRET_FIELDS = frozenset({"code", "code_verifier", "refresh_token"})


@dataclass(frozen=True, repr=False)
class TokenGrant:
    access_token: str
    expires_in: float
    refresh_token: str | None
    scopes: tuple[str, ...]
    open_id: str | None = None  # TikTok names the user in every token response
    refresh_expires_in: float | None = None

    def __repr__(self) -> str:
        return f"TokenGrant(expires_in={self.expires_in}, scopes={self.scopes!r})"


class _TokenBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    access_token: SecretStr
    expires_in: float = Field(ge=0)
    refresh_token: SecretStr | None = None
    scope: str | None = None
    open_id: str | None = None
    refresh_expires_in: float | None = None  # TikTok
    refresh_token_expires_in: float | None = None  # Google, time-based access only


class TokenEndpoint:
    def __init__(
        self,
        settings: Settings,
        platform: PlatformOAuth,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._spec = platform
        self._url = platform.token_url(settings)
        self._client_id = platform.client_id(settings)
        self._client_secret = platform.client_secret(settings)
        self._transport = transport
        self._sleep = sleep

    @property
    def client_id(self) -> str:
        return self._client_id

    def exchange_code(self, code: str, redirect_uri: str, verifier: str) -> TokenGrant:
        return self._grant(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            }
        )

    def refresh(self, refresh_token: str) -> TokenGrant:
        return self._grant({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _grant(self, fields: Mapping[str, str]) -> TokenGrant:
        form = {
            self._spec.client_id_param: self._client_id,
            "client_secret": self._client_secret,
            **fields,
        }
        # The secrets travel in the form body, where the policy cannot see them: it is told,
        # so that no message it writes (from an echoing error body, say) can carry them.
        secrets = [self._client_secret, *(v for k, v in fields.items() if k in _SECRET_FIELDS)]
        redact = Redactor(secrets)
        http = ServiceClient.from_settings(
            self._spec.platform.value,
            self._url,
            self._settings,
            transport=self._transport,
            sleep=self._sleep,
            classify=lambda _provider, response: _classify(self._spec, response, redact),
            secrets=secrets,
        )
        try:
            response = http.request("POST", self._url, data=form)
        finally:
            http.close()
        body = _json(response)
        error = _oauth_error(self._spec, body, redact)
        if error is not None:
            raise error
        return _parse(self._spec, body)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _classify(
    platform: PlatformOAuth, response: httpx.Response, redact: Redactor
) -> ProviderError | None:
    # 429 and 5xx keep the policy's reading (retryable); an OAuth error body decides the rest.
    if response.status_code == 429 or response.status_code >= 500:
        return None
    return _oauth_error(platform, _json(response), redact)


def _oauth_error(platform: PlatformOAuth, body: Any, redact: Redactor) -> ProviderError | None:
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return None
    name = platform.platform.value
    code = str(body["error"])
    # An error answered with HTTP 200 never passes the policy's scrubbing: scrub it here.
    detail = redact(str(body.get("error_description") or ""))[:200]
    message = f"the token endpoint answered {code}" + (f": {detail}" if detail else "")
    if code == "invalid_grant":
        return ProviderAuthError(
            name,
            message,
            hint=(
                f"The {platform.label} authorization was revoked, expired or belongs to another "
                f"OAuth client. Run `trendreel accounts connect {name}` to connect the account "
                "again."
            ),
        )
    if code in _CLIENT:
        return ProviderAuthError(
            name,
            message,
            hint=(
                f"Check {platform.setting(platform.client_id_param)} and "
                f"{platform.setting('client_secret')}: they must be the credentials of the "
                "client the account was connected through."
            ),
        )
    if code in _UNAVAILABLE:
        return ProviderUnavailableError(name, message)
    return ProviderResponseError(
        name,
        message,
        hint=(
            f"Run `trendreel accounts connect {name}` again; if it persists, check the "
            f"{platform.label} app's settings (redirect URIs, enabled scopes)."
        ),
    )


def _parse(platform: PlatformOAuth, body: Any) -> TokenGrant:
    try:
        parsed = _TokenBody.model_validate(body)
    except ValidationError:
        # Not chained: pydantic's error echoes the input, and the input holds the tokens.
        fields = "access_token, expires_in"
        raise ProviderResponseError(
            platform.platform.value, f"the token endpoint's answer lacks a valid {fields}"
        ) from None
    scopes = tuple(s for s in (parsed.scope or "").split(platform.scope_separator) if s)
    return TokenGrant(
        access_token=parsed.access_token.get_secret_value(),
        expires_in=parsed.expires_in,
        refresh_token=parsed.refresh_token.get_secret_value() if parsed.refresh_token else None,
        scopes=scopes,
        open_id=parsed.open_id,
        refresh_expires_in=parsed.refresh_expires_in or parsed.refresh_token_expires_in,
    )
