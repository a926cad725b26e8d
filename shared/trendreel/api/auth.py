"""Who may call the api. Every route but ``GET /health`` needs a credential.

``Authenticator`` is the seam; ``authenticator_for`` picks one per backend:

- local: the local token (``TRENDREEL_API_TOKEN``, or the one generated under ``$TRENDREEL_HOME``)
  as ``Authorization: Bearer``, compared in constant time; it also keys signed media URLs.
- gcp (``GoogleAuthenticator``): an API key (``Authorization: Bearer <key>`` or
  ``X-API-Key: <key>``) whose SHA-256 hex is in ``api_key_hashes``, or a Google-signed ID token
  (Cloud Scheduler's OIDC token, ``gcloud auth print-identity-token``) whose audience is
  ``api_audience`` and whose verified email is in ``api_allowed_principals``
  (``trendreel.google_auth``). No plaintext token is accepted: keys are stored hashed. Media
  links are the bucket's own signed URLs, so there is no signing secret.

``authenticate`` answers False for a missing, malformed or unauthentic credential (the app
answers 401) and raises a 403 ``ApiError`` for an authentic Google identity that is not allowed
here. Both bodies are fixed: the reason goes to the log at info level, never the credential.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Protocol

import flask

from trendreel import google_auth
from trendreel.api.errors import ApiError
from trendreel.auth_token import local_token, token_matches
from trendreel.settings import Settings

log = logging.getLogger(__name__)
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class Authenticator(Protocol):
    def authenticate(self, request: flask.Request) -> bool:
        """Whether the request carries a valid credential (403 ApiError: valid, not allowed)."""
        ...

    def signing_secret(self) -> str | None:
        """The secret media URLs are signed with (None: signed URLs are not available)."""
        ...


def bearer_token(request: flask.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", "this caller is not allowed to use this api")


@dataclass(frozen=True)
class StaticTokenAuthenticator:
    token: str = field(repr=False)

    def authenticate(self, request: flask.Request) -> bool:
        presented = bearer_token(request)
        return presented is not None and token_matches(presented, self.token)

    def signing_secret(self) -> str | None:
        return self.token


def hash_key(key: str) -> str:
    """How an API key is listed in TRENDREEL_API_KEY_HASHES."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class GoogleAuthenticator:
    audience: str | None
    principals: frozenset[str]
    key_hashes: tuple[str, ...] = field(repr=False)
    certs_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> GoogleAuthenticator:
        hashes = tuple(h.strip().lower() for h in settings.api_key_hashes)
        if any(not _SHA256_HEX.fullmatch(h) for h in hashes):
            _warn_once("TRENDREEL_API_KEY_HASHES has entries that are not SHA-256 hex; ignored")
        return cls(
            audience=settings.api_audience or None,
            principals=frozenset(p.strip().lower() for p in settings.api_allowed_principals),
            key_hashes=tuple(h for h in hashes if _SHA256_HEX.fullmatch(h)),
            certs_url=settings.google_certs_url,
        )

    def authenticate(self, request: flask.Request) -> bool:
        api_key = request.headers.get("X-API-Key", "").strip()
        bearer = bearer_token(request)
        if any(self._is_listed_key(c) for c in (api_key, bearer) if c):
            return True
        if bearer is None or not google_auth.looks_like_jwt(bearer):
            if api_key or bearer:
                log.info("api: credential rejected (not a listed API key)")
            return False
        return self._verify(bearer)

    def signing_secret(self) -> str | None:
        return None

    def _is_listed_key(self, presented: str) -> bool:
        digest = hash_key(presented)
        found = False
        for listed in self.key_hashes:  # no early exit: the time does not tell which entry
            found |= hmac.compare_digest(digest, listed)
        return found

    def _verify(self, token: str) -> bool:
        if self.audience is None:
            log.info("api: ID token rejected (TRENDREEL_API_AUDIENCE is not set)")
            return False
        try:
            caller = google_auth.verify_id_token(
                token,
                audiences=[self.audience],
                principals=self.principals,
                certs=google_auth.certs_for(self.certs_url),
            )
        except google_auth.InvalidTokenError as exc:
            log.info("api: credential rejected (%s)", google_auth.describe(exc))
            return False
        except google_auth.ForbiddenCallerError as exc:
            log.info("api: caller refused (%s)", google_auth.describe(exc))
            raise forbidden() from None
        except google_auth.CertsUnavailableError as exc:
            log.warning("api: cannot verify ID tokens: %s", exc)
            raise ApiError(
                503, "auth_unavailable", "credentials cannot be checked right now; try again"
            ) from None
        log.debug("api: caller %s", caller.email)
        return True


_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(message: str) -> None:
    with _warned_lock:
        if message in _warned:
            return
        _warned.add(message)
    log.warning(message)


def authenticator_for(settings: Settings) -> Authenticator:
    if settings.backend == "local":
        return StaticTokenAuthenticator(local_token(settings))
    if settings.api_token is not None:
        _warn_once(
            "TRENDREEL_API_TOKEN is ignored on backend gcp: list the SHA-256 of an API key in "
            "TRENDREEL_API_KEY_HASHES instead"
        )
    auth = GoogleAuthenticator.from_settings(settings)
    if not auth.key_hashes and not (auth.audience and auth.principals):
        _warn_once(
            "backend gcp with no TRENDREEL_API_KEY_HASHES and no TRENDREEL_API_AUDIENCE + "
            "TRENDREEL_API_ALLOWED_PRINCIPALS: every authenticated route answers 401"
        )
    return auth
