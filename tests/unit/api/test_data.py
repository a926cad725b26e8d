"""GET /trends and GET /trend-reports/latest, from what the newest jobs stored."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH, error_code
from tests.unit.api.fakes import NOW, FakeJobStore, make_job
from tests.unit.stages.fakes import make_item, make_report
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.models import JobStatus, Platform, Stage, TrendCollection
from trendreel.models.trends import ScoredTrendItem, SourceReport
from trendreel.stages.context import key, put_model


def _collection(prefix: str) -> TrendCollection:
    platforms = [Platform.YOUTUBE, Platform.TIKTOK, Platform.YOUTUBE, Platform.GOOGLE_TRENDS]
    items = [
        ScoredTrendItem(
            **make_item(f"{prefix}{n}", platform=p, likes=10).model_dump(),
            engagement_velocity_per_hour=10.0,
        )
        for n, p in enumerate(platforms)
    ]
    sources = [SourceReport(source="bundled", ok=True, item_count=len(items))]
    return TrendCollection(collected_at=NOW, items=items, sources=sources)


@pytest.fixture
def stored(store: FakeJobStore, blobs: LocalBlobStore) -> None:
    """An older job that got as far as analysis, a newer one that only collected, and a newest
    one that has not collected anything yet."""
    store.create(make_job("job-0001", status=JobStatus.FAILED, completed=2))
    put_model(blobs, key("job-0001", Stage.TREND_COLLECTION, "trends.json"), _collection("old"))
    put_model(blobs, key("job-0001", Stage.TREND_ANALYSIS, "report.json"), make_report())
    store.create(make_job("job-0002", status=JobStatus.RUNNING, completed=1))
    put_model(blobs, key("job-0002", Stage.TREND_COLLECTION, "trends.json"), _collection("new"))
    store.create(make_job("job-0003", status=JobStatus.PENDING))


def test_no_trends_yet_is_404_with_a_clear_message(client: FlaskClient) -> None:
    for url in ("/trends", "/trend-reports/latest"):
        response = client.get(url, headers=AUTH)
        assert response.status_code == 404
        assert "POST /generate" in response.get_json()["error"]["message"]


@pytest.mark.usefixtures("stored")
def test_trends_come_from_the_newest_job_that_collected_them(client: FlaskClient) -> None:
    body = client.get("/trends", headers=AUTH).get_json()

    assert body["job_id"] == "job-0002"
    assert body["count"] == 4
    assert [i["external_id"] for i in body["items"]] == ["new0", "new1", "new2", "new3"]
    assert body["sources"][0]["source"] == "bundled"


@pytest.mark.usefixtures("stored")
def test_trends_filter_by_platform_and_limit(client: FlaskClient) -> None:
    body = client.get("/trends?platform=youtube&limit=1", headers=AUTH).get_json()

    assert [(i["external_id"], i["platform"]) for i in body["items"]] == [("new0", "youtube")]


@pytest.mark.usefixtures("stored")
def test_a_job_whose_outputs_are_gone_is_skipped(
    client: FlaskClient, blobs: LocalBlobStore
) -> None:
    blobs.delete_prefix("jobs/job-0002")

    assert client.get("/trends", headers=AUTH).get_json()["job_id"] == "job-0001"


@pytest.mark.parametrize("query", ["platform=myspace", "limit=0", "limit=201", "since=today"])
def test_invalid_trend_queries_are_400(client: FlaskClient, query: str) -> None:
    response = client.get(f"/trends?{query}", headers=AUTH)

    assert response.status_code == 400
    assert error_code(response) == "invalid_query"


@pytest.mark.usefixtures("stored")
def test_the_latest_report_comes_from_the_newest_analysed_job(client: FlaskClient) -> None:
    body = client.get("/trend-reports/latest", headers=AUTH).get_json()

    assert body["job_id"] == "job-0001"
    assert body["report"]["chosen_topic"]["label"] == "phone battery"
    assert body["report"]["recommended_format"]["duration_seconds"] == 30
