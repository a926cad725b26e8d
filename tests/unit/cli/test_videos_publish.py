"""``trendreel videos publish|metrics``: the api's publish route from the command line, with its
refusals shown as errors."""

from __future__ import annotations

import json

from tests.unit.api.fakes import finished_job
from tests.unit.cli.conftest import Api, Trendreel
from trendreel.models import ReviewStatus

APPROVED, WAITING = "20250314T120000-00000000", "20250314T120001-00000001"


def test_publish_queues_the_named_platforms(api: Api, trendreel: Trendreel) -> None:
    api.store.create(finished_job(APPROVED, ReviewStatus.APPROVED))

    run = trendreel(
        "videos", "publish", APPROVED, "--platform", "tiktok", "--platform", "youtube",
        "--privacy", "unlisted", "--api", api.url,
    )  # fmt: skip

    assert run.code == 0, run.err
    pubs = {p["platform"]: p for p in json.loads(run.out)["publications"]}
    assert set(pubs) == {"tiktok", "youtube"}
    assert {p["status"] for p in pubs.values()} == {"queued"}
    assert {p["privacy"] for p in pubs.values()} == {"unlisted"}
    stored = api.store.get(APPROVED)
    assert stored is not None
    assert set(stored.publications) == {"tiktok", "youtube"}


def test_a_video_waiting_for_review_is_not_published(api: Api, trendreel: Trendreel) -> None:
    api.store.create(finished_job(WAITING, ReviewStatus.GENERATED))

    run = trendreel("videos", "publish", WAITING, "--platform", "youtube", "--api", api.url)

    assert run.code == 1
    assert "approve it before publishing" in run.err
    stored = api.store.get(WAITING)
    assert stored is not None
    assert stored.publications == {}


def test_metrics_prints_the_series(api: Api, trendreel: Trendreel) -> None:
    api.store.create(finished_job(APPROVED, ReviewStatus.APPROVED))

    run = trendreel("videos", "metrics", APPROVED, "--api", api.url)

    assert run.code == 0, run.err
    assert json.loads(run.out) == {"video_id": APPROVED, "series": []}
