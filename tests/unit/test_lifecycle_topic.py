"""complete() keeps the topic trend analysis chose on the job, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trendreel import lifecycle
from trendreel.config import load_default_config
from trendreel.models import Job, Stage, Trigger
from trendreel.models.trends import TOPIC_SUMMARY_KEY, TopicRecord

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
STAGE = Stage.TREND_ANALYSIS


def job() -> Job:
    return lifecycle.new_job(
        "20261124T120000-abcd1234", load_default_config(), now=NOW, trigger=Trigger.CLI
    )


def claimed(j: Job, stage: Stage) -> Job:
    return lifecycle.claim(j, stage, j.generation, "a", NOW, 30, 10)


def record(label: str, at: datetime = NOW) -> TopicRecord:
    return TopicRecord(
        label=label, keywords=[label], item_ids=["tiktok:1"], total_velocity=10.0, chosen_at=at
    )


def test_complete_records_the_topic_and_a_duplicate_completion_does_not_replace_it() -> None:
    done = lifecycle.complete(claimed(job(), STAGE), STAGE, "a", {}, NOW, record("first"))
    assert done.topic == record("first")
    assert done.used_topic() is not None

    later = NOW + timedelta(seconds=5)
    again = lifecycle.complete(done, STAGE, "b", {}, later, record("second", later))
    assert again.topic == record("first")


def test_stages_that_choose_no_topic_leave_it_as_it_was() -> None:
    j = lifecycle.complete(claimed(job(), STAGE), STAGE, "a", {}, NOW, record("first"))
    stage = Stage.CONTENT_GENERATION
    j = lifecycle.complete(claimed(j, stage), stage, "a", {"script": "k"}, NOW)
    assert j.topic == record("first")
    assert job().topic is None
    assert job().used_topic() is None


def test_the_runner_reads_the_record_from_the_stage_summary() -> None:
    summary: dict[str, object] = {
        "clusters": 3,
        TOPIC_SUMMARY_KEY: record("x").model_dump(mode="json"),
    }
    assert TopicRecord.from_summary(summary) == record("x")
    assert TopicRecord.from_summary({"clusters": 3}) is None
