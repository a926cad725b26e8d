"""No repeats through the real delivery protocol: jobs on one SQLite job store, each collecting
the bundled trends and analysing them offline, as a scheduler three times a day would run them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.unit.api.fakes import FakeTaskQueue
from tests.unit.providers.analysis_support import ANALYZER
from tests.unit.stages.fakes import providers
from trendreel import lifecycle
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.adapters.sqlite_jobs import SqliteJobStore
from trendreel.bootstrap import Runtime
from trendreel.config import apply_overrides, load_default_config
from trendreel.delivery import Delivery
from trendreel.models import Job, Stage, TaskPayload, TrendReport, Trigger
from trendreel.models.publishing import (
    MetricReading,
    Publication,
    PublicationStatus,
    PublishPlatform,
)
from trendreel.providers.trends.bundled import BundledTrendSource
from trendreel.runner import StageRunner
from trendreel.settings import Settings
from trendreel.stages.context import StageContext
from trendreel.stages.trend_analysis import run as analyse
from trendreel.tasks import task_name

START = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
STAGES = (Stage.TREND_COLLECTION, Stage.TREND_ANALYSIS)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def runtime(tmp_path: Path, clock: Clock, **settings: float) -> Runtime:
    rt = Runtime(
        settings=Settings(home=tmp_path / "home", **settings),  # type: ignore[arg-type]
        store=SqliteJobStore(tmp_path / "home" / "jobs.sqlite3"),
        queue=FakeTaskQueue(),
        blobs=LocalBlobStore(tmp_path / "blobs"),
        clock=clock,
    )
    rt._providers = providers([BundledTrendSource()], analyzer=ANALYZER)
    return rt


def scheduled_job(rt: Runtime, theme: str) -> Job:
    """One job created and taken through collection and analysis, delivery by delivery."""
    now = rt.clock()
    config = apply_overrides(load_default_config(), theme=theme)
    job = lifecycle.new_job(lifecycle.new_job_id(now), config, now=now, trigger=Trigger.SCHEDULER)
    rt.store.create(job)
    for stage in STAGES:
        payload = TaskPayload(job_id=job.id, stage=stage, generation=1)
        outcome = StageRunner(rt).handle(Delivery(payload=payload, task_name=task_name(payload)))
        assert outcome.body["result"] == "completed", outcome.body
    done = rt.store.get(job.id)
    assert done is not None
    return done


def reason(rt: Runtime, job: Job) -> str:
    """The chosen topic's why, as the stage stored it in its report."""
    report = TrendReport.model_validate_json(
        rt.blobs.get_bytes(f"jobs/{job.id}/trend_analysis/report.json")
    )
    return report.chosen_topic.reason


def three_runs(rt: Runtime, clock: Clock, theme: str) -> list[Job]:
    jobs = []
    for _ in range(3):
        jobs.append(scheduled_job(rt, theme))
        clock.now += timedelta(hours=8)
    return jobs


def labels_of(*jobs: Job) -> list[str]:
    labels = [job.topic.label for job in jobs if job.topic is not None]
    assert len(labels) == len(jobs), "every analysed job records its topic"
    return labels


def test_three_scheduled_jobs_on_the_same_trends_make_three_videos(tmp_path: Path) -> None:
    clock = Clock()
    rt = runtime(tmp_path, clock)
    jobs = three_runs(rt, clock, "everyday tech tips")

    labels = labels_of(*jobs)
    assert labels[0] == "phone battery"
    assert len(set(labels)) == 3, labels
    # the why of the third names both topics it skipped, and why
    why = reason(rt, jobs[2])
    day = START.date().isoformat()
    assert f"Skipped 'phone battery' (used by job {jobs[0].id} on {day}, grown 1.0x < 2x)" in why
    assert f"'{labels[1]}' (used by job {jobs[1].id} on {day}, grown 1.0x < 2x)" in why


def test_another_theme_has_its_own_history(tmp_path: Path) -> None:
    clock = Clock()
    rt = runtime(tmp_path, clock)
    tech = scheduled_job(rt, "everyday tech tips")
    clock.now += timedelta(hours=1)
    cooking = scheduled_job(rt, "healthy cooking")
    clock.now += timedelta(hours=1)
    tech_again = scheduled_job(rt, "Everyday Tech Tips")  # the same theme, written otherwise
    first, food, second = labels_of(tech, cooking, tech_again)
    assert food == "high protein"
    assert second != first


def test_a_topic_returns_after_the_repeat_window(tmp_path: Path) -> None:
    clock = Clock()
    rt = runtime(tmp_path, clock, topic_repeat_days=1)
    first = scheduled_job(rt, "everyday tech tips")
    clock.now += timedelta(hours=23)
    within = scheduled_job(rt, "everyday tech tips")
    clock.now += timedelta(hours=2)
    after = scheduled_job(rt, "everyday tech tips")  # the first is 25 h old now
    labels = labels_of(first, within, after)
    assert labels == ["phone battery", labels[1], "phone battery"]
    assert labels[1] != "phone battery"


def test_settings_turn_the_memory_off_or_let_any_growth_count(tmp_path: Path) -> None:
    cases = {"off": {"topic_repeat_days": 0.0}, "any": {"topic_regrowth_factor": 1.0}}
    for name, settings in cases.items():
        clock = Clock()
        rt = runtime(tmp_path / name, clock, **settings)
        assert set(labels_of(*three_runs(rt, clock, "everyday tech tips"))) == {"phone battery"}


def test_the_in_process_render_has_no_history(tmp_path: Path) -> None:
    """``trendreel render`` builds its context without a job store: the default is empty."""
    clock = Clock()
    rt = runtime(tmp_path, clock)
    job = scheduled_job(rt, "everyday tech tips")  # a stored job that render must not see
    assert job.topic is not None
    ctx = StageContext(
        blobs=rt.blobs, providers=replace(rt.providers()), settings=rt.settings, clock=clock
    )
    result = analyse(job.spec(), ctx)
    assert result.summary["chosen_topic"] == "phone battery"
    assert result.summary["skipped_topics"] == []


def _read(views: int) -> Callable[[Job], Job]:
    """What the metrics collector leaves on a published job: a 24 h reading of ``views``."""

    def published(job: Job) -> Job:
        at = job.updated_at
        reading = MetricReading(checkpoint="24h", read_at=at, views=views, likes=0, comments=0)
        pub = Publication(
            platform=PublishPlatform.YOUTUBE,
            status=PublicationStatus.PUBLISHED,
            requested_at=at,
            updated_at=at,
            published_at=at,
            metrics=[reading],
        )
        return job.model_copy(update={"publications": {PublishPlatform.YOUTUBE: pub}})

    return published


def test_a_topic_whose_video_did_well_comes_back_once_out_of_the_repeat_window(
    tmp_path: Path,
) -> None:
    clock = Clock()
    rt = runtime(tmp_path, clock)
    jobs = three_runs(rt, clock, "everyday tech tips")
    views = [800, 1000, 6000]  # the third video did best
    for job, count in zip(jobs, views, strict=True):
        rt.store.update(job.id, _read(count))

    clock.now = START + timedelta(days=10)  # every topic is out of the 7-day window
    later = scheduled_job(rt, "everyday tech tips")

    assert labels_of(later) == labels_of(jobs[2])
    why = reason(rt, later)
    assert f"(job {jobs[2].id}) reached 6,000 views, 6.0x the theme's median of 1,000" in why
