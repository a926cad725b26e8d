"""The pure job transitions the delivery protocol is built from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trendreel import lifecycle
from trendreel.config import load_default_config
from trendreel.errors import InvalidStateError, LeaseHeldError, MediaError, StageError
from trendreel.models import Job, JobStatus, ReviewStatus, Stage, Trigger

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ALL = list(Stage)


def job() -> Job:
    return lifecycle.new_job(
        "20261124T120000-abcd1234", load_default_config(), now=NOW, trigger=Trigger.CLI
    )


LEASE = 30
MAX_TRIES = 10


def claimed(j: Job, stage: Stage, holder: str = "a", at: datetime = NOW) -> Job:
    return lifecycle.claim(j, stage, j.generation, holder, at, LEASE, MAX_TRIES)


def completed_through(j: Job, stages: list[Stage]) -> Job:
    for stage in stages:
        j = lifecycle.complete(claimed(j, stage), stage, "a", {"out": f"file:///{stage}"}, NOW)
    return j


def test_claim_takes_a_short_lease_and_counts_the_attempt() -> None:
    j = claimed(job(), Stage.COMPOSITION)
    assert j.status == JobStatus.RUNNING
    assert j.stage == "composition"
    assert j.lease is not None
    # The lease, not the stage's 30-minute timeout: a dead holder is noticed within it.
    assert j.lease.expires_at == NOW + timedelta(seconds=LEASE)
    assert lifecycle.stage_timeout(Stage.COMPOSITION) > 10 * LEASE
    assert j.stages[Stage.COMPOSITION].attempts == 1


def test_the_heartbeat_renews_only_its_own_lease() -> None:
    j = claimed(job(), Stage.COMPOSITION, "a")
    later = NOW + timedelta(seconds=25)
    renewed = lifecycle.renew(j, "a", later, LEASE)
    assert renewed.lease is not None
    assert renewed.lease.expires_at == later + timedelta(seconds=LEASE)
    assert renewed.updated_at == later
    with pytest.raises(lifecycle.StaleDeliveryError):
        lifecycle.renew(j, "b", later, LEASE)
    taken = claimed(j, Stage.COMPOSITION, "b", NOW + timedelta(seconds=LEASE + 1))
    with pytest.raises(lifecycle.StaleDeliveryError):
        lifecycle.renew(taken, "a", NOW + timedelta(seconds=LEASE + 2), LEASE)


def test_a_live_lease_held_by_another_delivery_refuses_the_claim_with_retry_after() -> None:
    j = claimed(job(), Stage.TREND_COLLECTION, "a")
    with pytest.raises(LeaseHeldError) as caught:
        claimed(j, Stage.TREND_COLLECTION, "b", NOW + timedelta(seconds=10))
    assert LEASE - 10 <= caught.value.retry_after_seconds <= LEASE - 10 + 1


def test_an_expired_lease_can_be_taken_over() -> None:
    j = claimed(job(), Stage.TREND_COLLECTION, "a")
    later = claimed(j, Stage.TREND_COLLECTION, "b", NOW + timedelta(seconds=LEASE + 1))
    assert later.lease is not None
    assert later.lease.holder == "b"
    assert later.stages[Stage.TREND_COLLECTION].attempts == 2


def test_stale_generation_completed_stage_and_finished_jobs_are_not_claimed() -> None:
    j = job()
    with pytest.raises(lifecycle.StaleDeliveryError):
        lifecycle.claim(j, Stage.TREND_COLLECTION, 2, "a", NOW, LEASE, MAX_TRIES)
    done = completed_through(j, [Stage.TREND_COLLECTION])
    with pytest.raises(lifecycle.StaleDeliveryError):
        claimed(done, Stage.TREND_COLLECTION)


def test_complete_appends_in_pipeline_order_and_the_last_stage_completes_the_job() -> None:
    j = completed_through(job(), ALL[:2])
    assert j.completed_stages == ALL[:2]
    assert j.status == JobStatus.RUNNING
    assert j.lease is None
    j = completed_through(j, ALL[2:])
    assert j.completed_stages == ALL
    assert j.status == JobStatus.COMPLETED
    assert j.review is not None
    assert j.review.status == ReviewStatus.GENERATED
    assert j.artifacts[Stage.REVIEW] == {"out": "file:///review"}
    assert j.progress_pct() == 100


def test_complete_without_the_lease_is_refused_but_a_duplicate_completion_is_harmless() -> None:
    j = claimed(job(), Stage.TREND_COLLECTION, "a")
    with pytest.raises(lifecycle.StaleDeliveryError):
        lifecycle.complete(j, Stage.TREND_COLLECTION, "b", {}, NOW)
    done = lifecycle.complete(j, Stage.TREND_COLLECTION, "a", {}, NOW)
    assert lifecycle.complete(done, Stage.TREND_COLLECTION, "b", {}, NOW) == done


def _stage_error(stage: Stage) -> StageError:
    return StageError(stage.value, MediaError("encoder crashed"))


def test_fail_records_stage_cause_and_attempt_and_retry_resumes_there() -> None:
    j = completed_through(job(), ALL[:3])
    j = lifecycle.fail(
        claimed(j, Stage.COMPOSITION), Stage.COMPOSITION, _stage_error(Stage.COMPOSITION), 5, NOW
    )
    assert j.status == JobStatus.FAILED
    assert j.error is not None
    assert (j.error.stage, j.error.code, j.error.attempt) == ("composition", "media_error", 5)
    assert j.error_message == "composition: encoder crashed"
    assert j.lease is None

    resumed = lifecycle.retry(j, NOW)
    assert resumed.status == JobStatus.PENDING
    assert resumed.generation == j.generation + 1
    assert resumed.stage == "composition"
    assert resumed.completed_stages == ALL[:3]
    assert resumed.error is None
    with pytest.raises(InvalidStateError) as caught:
        lifecycle.retry(resumed, NOW)
    assert caught.value.code == "job_not_failed"


def test_release_keeps_the_job_running_not_failed() -> None:
    j = lifecycle.release(claimed(job(), Stage.TREND_ANALYSIS, "a"), "a", NOW)
    assert j.status == JobStatus.RUNNING
    assert j.lease is None


def test_progress_is_written_only_by_the_lease_holder_and_clamped() -> None:
    j = claimed(job(), Stage.COMPOSITION, "a")
    moved = lifecycle.set_progress(j, Stage.COMPOSITION, "a", 1.7, "rendering", NOW)
    assert moved.stages[Stage.COMPOSITION].progress == 1.0
    assert lifecycle.set_progress(j, Stage.COMPOSITION, "b", 0.5, "x", NOW) == j


def test_review_only_from_generated() -> None:
    with pytest.raises(InvalidStateError):
        lifecycle.decide(job(), True, None, NOW)
    done = completed_through(job(), ALL)
    approved = lifecycle.decide(done, True, None, NOW)
    assert approved.review is not None
    assert approved.review.status == ReviewStatus.APPROVED
    with pytest.raises(InvalidStateError) as caught:
        lifecycle.decide(approved, False, "no", NOW)
    assert caught.value.code == "video_already_reviewed"


def test_a_stage_whose_function_keeps_dying_fails_instead_of_looping() -> None:
    j = job()
    at = NOW
    for holder in "abc":  # each holder dies: its lease lapses without a completion
        j = lifecycle.claim(j, Stage.COMPOSITION, 1, holder, at, LEASE, 3)
        at += timedelta(seconds=LEASE + 1)
    with pytest.raises(lifecycle.AttemptsExhaustedError) as caught:
        lifecycle.claim(j, Stage.COMPOSITION, 1, "d", at, LEASE, 3)
    assert caught.value.tries == 3
    failed = lifecycle.exhausted(j, Stage.COMPOSITION, 3, at)
    assert failed.status == JobStatus.FAILED
    assert failed.error is not None
    assert (failed.error.stage, failed.error.code) == ("composition", "attempts_exhausted")
    assert failed.lease is None
    # A retry is a new run generation: the stage gets its tries again, its attempts add up.
    resumed = lifecycle.retry(failed, at)
    again = lifecycle.claim(resumed, Stage.COMPOSITION, 2, "e", at, LEASE, 3)
    assert (again.stages[Stage.COMPOSITION].attempts, again.stages[Stage.COMPOSITION].tries) == (
        4,
        1,
    )


def test_completing_a_stage_resets_the_sweep_count_for_the_next_one() -> None:
    j = claimed(job(), Stage.TREND_COLLECTION)
    swept = lifecycle.sweep(j, NOW + timedelta(seconds=LEASE + 1), 5)
    assert swept.sweeps == 1
    resumed = claimed(swept, Stage.TREND_COLLECTION, "b", NOW + timedelta(seconds=LEASE + 2))
    done = lifecycle.complete(resumed, Stage.TREND_COLLECTION, "b", {}, NOW)
    assert done.sweeps == 0  # the next stage's first task is s0, the one the sweeper looks for


def test_sweep_requeues_a_stuck_job_until_its_attempt_budget_then_fails_it() -> None:
    j = claimed(job(), Stage.TREND_COLLECTION)
    with pytest.raises(lifecycle.StaleDeliveryError):
        lifecycle.sweep(j, NOW, 3)  # lease still live
    later = NOW + timedelta(seconds=120)
    swept = lifecycle.sweep(j, later, 3)
    assert swept.sweeps == 1
    assert swept.status == JobStatus.RUNNING
    for _ in range(2):
        j = claimed(j, Stage.TREND_COLLECTION, "x", later)
        later += timedelta(seconds=120)
    exhausted = lifecycle.sweep(j, later, 3)
    assert exhausted.status == JobStatus.FAILED
    assert exhausted.error is not None
    assert exhausted.error.code == "attempts_exhausted"
