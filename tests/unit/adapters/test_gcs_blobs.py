"""GcsBlobStore without a server: object names, settings, and how URLs get signed.

Transfers are covered by the BlobStore contract suite on the Storage emulator.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage  # type: ignore[attr-defined]

from trendreel.adapters.gcs_blobs import GcsBlobStore
from trendreel.errors import ConfigError
from trendreel.settings import Settings


def client(credentials: Any = None) -> Any:
    return storage.Client(
        project="proj-1",
        credentials=credentials or AnonymousCredentials(),
        client_options={"api_endpoint": "http://127.0.0.1:9"},  # never contacted
    )


def test_keys_are_normalised_like_local_paths() -> None:
    store = GcsBlobStore(client(), "media", "trendreel/")
    assert store.uri("jobs/j1//a/./b.json") == "gs://media/trendreel/jobs/j1/a/b.json"
    assert store.uri("jobs/j1/") == "gs://media/trendreel/jobs/j1"
    assert GcsBlobStore(client(), "media", "/a//b/").prefix == "a/b/"
    assert GcsBlobStore(client(), "media").uri("x") == "gs://media/x"


@pytest.mark.parametrize("bad", [".", "a\nb", "x" * 1025, "/abs", "a/../b"])
def test_keys_cloud_storage_cannot_hold_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        GcsBlobStore(client(), "media").uri(bad)
    assert caught.value.field == "key"


def test_chunk_size_must_suit_resumable_uploads() -> None:
    for bad in (0, 1000, 256 * 1024 + 1):
        with pytest.raises(ConfigError):
            GcsBlobStore(client(), "media", chunk_size=bad)


def test_from_settings_reads_bucket_and_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")  # anonymous, no ADC
    for value, uri in [
        ("media", "gs://media/k"),
        ("media/prod", "gs://media/prod/k"),
        ("gs://media/prod/", "gs://media/prod/k"),
    ]:
        store = GcsBlobStore.from_settings(Settings(gcp_project="proj-1", gcs_bucket=value))
        assert store.uri("k") == uri
    with pytest.raises(ConfigError, match="TRENDREEL_GCS_BUCKET"):
        GcsBlobStore.from_settings(Settings(gcp_project="proj-1", gcs_bucket=None))


class TokenOnlyCredentials:
    """Like Cloud Run's compute credentials: an identity and tokens, no private key."""

    def __init__(self) -> None:
        self.service_account_email = "default"
        self.token: str | None = None
        self.valid = False
        self.refreshed = 0

    def refresh(self, request: Any) -> None:
        self.refreshed += 1
        self.service_account_email = "runtime@proj-1.iam.gserviceaccount.com"
        self.token = "ya29.token"
        self.valid = True


def test_signing_without_a_key_goes_through_iam() -> None:
    store = GcsBlobStore(client(), "media")
    credentials = TokenOnlyCredentials()
    store.client._credentials = credentials
    assert store._signer() == {
        "service_account_email": "runtime@proj-1.iam.gserviceaccount.com",
        "access_token": "ya29.token",
    }
    store._signer()
    assert credentials.refreshed == 1  # a valid token is reused


def test_credentials_that_cannot_sign_are_named() -> None:
    store = GcsBlobStore(client(), "media")
    with pytest.raises(ConfigError) as caught:
        store.signed_url("jobs/j1/video.mp4", 600)
    assert caught.value.message == (
        "cannot sign URLs for gs://media: AnonymousCredentials credentials cannot sign"
    )
    assert caught.value.field == "credentials"
    assert "GOOGLE_APPLICATION_CREDENTIALS" in caught.value.hint
