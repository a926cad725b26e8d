"""``trendreel jobs list``: a table a person can scan, ``--json`` for scripts, page by page."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.api.fakes import make_job
from tests.unit.cli.conftest import TOKEN, Api, Trendreel, assert_table
from trendreel.models import Job, JobStatus, Stage, StageRun

COLUMNS = [
    ("ID", "left"),
    ("STATUS", "left"),
    ("STAGE", "left"),
    ("PROGRESS", "right"),
    ("THEME", "left"),
    ("AGE", "right"),
]


def _job(job_id: str, ago: timedelta, theme: str, **kwargs: object) -> Job:
    job = make_job(job_id, created=datetime.now(UTC) - ago, **kwargs)  # type: ignore[arg-type]
    return job.model_copy(update={"theme": theme})


def _running(job_id: str, ago: timedelta, theme: str) -> Job:
    """Two stages done and content_generation half way: 50 %."""
    job = _job(job_id, ago, theme, status=JobStatus.RUNNING, completed=2)
    run = StageRun(attempts=1, started_at=job.created_at, progress=0.5)
    stages = {**job.stages, Stage.CONTENT_GENERATION: run}
    return job.model_copy(update={"stage": Stage.CONTENT_GENERATION.value, "stages": stages})


def _seed(api: Api) -> None:
    jobs = [
        _job("20250314T120100-0000000a", timedelta(days=5, hours=1), "cozy autumn recipes",
             status=JobStatus.COMPLETED, completed=len(Stage)),
        _job("20250314T120200-0000000b", timedelta(hours=2, minutes=5), "budget travel hacks",
             status=JobStatus.FAILED, completed=3),
        _running("20250314T120300-0000000c", timedelta(minutes=3, seconds=10), "home workouts"),
        _job("20250314T120400-0000000d", timedelta(minutes=12, seconds=20), "everyday tech tips"),
    ]  # fmt: skip
    for job in jobs:
        api.store.create(job)


def test_jobs_are_a_table_newest_first_with_stage_progress_and_age(
    api: Api, trendreel: Trendreel
) -> None:
    _seed(api)

    run = trendreel("jobs", "list", "--api", api.url)

    assert run.code == 0, run.err
    assert run.lines[0].split() == ["ID", "STATUS", "STAGE", "PROGRESS", "THEME", "AGE"]
    assert_table(
        run.lines,
        COLUMNS,
        [
            ["20250314T120400-0000000d", "pending", "initialization", "0%",
             "everyday tech tips", "12m"],
            ["20250314T120300-0000000c", "running", "content_generation", "50%",
             "home workouts", "3m"],
            # A failed job names the stage that failed.
            ["20250314T120200-0000000b", "failed", "composition", "60%",
             "budget travel hacks", "2h"],
            ["20250314T120100-0000000a", "completed", "review", "100%",
             "cozy autumn recipes", "5d"],
        ],
    )  # fmt: skip
    assert "\x1b" not in run.out  # captured output is no terminal: no colour
    assert TOKEN not in run.out + run.err


def test_the_exact_layout(api: Api, trendreel: Trendreel) -> None:
    api.store.create(_running("20250314T120300-0000000c", timedelta(hours=3), "home workouts"))

    run = trendreel("jobs", "list", "--api", api.url)

    assert run.out == (
        "ID                        STATUS   STAGE               PROGRESS  THEME          AGE\n"
        "20250314T120300-0000000c  running  content_generation       50%  home workouts   3h\n"
    )


def test_a_narrow_terminal_cuts_free_text_and_keeps_ids_whole(
    api: Api, trendreel: Trendreel, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(api)
    monkeypatch.setenv("COLUMNS", "60")

    run = trendreel("jobs", "list", "--api", api.url)

    assert run.code == 0
    assert all(len(line) <= 60 for line in run.lines), run.out
    assert [line.split()[0] for line in run.lines[1:]] == [
        "20250314T120400-0000000d",
        "20250314T120300-0000000c",
        "20250314T120200-0000000b",
        "20250314T120100-0000000a",
    ]
    assert "budget travel hacks" not in run.out
    assert_table(
        run.lines,
        [("ID", "left"), ("STATUS", "left"), ("ST…", "left"), ("PROGRESS", "right"),
         ("TH…", "left"), ("AGE", "right")],
        [
            ["20250314T120400-0000000d", "pending", "in…", "0%", "ev…", "12m"],
            ["20250314T120300-0000000c", "running", "co…", "50%", "ho…", "3m"],
            ["20250314T120200-0000000b", "failed", "co…", "60%", "bu…", "2h"],
            ["20250314T120100-0000000a", "completed", "re…", "100%", "co…", "5d"],
        ],
    )  # fmt: skip


def test_json_prints_the_api_body_exactly(api: Api, trendreel: Trendreel) -> None:
    _seed(api)

    run = trendreel("jobs", "list", "--status", "failed", "--json", "--api", api.url)

    body = httpx.get(
        f"{api.url}/jobs",
        params={"status": "failed", "limit": 20},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).json()
    assert [job["id"] for job in body["jobs"]] == ["20250314T120200-0000000b"]
    assert json.loads(run.out) == body
    assert run.out == json.dumps(body, indent=2) + "\n"


def test_an_empty_list_says_so(api: Api, trendreel: Trendreel) -> None:
    assert trendreel("jobs", "list", "--api", api.url).out == "no jobs\n"
    _seed(api)
    assert (
        trendreel("jobs", "list", "--status", "failed", "--api", api.url)
        .lines[1]
        .startswith("20250314T120200-0000000b")
    )
    api.store.jobs.clear()
    run = trendreel("jobs", "list", "--status", "failed", "--api", api.url)
    assert run.out == "no jobs with status failed\n"


def test_a_full_page_ends_with_the_command_for_the_next(api: Api, trendreel: Trendreel) -> None:
    _seed(api)

    first = trendreel("jobs", "list", "--limit", "3", "--api", api.url)

    assert len(first.lines) == 5  # header, three jobs, the hint
    assert first.lines[-1] == (
        "more jobs: trendreel jobs list --cursor 20250314T120200-0000000b --limit 3 "
        f"--api {api.url}"
    )
    command = shlex.split(first.lines[-1].removeprefix("more jobs: "))
    assert command[0] == "trendreel"
    second = trendreel(*command[1:])
    assert [line.split()[0] for line in second.lines] == ["ID", "20250314T120100-0000000a"]


def test_a_job_with_an_error_object_names_its_stage(
    http_fixture: FixtureServer, trendreel: Trendreel
) -> None:
    """A job in the detail shape (``error`` with its stage) is shown the same way."""
    job = {
        "id": "20250314T120200-0000000b", "status": "failed", "stage": "initialization",
        "progress_pct": 0.0, "theme": "budget travel hacks",
        "created_at": (datetime.now(UTC) - timedelta(minutes=7, seconds=5)).isoformat(),
        "error": {"stage": "trend_collection", "code": "no_trends", "message": "none"},
    }  # fmt: skip
    body = {"count": 1, "jobs": [job], "next_cursor": None}
    http_fixture.add("GET", "/jobs", Scripted.json(body))

    run = trendreel("jobs", "list", "--api", http_fixture.url)

    assert_table(
        run.lines,
        COLUMNS,
        [["20250314T120200-0000000b", "failed", "trend_collection", "0%",
          "budget travel hacks", "7m"]],
    )  # fmt: skip


def test_a_theme_cannot_drive_the_terminal(api: Api, trendreel: Trendreel) -> None:
    theme = "tips\x1b]0;owned\x07\x1b[2J\nnext line"
    api.store.create(_job("20250314T120100-0000000a", timedelta(minutes=5), theme))

    run = trendreel("jobs", "list", "--api", api.url)

    assert "\x1b" not in run.out
    assert "\x07" not in run.out
    assert len(run.lines) == 2


def test_an_unknown_status_is_refused_before_any_request(
    http_fixture: FixtureServer, trendreel: Trendreel, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        trendreel("jobs", "list", "--status", "stuck", "--api", http_fixture.url)

    assert exited.value.code == 2
    assert "invalid choice: 'stuck'" in capsys.readouterr().err
    assert http_fixture.requests == []
