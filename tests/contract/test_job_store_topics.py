"""The JobStore contract for topic history (``recent_topics``): every adapter passes it.

Topics land on jobs the way the runner records them, through ``lifecycle.complete``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from trendreel import lifecycle
from trendreel.config import apply_overrides, load_default_config
from trendreel.models import Job, Stage, Trigger
from trendreel.models.trends import TopicRecord
from trendreel.ports import JobStore

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
STAGE = Stage.TREND_ANALYSIS
THEME = "healthy cooking"


def new_job(job_store: JobStore, theme: str, created: datetime) -> Job:
    config = apply_overrides(load_default_config(), theme=theme)
    job = lifecycle.new_job(
        lifecycle.new_job_id(created), config, now=created, trigger=Trigger.SCHEDULER
    )
    job_store.create(job)
    return job


def topic(label: str, at: datetime) -> TopicRecord:
    return TopicRecord(
        label=label,
        keywords=label.split(),
        item_ids=[f"tiktok:{label.replace(' ', '-')}"],
        total_velocity=1234.5,
        chosen_at=at,
    )


def choose(job_store: JobStore, job: Job, record: TopicRecord) -> Job:
    """Claim and complete trend analysis with ``record``, as the runner does."""
    at = record.chosen_at
    job_store.update(job.id, lambda j: lifecycle.claim(j, STAGE, 1, "h", at, 30, 10))
    return job_store.update(job.id, lambda j: lifecycle.complete(j, STAGE, "h", {}, at, record))


def job_with_topic(job_store: JobStore, theme: str, label: str, at: datetime) -> Job:
    return choose(job_store, new_job(job_store, theme, at), topic(label, at))


def labels(job_store: JobStore, theme: str, since: datetime, limit: int = 10) -> list[str]:
    return [u.topic.label for u in job_store.recent_topics(theme, since=since, limit=limit)]


def test_recent_topics_are_the_themes_newest_first(job_store: JobStore) -> None:
    first = job_with_topic(job_store, THEME, "high protein", NOW - timedelta(hours=16))
    job_with_topic(job_store, "pets", "cat videos", NOW - timedelta(hours=12))
    third = job_with_topic(job_store, THEME, "meal prep", NOW - timedelta(hours=8))
    new_job(job_store, THEME, NOW - timedelta(hours=4))  # still collecting: no topic yet

    found = job_store.recent_topics(THEME, since=NOW - timedelta(days=7), limit=10)

    assert [(u.job_id, u.topic.label) for u in found] == [
        (third.id, "meal prep"),
        (first.id, "high protein"),
    ]
    assert found[1].topic == topic("high protein", NOW - timedelta(hours=16))


def test_the_theme_matches_whatever_its_case_and_spacing(job_store: JobStore) -> None:
    job_with_topic(job_store, "Healthy  Cooking", "high protein", NOW)
    assert labels(job_store, " healthy cooking ", NOW - timedelta(days=1)) == ["high protein"]
    assert labels(job_store, "healthy", NOW - timedelta(days=1)) == []


def test_only_topics_chosen_since_the_cutoff_and_at_most_limit(job_store: JobStore) -> None:
    plus_two = timezone(timedelta(hours=2))
    for hours, label in [(30, "old"), (20, "edge"), (10, "recent"), (5, "newest")]:
        job_with_topic(job_store, THEME, label, (NOW - timedelta(hours=hours)).astimezone(plus_two))
    assert labels(job_store, THEME, NOW - timedelta(hours=20)) == ["newest", "recent", "edge"]
    assert labels(job_store, THEME, NOW - timedelta(hours=20), limit=2) == ["newest", "recent"]
    assert labels(job_store, THEME, NOW) == []


def test_the_topic_stays_through_later_stages(job_store: JobStore) -> None:
    job = job_with_topic(job_store, THEME, "high protein", NOW)
    later = NOW + timedelta(minutes=5)
    stage = Stage.CONTENT_GENERATION
    job_store.update(job.id, lambda j: lifecycle.claim(j, stage, 1, "h2", later, 30, 10))
    done = job_store.update(job.id, lambda j: lifecycle.complete(j, stage, "h2", {}, later))
    assert done.topic == topic("high protein", NOW)
    assert labels(job_store, THEME, NOW - timedelta(days=1)) == ["high protein"]


def test_recent_topics_limit_bounds(job_store: JobStore) -> None:
    for bad in (0, -1, 101):
        with pytest.raises(ValueError, match="limit"):
            job_store.recent_topics(THEME, since=NOW, limit=bad)
