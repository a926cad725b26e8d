"""Google's token infrastructure, as far as trendreel's tests need it: one RSA signing key, ID
tokens shaped as Google issues them for service accounts, the public certificate set that
verifiers fetch, and IAM Credentials' ``generateIdToken`` for callers in other processes.

    with GoogleIdentity() as google:
        token = google.mint("tasks@proj.iam.gserviceaccount.com", "https://svc.a.run.app")
        google.certs_url     # TRENDREEL_GOOGLE_CERTS_URL for the functions
        google.url           # base URL of generateIdToken, for the Cloud Tasks emulator
        google.verify(token) # what Cloud Run's front end does (the edge calls it)

Everything is served on 127.0.0.1 only and nothing reaches the internet.

What is modelled, and where it is documented:

- The certificate set in the v1 shape, ``{kid: x509 PEM}``, served with a ``Cache-Control``
  max-age (the shape ``trendreel.google_auth.GoogleCerts`` reads; the header value is the one
  Google sends, as recorded in tests/unit/auth).
- ID tokens for service accounts: RS256 with a ``kid`` header, ``iss``
  ``https://accounts.google.com``, ``aud``, ``sub`` and ``azp`` (the account's numeric unique
  id), ``iat``, ``exp`` one hour later, and ``email`` + ``email_verified`` when asked for.
  https://cloud.google.com/docs/authentication/token-types#id (Google ID tokens are valid for
  one hour).
- ``POST /v1/projects/-/serviceAccounts/{email}:generateIdToken`` with JSON
  ``{"audience", "includeEmail", "delegates"}`` answering ``{"token": ...}``:
  https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateIdToken
  ("audience: Required"; "includeEmail: ... If set to true, the token will contain email and
  email_verified claims"; the name is ``projects/-/serviceAccounts/{ACCOUNT_EMAIL_OR_UNIQUEID}``
  and "The - wildcard character is required; replacing it with a project ID is invalid").
  Not modelled: the caller's own credential and the ``iam.serviceAccounts.getOpenIdToken``
  permission (any local caller may mint for any account), and ``delegates`` (accepted, ignored).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt
from google.auth import exceptions as google_exceptions

HOST = "127.0.0.1"
ISSUER = "https://accounts.google.com"
ISSUERS = frozenset({"accounts.google.com", ISSUER})
CERTS_PATH = "/oauth2/v1/certs"
CERTS_CACHE_CONTROL = "public, max-age=19800, must-revalidate, no-transform"
TOKEN_LIFETIME_SECONDS = 3600
CLOCK_SKEW_SECONDS = 10
DEFAULT_KID = "trendreel-test-google-key-1"
_GENERATE_PREFIX = "/v1/projects/"
_GENERATE_SUFFIX = ":generateIdToken"


# -- keys and tokens (pure helpers; tests/unit/auth uses them directly) --------------------------


@dataclass(frozen=True)
class Key:
    """An RSA signing key with its key id and a self-signed x509 certificate."""

    kid: str
    private_pem: bytes
    cert_pem: str

    def signer(self, kid: str | None = None) -> crypt.RSASigner:
        signer: crypt.RSASigner = crypt.RSASigner.from_string(  # type: ignore[no-untyped-call]
            self.private_pem, key_id=kid or self.kid
        )
        return signer


def make_key(kid: str) -> Key:
    """A fresh 2048-bit RSA key and a certificate valid from yesterday to the day after."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-google-signer")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2))
        .sign(private, hashes.SHA256())
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return Key(kid, private_pem, cert.public_bytes(serialization.Encoding.PEM).decode())


def unique_id(email: str) -> str:
    """A stable 21-digit numeric id for an account, standing in for its Google unique id."""
    digest = int(hashlib.sha256(email.lower().encode()).hexdigest(), 16)
    return str(10**20 + digest % (9 * 10**20))


def mint_id_token(
    key: Key,
    *,
    audience: str,
    email: str | None,
    kid: str | None = None,
    lifetime: int = TOKEN_LIFETIME_SECONDS,
    issued: float | None = None,
    subject: str = "1234567890",
    **claims: Any,
) -> str:
    """An ID token as Google issues them (iss https://accounts.google.com, RS256, kid).
    ``email=None`` leaves out email and email_verified; ``claims`` override or add claims."""
    iat = int(issued if issued is not None else time.time())
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": audience,
        "sub": subject,
        "azp": subject,
        "iat": iat,
        "exp": iat + lifetime,
    }
    if email is not None:
        payload |= {"email": email, "email_verified": True}
    payload |= claims
    token: bytes = jwt.encode(key.signer(kid), payload)  # type: ignore[no-untyped-call]
    return token.decode()


class InvalidIdTokenError(Exception):
    """Not an authentic, current ID token from this identity double. The message names why
    (for logs and assertions); it never contains the token."""


# -- the double ------------------------------------------------------------------------------


class GoogleIdentity:
    """One signing key, its certificate set, and generateIdToken, served on 127.0.0.1."""

    def __init__(self, kid: str = DEFAULT_KID, *, key: Key | None = None) -> None:
        self.key = key or make_key(kid)
        self.minted: list[tuple[str, str]] = []  # (email, audience) per generateIdToken call
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((HOST, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._started = False

    # lifecycle

    def start(self) -> GoogleIdentity:
        if not self._started:
            self._thread.start()
            self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._started = False
        self._server.server_close()

    def __enter__(self) -> GoogleIdentity:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # addresses

    @property
    def url(self) -> str:
        """Base URL of the double: generateIdToken lives under ``{url}/v1/...``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def certs_url(self) -> str:
        """The certificate set (TRENDREEL_GOOGLE_CERTS_URL)."""
        return self.url + CERTS_PATH

    def generate_id_token_url(self, email: str) -> str:
        return f"{self.url}{_GENERATE_PREFIX}-/serviceAccounts/{email}{_GENERATE_SUFFIX}"

    # tokens

    def certs(self) -> dict[str, str]:
        return {self.key.kid: self.key.cert_pem}

    def mint(self, email: str, audience: str, *, include_email: bool = True, **claims: Any) -> str:
        """An ID token for service account ``email`` with audience ``audience``."""
        return mint_id_token(
            self.key,
            audience=audience,
            email=email if include_email else None,
            subject=unique_id(email),
            **claims,
        )

    def verify(self, token: str, *, audiences: Collection[str] | None = None) -> dict[str, Any]:
        """The claims of an authentic, current token signed by this double's key; raises
        ``InvalidIdTokenError`` otherwise. With ``audiences``, ``aud`` must be one of them
        (compared as URLs: a trailing slash does not matter)."""
        try:
            header = jwt.decode_header(token)  # type: ignore[no-untyped-call]
            claims: dict[str, Any] = jwt.decode(  # type: ignore[no-untyped-call]
                token, certs=self.certs(), clock_skew_in_seconds=CLOCK_SKEW_SECONDS
            )
        except (google_exceptions.GoogleAuthError, ValueError, TypeError) as exc:
            raise InvalidIdTokenError(_reason(exc)) from None
        if header.get("alg") != "RS256":
            raise InvalidIdTokenError("algorithm is not RS256")
        if claims.get("iss") not in ISSUERS:
            raise InvalidIdTokenError("issuer is not accounts.google.com")
        if audiences is not None and not _audience_matches(claims.get("aud"), audiences):
            raise InvalidIdTokenError("audience does not match")
        return claims

    # generateIdToken, as the HTTP handler calls it

    def _generate(self, path: str, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        name = unquote(path[len(_GENERATE_PREFIX) : -len(_GENERATE_SUFFIX)])
        project, _, email = name.partition("/serviceAccounts/")
        if project != "-":
            return _api_error(400, "The - wildcard character is required for the project.")
        audience = body.get("audience")
        if not email or not isinstance(audience, str) or not audience:
            return _api_error(400, "audience and a service account are required.")
        with self._lock:
            self.minted.append((email, audience))
        token = self.mint(email, audience, include_email=body.get("includeEmail") is True)
        return 200, {"token": token}


def _audience_matches(audience: object, ours: Collection[str]) -> bool:
    presented = audience if isinstance(audience, list) else [audience]
    wanted = {a.rstrip("/") for a in ours}
    return any(isinstance(a, str) and a.rstrip("/") in wanted for a in presented)


def _reason(exc: Exception) -> str:
    message = str(exc)
    for known in ("Token expired", "Token used too early", "Could not verify token signature"):
        if message.startswith(known):
            return known.lower()
    if "kid" in message or "Certificate for key id" in message:
        return "unknown key id"
    return f"undecodable token ({type(exc).__name__})"


def _api_error(status: int, message: str) -> tuple[int, dict[str, Any]]:
    # The shape of Google API errors (google.rpc.Status over JSON).
    return status, {"error": {"code": status, "message": message, "status": "INVALID_ARGUMENT"}}


def _handler_for(identity: GoogleIdentity) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != CERTS_PATH:
                self._reply(404, {"error": {"code": 404, "message": "Not Found"}})
                return
            self._reply(200, identity.certs(), {"Cache-Control": CERTS_CACHE_CONTROL})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            path = self.path.split("?", 1)[0]
            if not (path.startswith(_GENERATE_PREFIX) and path.endswith(_GENERATE_SUFFIX)):
                self._reply(404, {"error": {"code": 404, "message": "Not Found"}})
                return
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if not isinstance(body, dict):
                self._reply(*_api_error(400, "The request body is not a JSON object."))
                return
            self._reply(*identity._generate(path, body))

        def _reply(
            self, status: int, payload: object, headers: Mapping[str, str] | None = None
        ) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: pytest captures nothing useful from it

    return Handler
