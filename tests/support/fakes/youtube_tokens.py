"""A minimal ``AccessTokens`` for the publisher tests: one connected account whose refresh token
the ``TokenRegistry`` granted, exchanged directly (no OAuth server in between)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.support.fakes.tokens import TokenRegistry
from trendreel.errors import ProviderAuthError

YOUTUBE_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/youtube.upload",
        "https://www.googleapis.com/auth/youtube.readonly",
    }
)


@dataclass
class RegistryTokens:
    registry: TokenRegistry
    refresh_token: str
    ttl_seconds: float = 3600  # <= 0: every token it gets is already expired
    _cached: str | None = field(default=None, repr=False)
    invalidated: list[str] = field(default_factory=list, repr=False)

    @classmethod
    def connect(
        cls,
        registry: TokenRegistry,
        scopes: frozenset[str] = YOUTUBE_SCOPES,
        ttl_seconds: float = 3600,
    ) -> RegistryTokens:
        return cls(registry, registry.grant(scopes), ttl_seconds)

    def access_token(self) -> str:
        if self._cached is None:
            issued = self.registry.exchange(self.refresh_token, self.ttl_seconds)
            if issued is None:
                hint = "Run `trendreel accounts connect youtube`."
                raise ProviderAuthError("youtube", "the refresh token was revoked", hint=hint)
            self._cached = issued[0]
        return self._cached

    def invalidate(self, token: str) -> None:
        self.invalidated.append(token)
        if token == self._cached:
            self._cached = None
