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

With Cloud Run's invoker check on for the api (``invoker_iam_check``: infra/'s
``api_app_auth_only = false``), Cloud Run has verified the ID token and forwards it with the
signature removed; the api reads the caller from it (audience and allow-list still checked). The
token is the one in ``X-Serverless-Authorization`` when that header is present, and then
``Authorization`` arrives untouched and may carry an API key.

``authenticate`` answers the caller, or None for a missing, malformed or unauthentic credential
(the app answers 401), and raises a 403 ``ApiError`` for an authentic Google identity that is not
allowed here. Both bodies are fixed: the reason goes to the log at info level, never the
credential.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field
from typing import Protocol

import flask

from trendreel import google_auth
from trendreel.api.errors import ApiError
from trendreel.auth_token import local_token, token_matches
from trendreel.settings import Settings

log = logging.getLogger(__name__)
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
API_KEY_CALLER = "api-key"
LOCAL_CALLER = "local-token"


class Authenticator(Protocol):
    def authenticate(self, request: flask.Request) -> str | None:
        """Who is calling (an email, ``api-key`` or ``local-token``), or None when the request
        carries no valid credential (403 ApiError: valid, not allowed)."""
        ...

    def signing_secret(self) -> str | None:
        """The secret media URLs are signed with (None: signed URLs are not available)."""
        ...


def bearer_token(request: flask.Request) -> str | None:
    return google_auth.bearer(request.headers.get("Authorization", ""))


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", "this caller is not allowed to use this api")


@dataclass(frozen=True)
class StaticTokenAuthenticator:
    token: str = field(repr=False)

    def authenticate(self, request: flask.Request) -> str | None:
        presented = bearer_token(request)
        ok = presented is not None and token_matches(presented, self.token)
        return LOCAL_CALLER if ok else None

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
    certs: google_auth.GoogleCerts
    invoker_iam_check: bool = False

    @classmethod
    def from_settings(
        cls, settings: Settings, certs: google_auth.GoogleCerts
    ) -> GoogleAuthenticator:
        hashes = tuple(h.strip().lower() for h in settings.api_key_hashes)
        return cls(
            audience=settings.api_audience or None,
            principals=frozenset(p.strip().lower() for p in settings.api_allowed_principals),
            key_hashes=tuple(h for h in hashes if _SHA256_HEX.fullmatch(h)),
            certs=certs,
            invoker_iam_check=settings.invoker_iam_check,
        )

    def authenticate(self, request: flask.Request) -> str | None:
        api_key = request.headers.get("X-API-Key", "").strip()
        bearer = bearer_token(request)
        if any(self._is_listed_key(c) for c in (api_key, bearer) if c):
            return API_KEY_CALLER
        token, trusted = self._id_token(request)
        if token is None or not google_auth.looks_like_jwt(token):
            if api_key or bearer:
                log.info("api: credential rejected (not a listed API key)")
            return None
        return self._verify(token, trusted)

    def _id_token(self, request: flask.Request) -> tuple[str | None, bool]:
        """The ID token to read, and whether Cloud Run verified it (signature removed)."""
        if self.invoker_iam_check:
            return google_auth.checked_by_cloud_run(
                request.headers.get("Authorization"),
                request.headers.get(google_auth.SERVERLESS_AUTHORIZATION),
            ), True
        return bearer_token(request), False

    def signing_secret(self) -> str | None:
        return None

    def _is_listed_key(self, presented: str) -> bool:
        digest = hash_key(presented)
        found = False
        for listed in self.key_hashes:  # no early exit: the time does not tell which entry
            found |= hmac.compare_digest(digest, listed)
        return found

    def _verify(self, token: str, trusted: bool) -> str | None:
        if self.audience is None:
            log.info("api: ID token rejected (TRENDREEL_API_AUDIENCE is not set)")
            return None
        try:
            caller = google_auth.verify_id_token(
                token,
                audiences=[self.audience],
                principals=self.principals,
                certs=self.certs,
                verified_by_cloud_run=trusted,
            )
        except google_auth.InvalidTokenError as exc:
            log.info("api: credential rejected (%s)", google_auth.describe(exc))
            return None
        except google_auth.ForbiddenCallerError as exc:
            log.info("api: caller refused (%s)", google_auth.describe(exc))
            raise forbidden() from None
        except google_auth.CertsUnavailableError as exc:
            log.warning("api: cannot verify ID tokens: %s", exc)
            raise ApiError(
                503, "auth_unavailable", "credentials cannot be checked right now; try again"
            ) from None
        log.debug("api: caller %s", caller.email)
        return caller.email.lower()


def authenticator_for(settings: Settings, certs: google_auth.GoogleCerts) -> Authenticator:
    if settings.backend == "local":
        return StaticTokenAuthenticator(local_token(settings))
    return GoogleAuthenticator.from_settings(settings, certs)


def configuration_warnings(settings: Settings) -> list[str]:
    """Settings with which the api would refuse everybody, or ignore something: said at start."""
    if settings.backend == "local":
        return []
    warnings = []
    if settings.api_token is not None:
        warnings.append(
            "TRENDREEL_API_TOKEN is ignored on backend gcp: list the SHA-256 of an API key in "
            "TRENDREEL_API_KEY_HASHES instead"
        )
    hashes = [h.strip().lower() for h in settings.api_key_hashes]
    if any(not _SHA256_HEX.fullmatch(h) for h in hashes):
        warnings.append("TRENDREEL_API_KEY_HASHES has entries that are not SHA-256 hex; ignored")
    if not hashes and not (settings.api_audience and settings.api_allowed_principals):
        warnings.append(
            "backend gcp with no TRENDREEL_API_KEY_HASHES and no TRENDREEL_API_AUDIENCE + "
            "TRENDREEL_API_ALLOWED_PRINCIPALS: every authenticated route answers 401"
        )
    return warnings
