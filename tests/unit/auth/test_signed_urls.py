"""Signed media URLs from GcsBlobStore on the Storage emulator, with service-account keys made
here. The emulator does not check signatures, so each test checks the V4 signature itself,
against the public key of the account the URL names, and that the URL fetches the object.

On Cloud Run there is no private key: the URL is signed by the IAM Credentials signBlob API.
google-cloud-storage calls it at a fixed https://iamcredentials.<universe domain>/ address that
cannot point at a local server, so that call is replaced by a fake IAM (the test's stand-in for
Google) that signs with the signing account's key and records who asked, with which token.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from google.auth.credentials import AnonymousCredentials
from google.auth.exceptions import TransportError
from google.cloud import storage  # type: ignore[attr-defined]
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from tests.contract import gcp_fixtures
from trendreel.adapters.gcs_blobs import GcsBlobStore
from trendreel.errors import ConfigError, TrendreelError
from trendreel.settings import Settings

pytestmark = pytest.mark.emulator
RUNTIME_SA = "api-runtime@proj-1.iam.gserviceaccount.com"
SIGNING_SA = "media-signer@proj-1.iam.gserviceaccount.com"
KEY = "jobs/job-0001/composition/video.mp4"
VIDEO = b"\x00\x00\x00\x18ftypmp42 not really a video"
# google-cloud-storage has no type information. Importing one of its submodules by name would
# make mypy resolve `from google.cloud import storage` differently in every other module that
# has it (shared/ included), so the module whose signer is replaced is looked up at run time.
_signing = importlib.import_module("google.cloud.storage._signing")


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sa_credentials(email: str, key: rsa.RSAPrivateKey) -> service_account.Credentials:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "client_email": email,
        "private_key": pem,
        "private_key_id": "local-key-1",
        "token_uri": "http://127.0.0.1:9/token",  # never called: signing is local
        "project_id": "proj-1",
    }
    creds: service_account.Credentials = service_account.Credentials.from_service_account_info(info)
    return creds


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def assert_signed_by(url: str, key: rsa.RSAPrivateKey) -> None:
    """Recompute the V4 string-to-sign (GET, host header only, unsigned payload) and check
    X-Goog-Signature with the public key: what Cloud Storage would do."""
    parts = urlsplit(url)
    params = parts.query.split("&")
    signature = bytes.fromhex(params[-1].removeprefix("X-Goog-Signature="))
    canonical_query = "&".join(params[:-1])
    q = query(url)
    canonical_request = "\n".join(
        [
            "GET",
            parts.path,
            canonical_query,
            f"host:{parts.netloc}\n",
            q["X-Goog-SignedHeaders"],
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = q["X-Goog-Credential"].split("/", 1)[1]
    string_to_sign = "\n".join(
        [
            "GOOG4-RSA-SHA256",
            q["X-Goog-Date"],
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key.public_key().verify(
        signature, string_to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()
    )  # raises InvalidSignature


@pytest.fixture
def bucket(request: pytest.FixtureRequest) -> tuple[str, str]:
    """A fresh emulator bucket holding the video; (endpoint, bucket name)."""
    emulator = gcp_fixtures.storage_emulator(request)
    anonymous = gcp_fixtures.gcs_blob_store(request)
    assert isinstance(anonymous, GcsBlobStore)
    anonymous.put_bytes(KEY, VIDEO, "video/mp4")
    return emulator.endpoint, anonymous.bucket


def store_with(endpoint: str, bucket: str, credentials: Any, **options: Any) -> GcsBlobStore:
    client = storage.Client(
        project="proj-1", credentials=credentials, client_options={"api_endpoint": endpoint}
    )
    return GcsBlobStore(client, bucket, **options)


def test_a_key_file_signs_locally_and_the_url_fetches(bucket: tuple[str, str]) -> None:
    key = new_key()
    store = store_with(*bucket, sa_credentials(RUNTIME_SA, key))

    url = store.signed_url(KEY, 900)

    q = query(url)
    assert q["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert q["X-Goog-Credential"].startswith(f"{RUNTIME_SA}/")
    assert q["X-Goog-Expires"] == "900"
    assert_signed_by(url, key)
    assert httpx.get(url, timeout=10).content == VIDEO


def test_the_lifetime_is_bounded_by_the_settings(bucket: tuple[str, str]) -> None:
    key = new_key()
    store = store_with(*bucket, sa_credentials(RUNTIME_SA, key), max_url_ttl_seconds=600)

    assert query(store.signed_url(KEY, 3600))["X-Goog-Expires"] == "600"
    assert query(store.signed_url(KEY, 60))["X-Goog-Expires"] == "60"


class FakeIam:
    """Stands in for iamcredentials.googleapis.com signBlob: signs as ``email`` with its key
    when called with ``token``, as the real API does for a caller with TokenCreator."""

    def __init__(self, email: str, key: rsa.RSAPrivateKey, token: str) -> None:
        self.email, self.key, self.token = email, key, token
        self.calls: list[tuple[str, str]] = []

    def sign_blob(
        self, message: str | bytes, access_token: str, service_account_email: str, *_: Any
    ) -> str:
        self.calls.append((service_account_email, access_token))
        if (service_account_email, access_token) != (self.email, self.token):
            raise PermissionError("iam.serviceAccounts.signBlob denied")
        data = message.encode() if isinstance(message, str) else message
        signed = self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signed).decode()


class MetadataCredentials(user_credentials.Credentials):
    """Like Cloud Run's metadata-server credentials: tokens and an email, no private key."""

    def __init__(self, token: str) -> None:
        super().__init__(token=None)  # type: ignore[no-untyped-call]
        self._next_token = token
        self.service_account_email = "default"
        self.refreshes = 0

    def refresh(self, request: Any) -> None:
        self.refreshes += 1
        self.token = self._next_token
        self.service_account_email = RUNTIME_SA


@pytest.fixture
def fake_iam(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], tuple[FakeIam, Any]]:
    def install(email: str, token: str) -> tuple[FakeIam, rsa.RSAPrivateKey]:
        key = new_key()
        iam = FakeIam(email, key, token)
        monkeypatch.setattr(_signing, "_sign_message", iam.sign_blob)
        return iam, key

    return install


def test_on_cloud_run_the_runtime_account_signs_through_iam(
    bucket: tuple[str, str], fake_iam: Callable[[str, str], tuple[FakeIam, Any]]
) -> None:
    iam, key = fake_iam(RUNTIME_SA, "ya29.runtime-token")
    credentials = MetadataCredentials("ya29.runtime-token")
    store = store_with(*bucket, credentials)

    url = store.signed_url(KEY, 900)
    store.signed_url(KEY, 900)

    assert iam.calls == [(RUNTIME_SA, "ya29.runtime-token")] * 2
    assert credentials.refreshes == 1  # a valid token is reused
    assert q_credential(url).startswith(f"{RUNTIME_SA}/")
    assert_signed_by(url, key)
    assert httpx.get(url, timeout=10).content == VIDEO


def test_a_configured_signing_account_is_used_even_with_a_key_file(
    bucket: tuple[str, str], fake_iam: Callable[[str, str], tuple[FakeIam, Any]]
) -> None:
    iam, key = fake_iam(SIGNING_SA, "ya29.from-key-file")
    store = store_with(
        *bucket, sa_credentials(RUNTIME_SA, new_key()), signing_service_account=SIGNING_SA
    )
    runtime = store.client._credentials  # the client's scoped copy
    runtime.token = "ya29.from-key-file"  # valid without a refresh (no token endpoint here)

    url = store.signed_url(KEY, 300)

    assert iam.calls == [(SIGNING_SA, "ya29.from-key-file")]
    assert q_credential(url).startswith(f"{SIGNING_SA}/")
    assert query(url)["X-Goog-Expires"] == "300"
    assert_signed_by(url, key)
    assert httpx.get(url, timeout=10).content == VIDEO


def test_from_settings_passes_the_signing_account_and_lifetime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    settings = Settings(
        gcp_project="proj-1",
        gcs_bucket="media",
        signing_service_account=SIGNING_SA,
        signed_url_ttl_seconds=600,
    )

    store = GcsBlobStore.from_settings(settings)

    assert (store.signing_service_account, store.max_url_ttl_seconds) == (SIGNING_SA, 600)


def q_credential(url: str) -> str:
    return query(url)["X-Goog-Credential"]


def test_an_iam_refusal_is_a_provider_error_without_the_token(
    bucket: tuple[str, str], fake_iam: Callable[[str, str], tuple[FakeIam, Any]]
) -> None:
    iam, _ = fake_iam(SIGNING_SA, "ya29.the-right-token")

    def refuse(message: str | bytes, access_token: str, email: str, *_: Any) -> str:
        iam.calls.append((email, access_token))
        raise TransportError("Error calling the IAM signBytes API: b'{\"error\": 403}'")

    store = store_with(*bucket, MetadataCredentials("ya29.not-allowed"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_signing, "_sign_message", refuse)
        with pytest.raises(TrendreelError) as caught:
            store.signed_url(KEY, 300)

    assert iam.calls == [(RUNTIME_SA, "ya29.not-allowed")]
    assert "IAM signBytes" in caught.value.message
    assert "ya29" not in caught.value.message


def test_anonymous_credentials_cannot_sign_even_with_a_signing_account() -> None:
    client = storage.Client(
        project="proj-1",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": "http://127.0.0.1:9"},
    )
    store = GcsBlobStore(client, "media", signing_service_account=SIGNING_SA)

    with pytest.raises(ConfigError, match="AnonymousCredentials credentials cannot sign"):
        store.signed_url(KEY, 300)
