"""Google ID tokens made here: an RSA key generated per session, tokens minted with
google.auth's RSASigner, and the public certificate set (key id → x509 PEM, like Google's
oauth2/v1/certs) served by a local fixture server. Nothing reaches the internet.

The api fixtures (fake store and queue, functions-framework app) come from tests/unit/api.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.api.conftest import app, blobs, client, clock, env, queue, rt, settings, store
from trendreel import google_auth
from trendreel.bootstrap import Runtime

__all__ = ["app", "blobs", "client", "clock", "env", "queue", "rt", "settings", "store"]

CERTS_PATH = "/oauth2/v1/certs"
KID = "kid-test-1"
API_URL = "https://trendreel-api-abc123-uc.a.run.app"
STAGE_URL = "https://trendreel-{name}-abc123-uc.a.run.app/"
SCHEDULER_SA = "scheduler@proj-1.iam.gserviceaccount.com"
TASKS_SA = "tasks-invoker@proj-1.iam.gserviceaccount.com"
PERSON = "oncall@example.com"


@dataclass(frozen=True)
class Key:
    kid: str
    private_pem: bytes
    cert_pem: str

    def signer(self, kid: str | None = None) -> crypt.RSASigner:
        signer: crypt.RSASigner = crypt.RSASigner.from_string(
            self.private_pem, key_id=kid or self.kid
        )
        return signer


def make_key(kid: str) -> Key:
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


@pytest.fixture(scope="session")
def google_key() -> Key:
    return make_key(KID)


@pytest.fixture(scope="session")
def other_key() -> Key:
    """Not in the served set: a forger's key."""
    return make_key("kid-forger")


def mint(
    key: Key,
    *,
    audience: str = API_URL,
    email: str | None = SCHEDULER_SA,
    kid: str | None = None,
    lifetime: int = 3600,
    issued: float | None = None,
    **claims: Any,
) -> str:
    """An ID token as Google issues them (iss https://accounts.google.com, RS256, kid)."""
    iat = int(issued if issued is not None else time.time())
    payload: dict[str, Any] = {
        "iss": "https://accounts.google.com",
        "aud": audience,
        "sub": "1234567890",
        "azp": "1234567890",
        "iat": iat,
        "exp": iat + lifetime,
    }
    if email is not None:
        payload |= {"email": email, "email_verified": True}
    payload |= claims
    token: bytes = jwt.encode(key.signer(kid), payload)
    return token.decode()


@pytest.fixture
def certs_server(google_key: Key) -> Iterator[FixtureServer]:
    server = FixtureServer()
    server.add(
        "GET",
        CERTS_PATH,
        Scripted.json(
            {google_key.kid: google_key.cert_pem},
            headers={"Cache-Control": "public, max-age=19800, must-revalidate, no-transform"},
        ),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def certs_url(certs_server: FixtureServer) -> str:
    return certs_server.url + CERTS_PATH


@pytest.fixture(autouse=True)
def fresh_certs() -> Iterator[None]:
    google_auth.clear_cert_cache()
    yield
    google_auth.clear_cert_cache()


def cert_fetches(server: FixtureServer) -> int:
    return sum(1 for r in server.requests if r.path == CERTS_PATH)


@pytest.fixture
def gcp(rt: Runtime, certs_url: str) -> Runtime:
    """The runtime as deployed on Google Cloud (stores stay fakes)."""
    rt.settings = rt.settings.model_copy(
        update={
            "backend": "gcp",
            "api_audience": API_URL,
            "api_allowed_principals": [SCHEDULER_SA, PERSON],
            "api_key_hashes": [],
            "google_certs_url": certs_url,
            "tasks_service_account": TASKS_SA,
            "function_url_template": STAGE_URL,
            "stage_auth": "oidc",
        }
    )
    return rt
