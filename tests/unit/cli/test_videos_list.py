"""``trendreel videos list``: against today's api (review_status, no publications) and against
the shape it is growing into (status with published, duration, one publication per platform)."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.api.fakes import finished_job, make_job
from tests.unit.cli.conftest import Api, Trendreel, assert_table
from trendreel.models import JobStatus, ReviewStatus

COLUMNS = [
    ("ID", "left"),
    ("STATUS", "left"),
    ("DURATION", "right"),
    ("THEME", "left"),
    ("AGE", "right"),
    ("PUBLISHED", "left"),
]


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def _video(video_id: str, status: str, **fields: Any) -> dict[str, Any]:
    """A video in the extended shape, as the api will answer it."""
    return {
        "id": video_id, "job_id": video_id, "status": status,
        "thumbnail_url": f"/videos/{video_id}/thumbnail", "duration_seconds": 30.2,
        "cost_usd": 0.0123, "created_at": _ago(hours=2, minutes=5),
        "approved_at": None, "published_at": None, "published_url": None, "publications": [],
        "review_status": "approved" if status == "published" else status, "review_reason": None,
        "reviewed_at": None, "theme": "everyday tech tips",
        "completed_at": _ago(hours=2), "detail_url": f"/videos/{video_id}",
        **fields,
    }  # fmt: skip


def _publication(platform: str, status: str) -> dict[str, Any]:
    url = f"https://example.test/{platform}/v1" if status == "published" else None
    return {"platform": platform, "status": status, "url": url, "remote_id": None, "error": None}


def new_shape() -> dict[str, Any]:
    """Made when a test runs: the ages it shows are measured from now."""
    return {
        "count": 3,
        "videos": [
            _video(
                "20250314T120300-0000000c", "published", duration_seconds=75,
                created_at=_ago(minutes=3, seconds=10),
                publications=[_publication("youtube", "published"),
                              _publication("tiktok", "uploading")],
            ),
            _video("20250314T120200-0000000b", "approved", duration_seconds=34.6,
                   theme="budget travel hacks", created_at=_ago(days=5, hours=1)),
            _video("20250314T120100-0000000a", "rejected", duration_seconds=None,
                   theme="cozy autumn recipes", review_reason="off-topic"),
        ],
        "next_cursor": "20250314T120100-0000000a",
    }  # fmt: skip


def test_the_extended_shape_shows_status_duration_and_each_publication(
    http_fixture: FixtureServer, trendreel: Trendreel
) -> None:
    http_fixture.add("GET", "/videos", Scripted.json(new_shape()))

    run = trendreel("videos", "list", "--api", http_fixture.url)

    assert run.code == 0, run.err
    assert run.lines[0].split() == ["ID", "STATUS", "DURATION", "THEME", "AGE", "PUBLISHED"]
    assert_table(
        run.lines[:-1],
        COLUMNS,
        [
            ["20250314T120300-0000000c", "published", "1m15s", "everyday tech tips", "3m",
             "youtube:published tiktok:uploading"],
            ["20250314T120200-0000000b", "approved", "35s", "budget travel hacks", "5d", "-"],
            ["20250314T120100-0000000a", "rejected", "-", "cozy autumn recipes", "2h", "-"],
        ],
    )  # fmt: skip
    assert run.lines[-1] == (
        "more videos: trendreel videos list --cursor 20250314T120100-0000000a "
        f"--api {http_fixture.url}"
    )


def test_todays_api_shape_is_shown_from_its_review_status(api: Api, trendreel: Trendreel) -> None:
    now = datetime.now(UTC)
    for n, (review, ago) in enumerate(
        [(ReviewStatus.APPROVED, timedelta(days=2)), (ReviewStatus.GENERATED, timedelta(hours=1))]
    ):
        job = finished_job(f"20250314T12000{n}-0000000{n}", review)
        api.store.create(job.model_copy(update={"created_at": now - ago}))
    api.store.create(make_job("20250314T120009-00000009", status=JobStatus.RUNNING, completed=2))

    run = trendreel("videos", "list", "--api", api.url)

    assert run.code == 0, run.err
    assert_table(
        run.lines,
        COLUMNS,
        [
            ["20250314T120001-00000001", "generated", "-", "everyday tech tips", "1h", "-"],
            ["20250314T120000-00000000", "approved", "-", "everyday tech tips", "2d", "-"],
        ],
    )


def test_the_status_filter_and_limit_reach_the_api(
    http_fixture: FixtureServer, trendreel: Trendreel
) -> None:
    published = {
        **new_shape(),
        "count": 1,
        "videos": new_shape()["videos"][:1],
        "next_cursor": None,
    }
    http_fixture.add("GET", "/videos", Scripted.json(published))

    run = trendreel("videos", "list", "--status", "published", "--limit", "1",
                    "--api", http_fixture.url)  # fmt: skip

    assert [r.query for r in http_fixture.requests] == [{"status": ["published"], "limit": ["1"]}]
    assert [line.split()[0] for line in run.lines] == ["ID", "20250314T120300-0000000c"]


def test_json_prints_the_api_body_exactly(
    http_fixture: FixtureServer, trendreel: Trendreel
) -> None:
    shape = new_shape()
    http_fixture.add("GET", "/videos", Scripted.json(shape))

    run = trendreel("videos", "list", "--json", "--api", http_fixture.url)

    assert json.loads(run.out) == shape
    assert run.out == json.dumps(shape, indent=2) + "\n"


def test_a_narrow_terminal_shares_the_room_between_theme_and_publications(
    http_fixture: FixtureServer, trendreel: Trendreel, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_fixture.add("GET", "/videos", Scripted.json(new_shape()))
    monkeypatch.setenv("COLUMNS", "72")

    run = trendreel("videos", "list", "--api", http_fixture.url)

    table = run.lines[:-1]
    assert all(len(line) <= 72 for line in table), run.out
    assert_table(
        table,
        [("ID", "left"), ("STATUS", "left"), ("DURATION", "right"), ("THEME", "left"),
         ("AGE", "right"), ("PUBLISHED", "left")],
        [
            ["20250314T120300-0000000c", "published", "1m15s", "everyday…", "3m", "youtube:…"],
            ["20250314T120200-0000000b", "approved", "35s", "budget t…", "5d", "-"],
            ["20250314T120100-0000000a", "rejected", "-", "cozy aut…", "2h", "-"],
        ],
    )  # fmt: skip


def test_no_videos_says_so_and_still_offers_the_next_page(
    http_fixture: FixtureServer, trendreel: Trendreel
) -> None:
    # A filtered page can come back short, even empty, with a cursor: there may be more.
    http_fixture.add(
        "GET", "/videos",
        Scripted.json({"count": 0, "videos": [], "next_cursor": "20250314T120000-00000000"}),
        Scripted.json({"count": 0, "videos": [], "next_cursor": None}),
    )  # fmt: skip

    first = trendreel("videos", "list", "--status", "approved", "--api", http_fixture.url)
    hint = first.lines[-1].removeprefix("more videos: ")
    second = trendreel(*shlex.split(hint)[1:])

    assert first.lines[0] == "no videos with status approved"
    assert second.out == "no more videos with status approved\n"
    assert http_fixture.requests[-1].query == {
        "status": ["approved"], "limit": ["20"], "cursor": ["20250314T120000-00000000"],
    }  # fmt: skip


def test_an_api_error_is_reported_not_tabled(api: Api, trendreel: Trendreel) -> None:
    """A cursor the api never handed out: its 400 reaches the person as an error."""
    run = trendreel("videos", "list", "--cursor", "not a cursor!", "--api", api.url)

    assert run.code == 1
    assert run.out == ""
    assert run.err.startswith("error: HTTP 400")
