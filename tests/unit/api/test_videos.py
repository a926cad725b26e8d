"""Videos: list, detail (script, topic, QC, cost, media links), approve and reject."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH, error_code
from tests.unit.api.fakes import FakeJobStore, finished_job, make_job, store_video
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.models import JobStatus, ReviewStatus


@pytest.fixture
def videos(store: FakeJobStore) -> None:
    store.create(finished_job("vid-0001", ReviewStatus.APPROVED))
    store.create(finished_job("vid-0002", ReviewStatus.GENERATED))
    store.create(finished_job("vid-0003", ReviewStatus.REJECTED))
    store.create(finished_job("vid-0004", ReviewStatus.GENERATED))
    store.create(make_job("vid-0005", status=JobStatus.RUNNING, completed=3))


@pytest.mark.usefixtures("videos")
def test_videos_are_the_completed_jobs_newest_first(client: FlaskClient) -> None:
    body = client.get("/videos", headers=AUTH).get_json()

    assert [v["id"] for v in body["videos"]] == ["vid-0004", "vid-0003", "vid-0002", "vid-0001"]
    assert body["videos"][0]["review_status"] == "generated"
    assert body["videos"][0]["detail_url"] == "/videos/vid-0004"
    assert body["next_cursor"] is None


@pytest.mark.usefixtures("videos")
def test_videos_filter_by_review_status_across_pages(
    client: FlaskClient, store: FakeJobStore
) -> None:
    first = client.get("/videos?status=generated&limit=1", headers=AUTH).get_json()
    second = client.get(
        f"/videos?status=generated&limit=1&cursor={first['next_cursor']}", headers=AUTH
    ).get_json()

    assert [v["id"] for v in first["videos"]] == ["vid-0004"]
    assert [v["id"] for v in second["videos"]] == ["vid-0002"]
    assert max(store.list_calls) <= 1  # pages never exceed the requested limit


@pytest.mark.usefixtures("videos")
def test_an_invalid_video_status_is_400(client: FlaskClient) -> None:
    response = client.get("/videos?status=posted", headers=AUTH)

    assert response.status_code == 400
    assert "'status'" in response.get_json()["error"]["message"]


def test_video_detail_has_script_topic_qc_cost_and_signed_media_urls(
    client: FlaskClient, store: FakeJobStore, blobs: LocalBlobStore
) -> None:
    store.create(finished_job("vid-0001"))
    store_video(blobs, "vid-0001", b"mp4" * 100)

    response = client.get("/videos/vid-0001", headers=AUTH)

    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "Three tricks for faster phones"
    assert body["script"]["scene_count"] == 1
    assert body["script"]["hook"] == "Your phone is slow?"
    assert body["chosen_topic"]["label"] == "phone speed"
    assert body["qc"] == {"passed": True, "checks": 1, "failed_checks": []}
    assert body["estimated_cost_usd"] == 0.0123
    assert body["review_status"] == "generated"
    video = urlsplit(body["media"]["video_url"])
    assert video.path == "/videos/vid-0001/video.mp4"
    assert set(parse_qs(video.query)) == {"expires", "sig"}
    assert urlsplit(body["media"]["thumbnail_url"]).path == "/videos/vid-0001/thumbnail.jpg"
    assert body["media"]["expires_at"].startswith("2025-03-14T13:00:00")


def test_video_detail_without_manifest_or_media_still_answers(
    client: FlaskClient, store: FakeJobStore
) -> None:
    store.create(finished_job("vid-0001"))

    body = client.get("/videos/vid-0001", headers=AUTH).get_json()

    assert body["title"] is None
    assert body["qc"] is None
    assert body["media"] == {"video_url": None, "thumbnail_url": None, "expires_at": None}


def test_a_job_still_running_has_no_video(client: FlaskClient, store: FakeJobStore) -> None:
    store.create(make_job("job-run", status=JobStatus.RUNNING, completed=2))

    response = client.get("/videos/job-run", headers=AUTH)

    assert response.status_code == 404
    assert error_code(response) == "video_not_found"


def test_approve_moves_a_generated_video_to_approved_once(
    client: FlaskClient, store: FakeJobStore
) -> None:
    store.create(finished_job("vid-0001"))

    approved = client.post("/videos/vid-0001/approve", headers=AUTH)
    again = client.post("/videos/vid-0001/approve", headers=AUTH)
    reject = client.post("/videos/vid-0001/reject", headers=AUTH)

    assert approved.status_code == 200
    assert approved.get_json()["review_status"] == "approved"
    assert again.status_code == reject.status_code == 400
    assert error_code(again) == "video_already_reviewed"
    review = store.jobs["vid-0001"].review
    assert review is not None
    assert review.status == ReviewStatus.APPROVED


def test_reject_records_the_reason(client: FlaskClient, store: FakeJobStore) -> None:
    store.create(finished_job("vid-0001"))

    response = client.post(
        "/videos/vid-0001/reject", json={"reason": "off-brand music"}, headers=AUTH
    )

    assert response.status_code == 200
    body = response.get_json()
    assert (body["review_status"], body["review_reason"]) == ("rejected", "off-brand music")
    assert body["reviewed_at"].startswith("2025-03-14T12:00:00")


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_a_job_without_a_finished_video_cannot_be_reviewed(
    client: FlaskClient, store: FakeJobStore, action: str
) -> None:
    before = make_job("job-run", status=JobStatus.RUNNING, completed=4)
    store.create(before)

    response = client.post(f"/videos/job-run/{action}", headers=AUTH)

    assert response.status_code == 400
    assert error_code(response) == "video_not_ready"
    assert store.jobs["job-run"] == before


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_reviewing_an_unknown_video_is_404(client: FlaskClient, action: str) -> None:
    response = client.post(f"/videos/vid-nope/{action}", headers=AUTH)

    assert response.status_code == 404
