"""Google-signed ID tokens: verified by the api, the stage functions and the sweeper; minted for
the CLI through the user's gcloud.

A token is checked in two steps, and the step that fails decides the answer:

1. authentic (else ``InvalidTokenError``, 401): a JWT signed with RS256 by a key in Google's
   certificate set (``settings.google_certs_url``), within its ``iat``/``exp`` window (give or
   take ``CLOCK_SKEW_SECONDS``), issued by accounts.google.com;
2. meant for us (else ``ForbiddenCallerError``, 403): its audience is ours and its email is
   verified and on the allow-list.

The certificate set is fetched through the outbound-call policy (``ServiceClient``) with a short
timeout and a small budget of its own (``FETCH_RETRIES``: a request is waiting on it, and its
caller retries a 503 anyway), and kept for the response's Cache-Control max-age (at least
``MIN_CACHE_SECONDS``, so a ``max-age=0`` cannot turn every request into a fetch). A token signed
by a key the cache does not know triggers one early refetch (Google rotates keys), at most every
``MIN_CACHE_SECONDS``. If Google cannot be reached, certificates up to ``STALE_GRACE_SECONDS``
past their expiry still verify; beyond that ``CertsUnavailableError``
(503: the caller retries, nobody is told their credential is wrong).

Behind Cloud Run's invoker check (``invoker_iam_check``; infra/ turns it on for every stage and
the sweeper) Cloud Run has already verified the token and forwards it with its signature replaced
by ``SIGNATURE_REMOVED_BY_GOOGLE`` (Cloud Run docs: "Authenticating service-to-service" — "Cloud
Run removes the token signature before passing the token to the container"; troubleshooting,
"signature-removed"). Step 1 then reads the claims without the signature, still checking issuer
and time window, and step 2 is unchanged. Only the header Cloud Run checked is read that way:
``X-Serverless-Authorization`` when present, else ``Authorization`` (when both are present Cloud
Run checks the former and passes ``Authorization`` through untouched). A function whose invoker
check is off never accepts a token without a valid signature.

A rejection's ``reason`` is for the server log. It never contains the token, and no client ever
sees it: every 401 and every 403 has one fixed body.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from google.auth import exceptions as google_exceptions
from google.auth import jwt

from trendreel.errors import ConfigError, ProviderError
from trendreel.providers.http import ServiceClient

log = logging.getLogger(__name__)

ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
SIGNATURE_REMOVED = "SIGNATURE_REMOVED_BY_GOOGLE"
SERVERLESS_AUTHORIZATION = "X-Serverless-Authorization"
CLOCK_SKEW_SECONDS = 10
FETCH_TIMEOUT_SECONDS = 5.0
FETCH_RETRIES = 1
FETCH_BACKOFF_SECONDS = 0.25
CERTS_PROVIDER = "google_certs"
MIN_CACHE_SECONDS = 60
DEFAULT_CACHE_SECONDS = 300  # when the response has no max-age
STALE_GRACE_SECONDS = 3600
GCLOUD_TIMEOUT_SECONDS = 60
_MAX_AGE = re.compile(r"max-age=(\d+)")
_KNOWN_FAILURES = (  # google.auth messages whose start is safe to log (no token content)
    "Token expired",
    "Token used too early",
    "Could not verify token signature",
    "Token does not contain required claim",
)


class AuthRejectedError(Exception):
    """The caller is not let in. ``reason`` is for the log only."""

    status = 401

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidTokenError(AuthRejectedError):
    """Not an authentic, current Google ID token: 401."""


class ForbiddenCallerError(AuthRejectedError):
    """An authentic token, but for another audience or from a principal not allowed: 403."""

    status = 403


class CertsUnavailableError(Exception):
    """Google's certificate set cannot be fetched (and no usable copy is cached): 503."""


@dataclass(frozen=True)
class Caller:
    email: str
    subject: str


# -- the certificate set -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Fetched:
    certs: dict[str, str]
    fetched_at: float
    expires_at: float


class GoogleCerts:
    """Google's public certificates (key id → x509 PEM) from one URL, cached by max-age."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = FETCH_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()  # one fetch at a time: concurrent requests share it
        self._cached: _Fetched | None = None

    def get(self, kid: str | None = None) -> Mapping[str, str]:
        with self._lock:
            now = self._clock()
            cached = self._cached
            if cached is not None and not self._should_refetch(cached, kid, now):
                return cached.certs
            try:
                self._cached = self._fetch(now)
            except CertsUnavailableError:
                if cached is not None and now < cached.expires_at + STALE_GRACE_SECONDS:
                    log.warning("cannot refresh Google certificates; using the cached set")
                    return cached.certs
                raise
            return self._cached.certs

    @staticmethod
    def _should_refetch(cached: _Fetched, kid: str | None, now: float) -> bool:
        if now >= cached.expires_at:
            return True
        unknown = kid is not None and kid not in cached.certs
        return unknown and now - cached.fetched_at >= MIN_CACHE_SECONDS

    def _fetch(self, now: float) -> _Fetched:
        try:
            with self._client() as client:
                response = client.request("GET", self.url)
        except ProviderError as exc:
            raise CertsUnavailableError(f"GET {self.url}: {exc.message}") from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise CertsUnavailableError(f"GET {self.url}: not JSON") from exc
        if not isinstance(body, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in body.items()
        ):
            raise CertsUnavailableError(f"GET {self.url}: not a key id → PEM map (v1/certs)")
        ttl = _max_age(response.headers.get("Cache-Control", ""))
        return _Fetched(certs=dict(body), fetched_at=now, expires_at=now + ttl)

    def _client(self) -> ServiceClient:
        return ServiceClient(
            CERTS_PROVIDER,
            self.url,
            timeout=self.timeout,
            max_retries=FETCH_RETRIES,
            backoff=FETCH_BACKOFF_SECONDS,
            sleep=self._sleep,
        )


def _max_age(cache_control: str) -> int:
    found = _MAX_AGE.search(cache_control)
    seconds = int(found.group(1)) if found else DEFAULT_CACHE_SECONDS
    return max(seconds, MIN_CACHE_SECONDS)


# -- verification ------------------------------------------------------------------------------


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


def same_url(a: str, b: str) -> bool:
    """Audiences compare as URLs: ``https://x.run.app`` and ``https://x.run.app/`` are one."""
    return a.rstrip("/") == b.rstrip("/")


def bearer(value: str) -> str | None:
    """The token of an ``Authorization``-style header value ``Bearer TOKEN``, else None."""
    scheme, _, token = value.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def checked_by_cloud_run(authorization: str | None, serverless: str | None) -> str | None:
    """The token Cloud Run's invoker check verified, given the ``Authorization`` and
    ``X-Serverless-Authorization`` header values: the latter takes precedence (Cloud Run docs,
    "Authenticating service-to-service": when both are present only X-Serverless-Authorization
    is checked, and Authorization is passed through)."""
    if serverless is not None:
        return bearer(serverless)
    return bearer(authorization or "")


def verify_id_token(
    token: str,
    *,
    audiences: Collection[str],
    principals: Collection[str],
    certs: GoogleCerts,
    verified_by_cloud_run: bool = False,
) -> Caller:
    """The caller behind ``token``, or AuthRejectedError. ``verified_by_cloud_run``: the token
    came in the header Cloud Run's invoker check verified, signature removed."""
    claims = (
        _cloud_run_claims(token, certs)
        if verified_by_cloud_run
        else _authentic_claims(token, certs)
    )
    audience = claims.get("aud")
    presented = audience if isinstance(audience, list) else [audience]
    if not any(isinstance(a, str) and same_url(a, ours) for a in presented for ours in audiences):
        raise ForbiddenCallerError(f"audience {audience!r} is not {sorted(audiences)!r}")
    email = claims.get("email")
    if not isinstance(email, str) or not email:
        raise ForbiddenCallerError("token has no email claim")
    if claims.get("email_verified") not in (True, "true"):
        raise ForbiddenCallerError(f"email {email} is not verified")
    if email.lower() not in {p.lower() for p in principals}:
        raise ForbiddenCallerError(f"principal {email} is not allowed")
    return Caller(email=email, subject=str(claims.get("sub", "")))


def _authentic_claims(token: str, certs: GoogleCerts) -> Mapping[str, Any]:
    try:
        header = jwt.decode_header(token)  # type: ignore[no-untyped-call]
    except (google_exceptions.GoogleAuthError, ValueError, TypeError):
        raise InvalidTokenError("not a JWT") from None
    if header.get("alg") != "RS256":
        raise InvalidTokenError(f"algorithm {str(header.get('alg'))[:20]!r} is not RS256")
    kid = header.get("kid")
    kid = kid if isinstance(kid, str) else None
    keyset = certs.get(kid)
    if kid is not None and kid not in keyset:
        raise InvalidTokenError(f"unknown key id {kid[:64]!r}")
    try:
        claims: Mapping[str, Any] = jwt.decode(  # type: ignore[no-untyped-call]
            token, certs=keyset, clock_skew_in_seconds=CLOCK_SKEW_SECONDS
        )
    except (google_exceptions.GoogleAuthError, ValueError, TypeError) as exc:
        raise InvalidTokenError(_why(exc)) from None
    issuer = claims.get("iss")
    if issuer not in ISSUERS:
        raise InvalidTokenError(f"issuer {str(issuer)[:100]!r} is not Google")
    return claims


def _cloud_run_claims(token: str, certs: GoogleCerts) -> Mapping[str, Any]:
    """The claims of a token Cloud Run verified. Its signature part is SIGNATURE_REMOVED_BY_GOOGLE;
    anything else is verified in full, as a token Cloud Run did not vouch for."""
    parts = token.split(".")
    if len(parts) != 3 or parts[2] != SIGNATURE_REMOVED:
        return _authentic_claims(token, certs)
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidTokenError("undecodable claims") from None
    if not isinstance(claims, dict):
        raise InvalidTokenError("undecodable claims")
    if claims.get("iss") not in ISSUERS:
        raise InvalidTokenError(f"issuer {str(claims.get('iss'))[:100]!r} is not Google")
    now = time.time()
    expiry, issued = claims.get("exp"), claims.get("iat")
    if not isinstance(expiry, int | float) or not isinstance(issued, int | float):
        raise InvalidTokenError("token does not contain required claim exp/iat")
    if expiry < now - CLOCK_SKEW_SECONDS:
        raise InvalidTokenError("token expired")
    if issued > now + CLOCK_SKEW_SECONDS:
        raise InvalidTokenError("token used too early")
    return claims


def _why(exc: Exception) -> str:
    message = str(exc)
    for known in _KNOWN_FAILURES:
        if message.startswith(known):
            return known.lower()
    return f"undecodable token ({type(exc).__name__})"


# -- minting one for the CLI -------------------------------------------------------------------

_GCLOUD_HINT = (
    "Run `gcloud auth login` (people) or `gcloud auth activate-service-account`. gcloud mints a "
    "token for an audience only for a service account: people impersonate one with "
    "TRENDREEL_IMPERSONATE_SERVICE_ACCOUNT=SA_EMAIL (needs roles/iam.serviceAccountTokenCreator "
    "on it, and the SA listed in the api's TRENDREEL_API_ALLOWED_PRINCIPALS), or use an API key "
    "with TRENDREEL_API_KEY."
)


def gcloud_identity_token(audience: str, *, impersonate: str | None = None) -> str:
    """An ID token for ``audience`` from ``gcloud auth print-identity-token``. The token is
    returned, never printed or logged; a failure names gcloud's own error line."""
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        raise ConfigError(
            "gcloud is not installed: cannot get an identity token for the api",
            field="gcloud",
            hint="Install the Google Cloud CLI, or set TRENDREEL_API_KEY.",
        )
    argv = [gcloud, "auth", "print-identity-token", f"--audiences={audience}"]
    if impersonate:
        argv += [f"--impersonate-service-account={impersonate}", "--include-email"]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=GCLOUD_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(
            f"gcloud auth print-identity-token failed ({type(exc).__name__})",
            field="gcloud",
            hint=_GCLOUD_HINT,
        ) from exc
    token = done.stdout.strip()
    if done.returncode != 0 or not looks_like_jwt(token):
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("ERROR")] or lines
        said = errors[0][:300] if errors else f"exit status {done.returncode}"
        raise ConfigError(
            f"gcloud could not mint an identity token for {audience}: {said}",
            field="gcloud",
            hint=_GCLOUD_HINT,
        )
    return token


def describe(exc: AuthRejectedError) -> str:
    """For logs: what kind of rejection, and why (never the token)."""
    return f"{type(exc).__name__}: {exc.reason}"
