"""Access tokens for a connected account, from its stored refresh token (``AccessTokens``).

One instance serves every delivery of a process: a lock makes concurrent callers share one
refresh, and ``invalidate`` drops the cached token only if it is still the one the platform
rejected, so two deliveries that both got a 401 for the same token cause one refresh, not two.

TikTok "may" return a new refresh token on a refresh, and then the new one must be used
(https://developers.tiktok.com/doc/oauth-user-access-token-management): it replaces the stored
one locally. On backend gcp the account is Secret Manager's and read-only; the new token is used
for the life of the process and a warning says to reconnect.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from pydantic import SecretStr

from trendreel.accounts.endpoint import TokenEndpoint, TokenGrant
from trendreel.accounts.platforms import spec
from trendreel.accounts.store import (
    AccountNotConnectedError,
    StoredAccount,
    account_source,
    load_account,
    save_account,
)
from trendreel.clock import utc_now
from trendreel.errors import ProviderAuthError
from trendreel.models.publishing import PublishPlatform
from trendreel.providers.publish.base import AccessTokens
from trendreel.settings import Settings

log = logging.getLogger(__name__)

#: An access token is replaced this long before the platform says it expires, so a request
#: that starts with it does not meet its expiry half-way (at most half its lifetime).
EARLY_REFRESH = timedelta(seconds=60)

Clock = Callable[[], datetime]


@dataclass(frozen=True, repr=False)
class _Cached:
    token: str
    expires_at: datetime


class OAuthTokens:
    def __init__(
        self,
        settings: Settings,
        platform: PublishPlatform | str,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._spec = spec(platform)
        self._transport = transport
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._cached: _Cached | None = None
        # On gcp: the account with the refresh token TikTok rotated to, which the read-only
        # secret does not hold.
        self._rotated_secret: StoredAccount | None = None

    def __repr__(self) -> str:
        return f"OAuthTokens({self._spec.platform.value!r})"

    def check(self) -> StoredAccount:
        """The connected account, after checking the client settings: no network. Raises what
        ``access_token`` would raise for a missing setting or account."""
        with self._lock:
            return self._checked()

    def access_token(self) -> str:
        with self._lock:
            now = self._clock()
            if self._cached is None or now >= self._cached.expires_at:
                self._cached = self._refresh(now)
            return self._cached.token

    def invalidate(self, token: str) -> None:
        with self._lock:
            if self._cached is not None and self._cached.token == token:
                self._cached = None

    def _checked(self) -> StoredAccount:
        self._spec.client_id(self._settings)
        self._spec.client_secret(self._settings)
        return self._stored()

    def _refresh(self, now: datetime) -> _Cached:
        account = self._checked()
        endpoint = TokenEndpoint(
            self._settings, self._spec, transport=self._transport, sleep=self._sleep
        )
        self._check_client(account, endpoint.client_id)
        grant = endpoint.refresh(account.refresh_token.get_secret_value())
        renewed = grant.refresh_token
        if renewed and renewed != account.refresh_token.get_secret_value():
            self._rotated(account, renewed, grant, now)
        lifetime = timedelta(seconds=grant.expires_in)
        return _Cached(grant.access_token, now + lifetime - min(EARLY_REFRESH, lifetime / 2))

    def _stored(self) -> StoredAccount:
        # Read on every refresh (about hourly): a reconnect takes effect without a restart.
        if self._rotated_secret is not None:
            return self._rotated_secret
        account = load_account(self._settings, self._spec.platform)
        if account is None:
            where = account_source(self._settings, self._spec.platform)
            raise AccountNotConnectedError(self._spec.platform, f"nothing in {where}")
        return account

    def _check_client(self, account: StoredAccount, client_id: str) -> None:
        if account.client_id is not None and account.client_id != client_id:
            setting = self._spec.setting(self._spec.client_id_param)
            raise ProviderAuthError(
                self._spec.platform.value,
                f"the account was connected through another OAuth client than {setting} names",
                hint=(
                    f"Set {setting} back to that client, or run "
                    f"`trendreel accounts connect {self._spec.platform.value}` with this one."
                ),
            )

    def _rotated(
        self, account: StoredAccount, renewed: str, grant: TokenGrant, now: datetime
    ) -> None:
        expires = (
            now + timedelta(seconds=grant.refresh_expires_in)
            if grant.refresh_expires_in is not None
            else account.refresh_expires_at
        )
        renewed_account = account.model_copy(
            update={"refresh_token": SecretStr(renewed), "refresh_expires_at": expires}
        )
        if self._settings.backend == "gcp":
            self._rotated_secret = renewed_account
            log.warning(
                "%s issued a new refresh token; the secret %s still holds the previous one. "
                "Reconnect locally and add the file as a new secret version.",
                self._spec.label,
                self._spec.setting("account"),
            )
            return
        path = save_account(self._settings, renewed_account)
        log.info("%s issued a new refresh token; saved to %s", self._spec.label, path)


def access_tokens(settings: Settings, platform: PublishPlatform | str) -> AccessTokens:
    """The bootstrap's factory: one per platform and process, shared by its deliveries."""
    return OAuthTokens(settings, platform)
