"""The pipeline as Google Cloud runs it (tests/e2e/gcp_stack.py): Firestore, Cloud Storage and
Cloud Tasks emulators, and every function behind a Cloud Run edge with the environment, ingress,
invoker check and invokers that infra/ gives it. Cloud Tasks and Cloud Scheduler call the
functions with OIDC tokens for the service accounts infra/ names; the edge verifies them and
forwards them with the signature removed, as Cloud Run does.

Job state and media are checked where they live (the Firestore document, the bucket), not only
through the api. Failures are injected the way they happen in production: a voice-over that is
not audio (composition fails for good), a purged queue (a task lost), a container killed in the
middle of a render.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.gcp_stack import ONCALL_SA, STAGES, GcpStack, submit
from tests.support.cloud_run.infra import INFRA
from trendreel.config import load_config_file
from trendreel.models import TaskPayload
from trendreel.settings import Settings

pytestmark = [pytest.mark.emulator, pytest.mark.slow]
ALL = list(STAGES)
COMPOSITION_FILES = ["captions.json", "result.json", "thumbnail.jpg", "video.mp4"]


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


def composing(job: dict[str, Any]) -> bool:
    run = job["stages"].get("composition") or {}
    return bool(job["stage"] == "composition" and run.get("progress", 0) > 0.05)


def test_a_scheduled_run_goes_through_every_function_to_completed(
    stack: GcpStack, api: httpx.Client
) -> None:
    when = datetime.now(UTC).replace(second=0, microsecond=0)
    first = stack.scheduler.run(stack.infra.schedules["generate"], when)
    again = stack.scheduler.run(stack.infra.schedules["generate"], when)  # Scheduler's retry
    assert first.status_code == 202, first.text
    assert again.status_code == 202, again.text
    job_id = first.json()["job_id"]
    assert again.json()["job_id"] == job_id  # one scheduled run, one job

    job = stack.wait_for_job(api, job_id)
    assert job["status"] == "completed", job
    assert job["completed_stages"] == ALL
    assert job["trigger"] == "scheduler"

    doc = stack.job_document(job_id)
    assert doc["status"] == "completed"
    stored = doc["job"]
    assert stored["completed_stages"] == ALL
    assert (stored["generation"], stored["lease"]) == (1, None)
    assert attempts(stored) == dict.fromkeys(ALL, 1)
    video_key = f"jobs/{job_id}/composition/video.mp4"
    assert stored["artifacts"]["composition"]["video"] == video_key
    video = stack.bucket().get_blob(video_key)
    assert video.content_type == "video/mp4"
    assert video.size > 100_000
    assert video.download_as_bytes(start=0, end=11)[4:8] == b"ftyp"
    assert f"jobs/{job_id}/review/manifest.json" in stack.object_names(f"jobs/{job_id}/")
    assert list((stack.dir / "tmp" / "composition").iterdir()) == []  # scratch deleted

    # Every stage was called by Cloud Tasks with the invoker's token for that stage's URL.
    invoker = stack.infra.service_accounts["tasks_invoker"]
    minted = {audience for email, audience in stack.identity.minted if email == invoker}
    assert {stack.infra.services[s].url for s in STAGES} <= {a.rstrip("/") for a in minted}


def test_the_scheduled_config_path_body_reads_the_uploaded_config(
    stack: GcpStack, api: httpx.Client
) -> None:
    # The job after the body was changed to name a config (another scheduled time: a run
    # replayed with another body is refused, 422).
    later = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=1)
    body = '{"config_path": "daily.yaml"}'
    response = stack.run_schedule("generate", later, generate_body=body)

    assert response.status_code == 202, response.text
    job = api.get(f"/jobs/{response.json()['job_id']}").json()
    assert job["config_path"] == "daily.yaml"
    assert job["theme"] == load_config_file(INFRA / "configs" / "daily.yaml").config.theme


def test_only_the_api_faces_the_internet_and_it_wants_a_credential(stack: GcpStack) -> None:
    public = stack.edges["api"].external_url.rstrip("/")
    assert httpx.get(f"{public}/health").status_code == 200  # the one open route
    assert httpx.get(f"{public}/jobs").status_code == 401
    with stack.api_client(key="trk_not-the-key") as wrong:
        answer = wrong.get("/jobs")
    assert answer.status_code == 401
    assert "trk_" not in answer.text
    for stage in (*STAGES, "sweeper"):  # internal ingress: not reachable from outside at all
        assert httpx.post(stack.edges[stage].external_url, json={}).status_code == 404
    # In-project, but without the invoker role: Cloud Run itself refuses.
    stranger = stack.identity.mint(ONCALL_SA, stack.infra.services["composition"].url)
    refused = httpx.post(
        stack.infra.services["composition"].url + "/",
        json={},
        headers={"Authorization": f"Bearer {stranger}"},
    )
    assert refused.status_code == 403


def test_composition_fails_and_oncall_retry_resumes_there_skipping_three_stages(
    stack: GcpStack, api: httpx.Client
) -> None:
    stack.pause_queue("composition")
    try:
        job_id = submit(api)
        stack.wait_for_job(api, job_id, lambda j: j["completed_stages"] == ALL[:3])
        (task,) = [  # other jobs of earlier tests may be waiting in this queue too
            t
            for t in stack.tasks("composition")
            if TaskPayload.model_validate_json(t.http_request.body).job_id == job_id
        ]
        assert task.http_request.url.rstrip("/") == stack.infra.services["composition"].url
        voice = stack.bucket().blob(f"jobs/{job_id}/content_generation/voiceover.wav")
        original = voice.download_as_bytes()
        voice.upload_from_string(b"this is not a WAV file\n" * 64, content_type="audio/wav")
    finally:
        stack.resume_queue("composition")

    failed = stack.wait_for_job(api, job_id)
    assert failed["status"] == "failed", failed
    assert (failed["error"]["stage"], failed["error"]["code"]) == ("composition", "media_error")
    assert "voiceover" in failed["error"]["message"]
    assert failed["completed_stages"] == ALL[:3]
    assert stack.job_document(job_id)["job"]["error"]["retryable"] is False

    trends = stack.bucket().get_blob(f"jobs/{job_id}/trend_collection/trends.json")
    voice.upload_from_string(original, content_type="audio/wav")  # the operator's fix
    with stack.oncall_client() as oncall:  # an ID token, as `gcloud auth print-identity-token`
        retried = oncall.post(f"/jobs/{job_id}/retry")
        assert retried.status_code == 202, retried.text
        assert retried.json()["resume_from"] == "composition"
        assert retried.json()["skipping_stages"] == ALL[:3]
        done = stack.wait_for_job(oncall, job_id)

    assert done["status"] == "completed", done
    stored = stack.job_document(job_id)["job"]
    assert (stored["status"], stored["generation"], stored["error"]) == ("completed", 2, None)
    assert attempts(stored) == {**dict.fromkeys(ALL, 1), "composition": 2}
    again = stack.bucket().get_blob(f"jobs/{job_id}/trend_collection/trends.json")
    assert (again.generation, again.md5_hash) == (trends.generation, trends.md5_hash)  # not rerun


def test_the_sweeper_called_by_the_scheduler_repairs_a_lost_task(
    stack: GcpStack, api: httpx.Client
) -> None:
    stack.pause_queue("trend_collection")
    try:
        job_id = submit(api)
        assert len(stack.tasks("trend_collection")) == 1
        stack.purge_queue("trend_collection")  # `gcloud tasks queues purge`: the task is lost
        deadline = time.monotonic() + 30
        while stack.tasks("trend_collection") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert stack.tasks("trend_collection") == []
    finally:
        stack.resume_queue("trend_collection")
    # Ten minutes later, as far as the job document knows (the sweeper's grace is 2 minutes).
    stack.update_job_document(job_id, {"updated_at": datetime.now(UTC) - timedelta(minutes=10)})

    swept = stack.run_schedule("sweeper")  # Cloud Scheduler, with its own account's token

    assert swept.status_code == 200, swept.text
    assert job_id in swept.json()["requeued"]
    done = stack.wait_for_job(api, job_id)
    assert done["status"] == "completed", done
    assert stack.job_document(job_id)["job"]["sweeps"] == 0  # reset once the stage completed


def test_a_composition_instance_killed_mid_render_is_resumed_within_about_a_lease(
    stack: GcpStack, api: httpx.Client
) -> None:
    job_id = submit(api, seconds=12)
    stack.wait_for_job(api, job_id, composing)
    killed = stack.edges["composition"].instance_pid()

    stack.edges["composition"].kill_instance()  # the container dies: SIGKILL, no goodbye
    crashed = time.monotonic()
    done = stack.wait_for_job(api, job_id)
    recovered_in = time.monotonic() - crashed

    print(f"\ncomposition instance killed mid-render; job completed {recovered_in:.1f} s later")
    assert done["status"] == "completed", done
    assert stack.edges["composition"].instance_pid() not in (None, killed)  # a new instance
    stored = stack.job_document(job_id)["job"]
    assert stored["stages"]["composition"]["attempts"] == 2
    assert attempts(stored)["content_generation"] == 1
    assert [
        n.rsplit("/", 1)[-1] for n in stack.object_names(f"jobs/{job_id}/composition/")
    ] == COMPOSITION_FILES
    assert "TRENDREEL_LEASE_SECONDS" not in stack.infra.services["composition"].env
    lease = Settings.model_fields["lease_seconds"].default  # what infra/ deploys: the default
    assert recovered_in < lease + 90  # about one lease, then the render itself; not 30 minutes


def test_with_api_app_auth_only_false_callers_pass_cloud_runs_check(
    stack: GcpStack, api: httpx.Client
) -> None:
    stack.redeploy("api", api_app_auth_only=False)
    try:
        public = stack.edges["api"].external_url.rstrip("/")
        oncall = stack.identity.mint(ONCALL_SA, stack.api_url)
        # An API key alone is not a Google ID token: Cloud Run refuses it before the api.
        assert api.get(f"{public}/jobs").status_code == 401
        # Next to an invoker's ID token in X-Serverless-Authorization, it passes through.
        headers = {"X-Serverless-Authorization": f"Bearer {oncall}", "X-API-Key": stack.api_key}
        assert httpx.get(f"{public}/jobs", headers=headers).status_code == 200
        # On-call's own token: verified by Cloud Run, read (signature removed) by the api.
        with_token = httpx.get(f"{public}/jobs", headers={"Authorization": f"Bearer {oncall}"})
        assert with_token.status_code == 200
        # Cloud Scheduler still starts runs.
        later = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
        assert stack.run_schedule("generate", later, api_app_auth_only=False).status_code == 202
    finally:
        stack.redeploy("api")
