"""GET /jobs and GET /jobs/{id}."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH, error_code
from tests.unit.api.fakes import FakeJobStore, finished_job, make_job
from trendreel.models import JobStatus


def _seed(store: FakeJobStore, count: int) -> list[str]:
    ids = [f"job-{n:04d}" for n in range(count)]
    for n, job_id in enumerate(ids):
        status = JobStatus.FAILED if n % 2 else JobStatus.PENDING
        store.create(
            make_job(job_id, status=status, completed=1 if status == JobStatus.FAILED else 0)
        )
    return ids


def test_an_empty_store_lists_nothing(client: FlaskClient) -> None:
    response = client.get("/jobs", headers=AUTH)

    assert response.status_code == 200
    assert response.get_json() == {"count": 0, "jobs": [], "next_cursor": None}


def test_jobs_are_listed_newest_first_page_by_page(
    client: FlaskClient, store: FakeJobStore
) -> None:
    ids = _seed(store, 5)
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        body = client.get("/jobs", query_string=query, headers=AUTH).get_json()
        seen += [job["id"] for job in body["jobs"]]
        cursor = body["next_cursor"]
        assert body["count"] == len(body["jobs"])

    assert seen == sorted(ids, reverse=True)
    assert cursor is None
    assert store.list_calls == [2, 2, 2]  # each page costs `limit`, not the whole table


def test_jobs_filter_by_status(client: FlaskClient, store: FakeJobStore) -> None:
    _seed(store, 5)

    body = client.get("/jobs?status=failed", headers=AUTH).get_json()

    assert [job["status"] for job in body["jobs"]] == ["failed", "failed"]
    assert set(body["jobs"][0]) == {
        "id", "status", "stage", "completed_stages", "total_stages", "progress_pct", "theme",
        "created_at", "updated_at", "error_message",
    }  # fmt: skip


def test_the_default_limit_is_20(client: FlaskClient, store: FakeJobStore) -> None:
    _seed(store, 25)

    body = client.get("/jobs", headers=AUTH).get_json()

    assert body["count"] == 20
    assert body["next_cursor"] == "job-0005"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=done", "status"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("cursor=%20drop%20table", "cursor"),
        ("sort=asc", "sort"),
    ],
)
def test_invalid_list_queries_are_400_naming_the_field(
    client: FlaskClient, query: str, field: str
) -> None:
    response = client.get(f"/jobs?{query}", headers=AUTH)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_query"
    assert f"'{field}'" in error["message"]


def test_a_cursor_the_store_does_not_know_is_400(client: FlaskClient, store: FakeJobStore) -> None:
    _seed(store, 2)

    response = client.get("/jobs?cursor=job-9999", headers=AUTH)

    assert response.status_code == 400
    assert error_code(response) == "invalid_cursor"


def test_job_detail_shows_status_progress_stages_and_error(
    client: FlaskClient, store: FakeJobStore
) -> None:
    store.create(make_job("job-failed", status=JobStatus.FAILED, completed=2))

    response = client.get("/jobs/job-failed", headers=AUTH)

    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == "job-failed"
    assert body["status"] == "failed"
    assert body["stage"] == "content_generation"
    assert body["completed_stages"] == ["trend_collection", "trend_analysis"]
    assert body["total_stages"] == 5
    assert body["progress_pct"] == 40.0
    assert body["theme"] == "everyday tech tips"
    assert body["created_at"].startswith("2025-03-14T12:00:00")
    assert body["error_message"] == "boom"
    assert body["error"]["stage"] == "content_generation"
    assert body["error"]["code"] == "media_error"
    assert body["stages"]["trend_collection"]["attempts"] == 1
    assert body["stages"]["trend_collection"]["seconds"] == 2.0
    assert body["artifacts"]["trend_analysis"]["result"].endswith("trend_analysis/result.json")
    assert body["video_url"] is None
    assert "config" not in body
    assert "lease" not in body


def test_a_completed_job_links_its_video(client: FlaskClient, store: FakeJobStore) -> None:
    store.create(finished_job("job-done"))

    body = client.get("/jobs/job-done", headers=AUTH).get_json()

    assert body["status"] == "completed"
    assert body["progress_pct"] == 100.0
    assert body["review"]["status"] == "generated"
    assert body["video_url"] == "/videos/job-done"


def test_an_unknown_job_is_404(client: FlaskClient) -> None:
    response = client.get("/jobs/job-nope", headers=AUTH)

    assert response.status_code == 404
    assert error_code(response) == "job_not_found"


@pytest.mark.parametrize("job_id", ["abc", "x" * 65, "bad.id!", "%2E%2E"])
def test_malformed_ids_are_400(client: FlaskClient, job_id: str) -> None:
    response = client.get(f"/jobs/{job_id}", headers=AUTH)

    assert response.status_code == 400
    assert error_code(response) == "invalid_id"
