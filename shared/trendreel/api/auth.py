"""Who may call the api. Every route but ``GET /health`` needs ``Authorization: Bearer <token>``.

``Authenticator`` is the seam: today one static token (the local token, or
``TRENDREEL_API_TOKEN`` on gcp), compared in constant time. Google ID tokens on gcp plug in here
later as another implementation chosen by ``authenticator_for``; nothing else changes.
A failed check is a bare 401: no hint about what was wrong, never the token itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

import flask

from trendreel.auth_token import local_token, token_matches
from trendreel.settings import Settings

log = logging.getLogger(__name__)


class Authenticator(Protocol):
    def authenticate(self, request: flask.Request) -> bool:
        """Whether the request carries a valid credential."""
        ...

    def signing_secret(self) -> str | None:
        """The secret media URLs are signed with (None: signed URLs are not available)."""
        ...


def bearer_token(request: flask.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


@dataclass(frozen=True)
class StaticTokenAuthenticator:
    token: str = field(repr=False)

    def authenticate(self, request: flask.Request) -> bool:
        presented = bearer_token(request)
        return presented is not None and token_matches(presented, self.token)

    def signing_secret(self) -> str | None:
        return self.token


class DenyAllAuthenticator:
    """gcp without TRENDREEL_API_TOKEN: fail closed until Google ID tokens are supported."""

    def authenticate(self, request: flask.Request) -> bool:
        return False

    def signing_secret(self) -> str | None:
        return None


def authenticator_for(settings: Settings) -> Authenticator:
    if settings.backend == "local":
        return StaticTokenAuthenticator(local_token(settings))
    secret = settings.api_token.get_secret_value() if settings.api_token else ""
    if secret:
        return StaticTokenAuthenticator(secret)
    log.warning("backend gcp without TRENDREEL_API_TOKEN: every authenticated route answers 401")
    return DenyAllAuthenticator()
