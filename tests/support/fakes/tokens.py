"""OAuth 2.0 access tokens as a fake platform knows them: issued by its token endpoint, checked
by its API endpoints, expired on demand by a test. One registry is shared by a platform's fake
authorization server and its fake API, as the real platform shares its token store."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

TokenState = Literal["ok", "expired", "invalid"]


@dataclass
class _Issued:
    scopes: frozenset[str]
    expires_at: float
    refresh_token: str


@dataclass
class TokenRegistry:
    """Access and refresh tokens of one fake platform. Thread-safe."""

    prefix: str = "fake"
    _access: dict[str, _Issued] = field(default_factory=dict)
    _refresh: dict[str, frozenset[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    refreshes: int = 0  # how many times a refresh token was exchanged for an access token

    def grant(self, scopes: set[str] | frozenset[str]) -> str:
        """A new refresh token for ``scopes`` (what a completed authorization gives)."""
        token = f"{self.prefix}-refresh-{secrets.token_urlsafe(16)}"
        with self._lock:
            self._refresh[token] = frozenset(scopes)
        return token

    def revoke(self, refresh_token: str) -> None:
        with self._lock:
            self._refresh.pop(refresh_token, None)

    def exchange(
        self, refresh_token: str, ttl_seconds: float = 3600
    ) -> tuple[str, frozenset[str]] | None:
        """A new access token for a valid refresh token, or None if it is unknown/revoked."""
        with self._lock:
            scopes = self._refresh.get(refresh_token)
            if scopes is None:
                return None
            self.refreshes += 1
            token = f"{self.prefix}-access-{secrets.token_urlsafe(16)}"
            self._access[token] = _Issued(scopes, time.time() + ttl_seconds, refresh_token)
            return token, scopes

    def check(self, access_token: str, scope: str | None = None) -> TokenState:
        with self._lock:
            issued = self._access.get(access_token)
        if issued is None or (scope is not None and scope not in issued.scopes):
            return "invalid"
        return "ok" if time.time() < issued.expires_at else "expired"

    def expire_all(self) -> None:
        """Every access token issued so far expires now (refresh tokens stay valid)."""
        with self._lock:
            for issued in self._access.values():
                issued.expires_at = 0.0
