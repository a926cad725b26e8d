"""The pipeline with ``backend = gcp``: Firestore, Cloud Storage and Cloud Tasks emulators, and
each function in its own functions-framework process (tests/e2e/gcp_stack.py). Job state and
media are checked where they live (the Firestore document, the bucket), not only through the api.

The failure is injected the way it happens in production, in the data: the queue is paused
(``gcloud tasks queues pause``), the first three stages are delivered one by one (RunTask), and
the voiceover composition will read is overwritten with bytes that are not audio. Composition then
fails permanently. With the real bytes put back, ``POST /jobs/{id}/retry`` resumes there.
(Starting the composition function late would not do: the Tasks emulator retries a refused
connection at once, without backoff, and drops the task after five attempts in well under a
second, so the job would wait for the sweeper instead of failing.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.gcp_stack import STAGES, GcpStack, submit
from trendreel.models import TaskPayload

pytestmark = [pytest.mark.emulator, pytest.mark.slow]
ALL = list(STAGES)


@pytest.fixture(scope="module")
def stack() -> Iterator[GcpStack]:
    with GcpStack() as running:
        yield running


@pytest.fixture
def api(stack: GcpStack) -> Iterator[httpx.Client]:
    with stack.api_client() as client:
        yield client


def attempts(stored: dict[str, Any]) -> dict[str, int]:
    return {stage: run["attempts"] for stage, run in stored["stages"].items()}


def test_a_job_runs_through_every_function_to_completed(stack: GcpStack, api: httpx.Client) -> None:
    job_id = submit(api)
    job = stack.wait_for_job(api, job_id)
    assert job["status"] == "completed", job
    assert job["completed_stages"] == ALL

    doc = stack.job_document(job_id)
    assert doc["id"] == job_id
    assert doc["status"] == "completed"
    stored = doc["job"]
    assert stored["completed_stages"] == ALL
    assert stored["generation"] == 1
    assert stored["lease"] is None
    assert attempts(stored) == dict.fromkeys(ALL, 1)
    video_key = f"jobs/{job_id}/composition/video.mp4"
    assert stored["artifacts"]["composition"]["video"] == f"gs://{stack.bucket_name}/{video_key}"

    names = stack.object_names(f"jobs/{job_id}/")
    for stage, name in [
        ("composition", "video.mp4"),
        ("composition", "thumbnail.jpg"),
        ("review", "manifest.json"),
    ]:
        assert f"jobs/{job_id}/{stage}/{name}" in names
    bucket = stack.bucket()
    video = bucket.get_blob(video_key)
    assert video.content_type == "video/mp4"
    assert video.size > 100_000
    assert video.download_as_bytes(start=0, end=11)[4:8] == b"ftyp"
    thumbnail = bucket.blob(f"jobs/{job_id}/composition/thumbnail.jpg").download_as_bytes()
    assert thumbnail[:3] == b"\xff\xd8\xff"
    assert list((stack.dir / "tmp" / "composition").iterdir()) == []  # scratch deleted


def test_the_api_wants_the_key(stack: GcpStack) -> None:
    assert httpx.get(stack.api_url + "/health").status_code == 200  # the one open route
    assert httpx.get(stack.api_url + "/jobs").status_code == 401
    with stack.api_client(key="trk_not-the-key") as wrong:
        answer = wrong.get("/jobs")
    assert answer.status_code == 401
    assert "trk_" not in answer.text


def test_composition_fails_and_retry_resumes_there_skipping_three_stages(
    stack: GcpStack, api: httpx.Client
) -> None:
    stack.pause_queue()
    try:
        job_id = submit(api)
        for stage in ALL[:3]:  # one delivery each, to that stage's own function
            (task,) = stack.tasks()
            assert TaskPayload.model_validate_json(task.http_request.body).stage == stage
            assert task.http_request.url == stack.functions[stage].url
            stack.run_task(task.name)
        stored = stack.job_document(job_id)["job"]
        assert stored["completed_stages"] == ALL[:3]
        (task,) = stack.tasks()
        assert TaskPayload.model_validate_json(task.http_request.body).stage == "composition"

        voice = stack.bucket().blob(f"jobs/{job_id}/content_generation/voiceover.wav")
        original = voice.download_as_bytes()
        voice.upload_from_string(b"this is not a WAV file\n" * 64, content_type="audio/wav")
    finally:
        stack.resume_queue()

    failed = stack.wait_for_job(api, job_id)
    assert failed["status"] == "failed", failed
    assert failed["error"]["stage"] == "composition"
    assert failed["error"]["code"] == "media_error"
    assert "voiceover" in failed["error"]["message"]
    assert failed["completed_stages"] == ALL[:3]
    doc = stack.job_document(job_id)
    assert doc["status"] == "failed"
    assert doc["job"]["error"]["retryable"] is False
    assert f"jobs/{job_id}/composition/video.mp4" not in stack.object_names(f"jobs/{job_id}/")

    trends = stack.bucket().get_blob(f"jobs/{job_id}/trend_collection/trends.json")
    voice.upload_from_string(original, content_type="audio/wav")  # the operator's fix
    retried = api.post(f"/jobs/{job_id}/retry")
    assert retried.status_code == 202, retried.text
    assert retried.json()["resume_from"] == "composition"
    assert retried.json()["skipping_stages"] == ALL[:3]

    done = stack.wait_for_job(api, job_id)
    assert done["status"] == "completed", done
    stored = stack.job_document(job_id)["job"]
    assert stored["status"] == "completed"
    assert stored["completed_stages"] == ALL
    assert stored["generation"] == 2
    assert stored["error"] is None
    assert attempts(stored) == {**dict.fromkeys(ALL, 1), "composition": 2}
    again = stack.bucket().get_blob(f"jobs/{job_id}/trend_collection/trends.json")
    assert (again.generation, again.md5_hash) == (trends.generation, trends.md5_hash)  # not rerun
    head = stack.bucket().blob(f"jobs/{job_id}/composition/video.mp4").download_as_bytes(end=11)
    assert head[4:8] == b"ftyp"
