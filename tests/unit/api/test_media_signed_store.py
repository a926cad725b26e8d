"""A blob store that signs its own URLs (Cloud Storage): media never flows through the api."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH, error_code
from tests.unit.api.fakes import FakeJobStore, SigningBlobStore, finished_job, store_video
from trendreel.bootstrap import Runtime

SIGNED = "https://storage.example/bucket/jobs/vid-0001/composition/video.mp4?X-Goog-Expires=3600"


@pytest.fixture
def bucket(rt: Runtime, store: FakeJobStore) -> SigningBlobStore:
    blobs = SigningBlobStore()
    rt.blobs = blobs
    store.create(finished_job("vid-0001"))
    store_video(blobs, "vid-0001", b"mp4")
    return blobs


@pytest.mark.usefixtures("bucket")
def test_video_links_are_the_stores_signed_urls(client: FlaskClient) -> None:
    media = client.get("/videos/vid-0001", headers=AUTH).get_json()["media"]

    assert media["video_url"] == SIGNED
    assert media["thumbnail_url"].startswith("https://storage.example/bucket/")


@pytest.mark.usefixtures("bucket")
def test_the_media_route_redirects_to_the_signed_url(client: FlaskClient) -> None:
    response = client.get("/videos/vid-0001/video.mp4", headers=AUTH)

    assert response.status_code == 302
    assert response.headers["Location"] == SIGNED


def test_a_store_that_cannot_sign_is_503_not_400(
    client: FlaskClient, bucket: SigningBlobStore
) -> None:
    bucket.can_sign = False

    response = client.get("/videos/vid-0001", headers=AUTH)

    assert response.status_code == 503
    assert error_code(response) == "media_signing_failed"
