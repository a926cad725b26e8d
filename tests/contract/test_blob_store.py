"""The BlobStore contract: every adapter (local folder, Cloud Storage) must pass all of it.

The "gcs" parameter runs GcsBlobStore against gcp-storage-emulator (see gcp_fixtures); a few
Cloud Storage-only behaviours (prefixes, signed URLs) follow the shared suite.
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.contract import gcp_fixtures
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.errors import BlobNotFoundError, ConfigError
from trendreel.ports import BlobStore


@pytest.fixture(params=["local", pytest.param("gcs", marks=pytest.mark.emulator)])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    return gcp_fixtures.gcs_blob_store(request)


def test_bytes_round_trip_and_overwrite(blobs: BlobStore) -> None:
    uri = blobs.put_bytes("jobs/j1/a/out.json", b'{"n": 1}', "application/json")
    assert uri == blobs.uri("jobs/j1/a/out.json")
    assert blobs.get_bytes("jobs/j1/a/out.json") == b'{"n": 1}'
    assert blobs.exists("jobs/j1/a/out.json")

    blobs.put_bytes("jobs/j1/a/out.json", b"second")
    assert blobs.get_bytes("jobs/j1/a/out.json") == b"second"
    assert blobs.list("jobs/j1") == ["jobs/j1/a/out.json"]


def test_empty_and_binary_objects(blobs: BlobStore) -> None:
    blobs.put_bytes("jobs/j1/empty", b"")
    blobs.put_bytes("jobs/j1/binary", bytes(range(256)))
    assert blobs.get_bytes("jobs/j1/empty") == b""
    assert blobs.exists("jobs/j1/empty")
    assert blobs.get_bytes("jobs/j1/binary") == bytes(range(256))


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def test_large_file_streams_both_ways(blobs: BlobStore, tmp_path: Path) -> None:
    src = tmp_path / "render.mp4"
    src.write_bytes(os.urandom(5 * 1024 * 1024 + 12345))  # not a multiple of any chunk size
    uri = blobs.put_file("jobs/j1/composition/video.mp4", src, "video/mp4")
    assert uri == blobs.uri("jobs/j1/composition/video.mp4")

    dest = blobs.get_file("jobs/j1/composition/video.mp4", tmp_path / "down" / "deep" / "v.mp4")
    assert dest == tmp_path / "down" / "deep" / "v.mp4"
    assert dest.stat().st_size == src.stat().st_size
    assert _digest(dest) == _digest(src)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["v.mp4"]  # no temp file left


def test_file_overwrite_and_small_file(blobs: BlobStore, tmp_path: Path) -> None:
    src = tmp_path / "clip.bin"
    src.write_bytes(bytes(range(256)) * 64)
    blobs.put_file("jobs/j1/c/clip.bin", src)
    src.write_bytes(b"replaced")
    blobs.put_file("jobs/j1/c/clip.bin", src)
    assert blobs.get_bytes("jobs/j1/c/clip.bin") == b"replaced"

    existing = tmp_path / "existing.bin"
    existing.write_bytes(b"old content that is longer")
    blobs.get_file("jobs/j1/c/clip.bin", existing)
    assert existing.read_bytes() == b"replaced"
    assert blobs.list("jobs/j1/c") == ["jobs/j1/c/clip.bin"]


def test_exists(blobs: BlobStore) -> None:
    assert blobs.exists("jobs/j1/nothing.json") is False
    blobs.put_bytes("jobs/j1/dir/file.json", b"x")
    assert blobs.exists("jobs/j1/dir/file.json") is True
    assert blobs.exists("jobs/j1/dir") is False  # a "folder" is not an object


def test_list_is_sorted_and_limited_to_the_prefix(blobs: BlobStore) -> None:
    keys = ["jobs/j1/b/2.json", "jobs/j1/a/1.json", "jobs/j1/b/10.json", "jobs/j1x/z.json",
            "jobs/j2/a/1.json", "other/x.json"]  # fmt: skip
    for key in keys:
        blobs.put_bytes(key, b"x")
    expected = ["jobs/j1/a/1.json", "jobs/j1/b/10.json", "jobs/j1/b/2.json"]
    assert blobs.list("jobs/j1") == expected
    assert blobs.list("jobs/j1/") == expected
    assert blobs.list("jobs/j1/b") == ["jobs/j1/b/10.json", "jobs/j1/b/2.json"]
    assert blobs.list("jobs/j1/a/1.json") == ["jobs/j1/a/1.json"]
    assert blobs.list("jobs/none") == []
    assert blobs.list("") == sorted(keys)


def test_delete_prefix_counts_and_removes_only_that_prefix(blobs: BlobStore) -> None:
    for key in ["jobs/j1/a/1.json", "jobs/j1/b/2.json", "jobs/j1/b/c/3.json", "jobs/j10/keep"]:
        blobs.put_bytes(key, b"x")
    assert blobs.delete_prefix("jobs/j1/b/c/3.json") == 1
    assert blobs.delete_prefix("jobs/j1/") == 2
    assert blobs.list("jobs") == ["jobs/j10/keep"]
    assert not blobs.exists("jobs/j1/a/1.json")
    assert blobs.delete_prefix("jobs/j1") == 0
    assert blobs.delete_prefix("jobs/never") == 0


def test_missing_objects_are_blob_not_found(blobs: BlobStore, tmp_path: Path) -> None:
    with pytest.raises(BlobNotFoundError) as caught:
        blobs.get_bytes("jobs/j1/nope.json")
    assert caught.value.key == "jobs/j1/nope.json"
    assert caught.value.code == "blob_not_found"
    with pytest.raises(BlobNotFoundError):
        blobs.get_file("jobs/j1/nope.json", tmp_path / "out" / "x")
    assert not (tmp_path / "out" / "x").exists()
    assert list((tmp_path / "out").glob("*")) == []  # no partial download left behind

    blobs.put_bytes("jobs/j1/dir/file", b"x")
    with pytest.raises(BlobNotFoundError):
        blobs.get_file("jobs/j1/dir", tmp_path / "y")


BAD_KEYS = ["", "../escape", "jobs/../../escape", "jobs/a/..", "/etc/passwd", "jobs\\a\\b",
            "jobs/a\\..\\..\\x"]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_KEYS)
def test_invalid_keys_are_config_errors(blobs: BlobStore, tmp_path: Path, bad: str) -> None:
    src = tmp_path / "f"
    src.write_bytes(b"x")
    attempts: list[Callable[[], object]] = [
        lambda: blobs.put_bytes(bad, b"x"),
        lambda: blobs.get_bytes(bad),
        lambda: blobs.put_file(bad, src),
        lambda: blobs.get_file(bad, tmp_path / "out"),
        lambda: blobs.exists(bad),
        lambda: blobs.uri(bad),
        lambda: blobs.delete_prefix(bad),
    ]
    for attempt in attempts:
        with pytest.raises(ConfigError) as caught:
            attempt()
        assert caught.value.field == "key"
    if bad:  # "" lists everything
        with pytest.raises(ConfigError):
            blobs.list(bad)
    assert blobs.list("") == []
    assert not (tmp_path / "out").exists()


def test_uri_names_the_object(blobs: BlobStore) -> None:
    uri = blobs.uri("jobs/j1/review/video.mp4")
    assert uri.endswith("/jobs/j1/review/video.mp4")
    if isinstance(blobs, LocalBlobStore):
        assert uri.startswith("file:///")
        assert uri == (blobs.root / "jobs/j1/review/video.mp4").as_uri()
    else:
        assert uri.startswith("gs://trendreel-test-")
        bucket = uri.removeprefix("gs://").split("/", 1)[0]
        assert uri == f"gs://{bucket}/jobs/j1/review/video.mp4"


# -- Cloud Storage only ------------------------------------------------------------------------


@pytest.mark.emulator
def test_gcs_prefix_isolates_stores_on_one_bucket(request: pytest.FixtureRequest) -> None:
    whole = gcp_fixtures.gcs_blob_store(request)
    bucket = whole.uri("x").removeprefix("gs://").split("/", 1)[0]
    prod = gcp_fixtures.gcs_blob_store(request, bucket=bucket, prefix="prod/")
    staging = gcp_fixtures.gcs_blob_store(request, bucket=bucket, prefix="staging")

    prod.put_bytes("jobs/j1/a.json", b"prod")
    staging.put_bytes("jobs/j1/a.json", b"staging")

    assert prod.uri("jobs/j1/a.json") == f"gs://{bucket}/prod/jobs/j1/a.json"
    assert prod.get_bytes("jobs/j1/a.json") == b"prod"
    assert staging.list("") == ["jobs/j1/a.json"]
    assert whole.list("") == ["prod/jobs/j1/a.json", "staging/jobs/j1/a.json"]
    assert prod.delete_prefix("jobs") == 1
    assert whole.list("") == ["staging/jobs/j1/a.json"]


def _test_signing_key() -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "client_email": "signer@trendreel-test.iam.gserviceaccount.com",
        "private_key": pem,
        "private_key_id": "test",
        "token_uri": "https://oauth2.googleapis.com/token",
    }


@pytest.mark.emulator
def test_gcs_signed_url_fetches_the_object(request: pytest.FixtureRequest) -> None:
    from google.cloud import storage  # type: ignore[attr-defined]
    from google.oauth2 import service_account

    from trendreel.adapters.gcs_blobs import GcsBlobStore

    store = gcp_fixtures.gcs_blob_store(request)
    assert isinstance(store, GcsBlobStore)
    store.put_bytes("jobs/j1/review/video.mp4", b"fake video", "video/mp4")

    # A client that holds a private key (never used for a request, only to sign).
    emulator = gcp_fixtures.storage_emulator(request)
    credentials = service_account.Credentials.from_service_account_info(_test_signing_key())
    signer_client = storage.Client(
        project=gcp_fixtures.PROJECT,
        credentials=credentials,
        client_options={"api_endpoint": emulator.endpoint},
    )
    signer = GcsBlobStore(signer_client, store.bucket)
    url = signer.signed_url("jobs/j1/review/video.mp4", 600)

    assert url.startswith(f"{emulator.endpoint}/{store.bucket}/jobs/j1/review/video.mp4?")
    assert "X-Goog-Algorithm=GOOG4-RSA-SHA256" in url
    assert "X-Goog-Expires=600" in url
    assert "X-Goog-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as response:  # the local emulator
        assert response.read() == b"fake video"


@pytest.mark.emulator
def test_gcs_signed_url_without_signing_credentials_is_a_clear_error(
    request: pytest.FixtureRequest,
) -> None:
    from trendreel.adapters.gcs_blobs import GcsBlobStore

    store = gcp_fixtures.gcs_blob_store(request)  # anonymous credentials: cannot sign
    assert isinstance(store, GcsBlobStore)
    with pytest.raises(ConfigError) as caught:
        store.signed_url("jobs/j1/video.mp4", 600)
    assert "cannot sign" in caught.value.message
    assert "serviceAccountTokenCreator" in caught.value.hint
    for bad_ttl in (0, 8 * 24 * 3600):
        with pytest.raises(ConfigError, match="ttl_seconds"):
            store.signed_url("jobs/j1/video.mp4", bad_ttl)
