"""POST /generate: job creation, theme/config resolution, triggers and idempotency."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH, error_code
from tests.unit.api.fakes import FakeJobStore, FakeTaskQueue
from trendreel.bootstrap import Runtime
from trendreel.models import JobStatus, Stage, Trigger


def _only_job(store: FakeJobStore) -> Any:
    assert len(store.jobs) == 1
    return next(iter(store.jobs.values()))


def test_generate_creates_a_pending_job_and_queues_trend_collection(
    client: FlaskClient, store: FakeJobStore, queue: FakeTaskQueue
) -> None:
    response = client.post("/generate", headers=AUTH)

    assert response.status_code == 202
    body = response.get_json()
    job = _only_job(store)
    assert body["job_id"] == job.id
    assert body["status"] == "queued"
    assert body["poll_url"] == f"/jobs/{job.id}"
    assert response.headers["Location"] == f"/jobs/{job.id}"
    assert job.status == JobStatus.PENDING
    assert job.stage == "initialization"
    assert job.theme == "everyday tech tips"  # the bundled default config
    assert job.trigger == Trigger.CLIENT
    [(name, payload)] = queue.tasks.items()
    assert body["task_id"] == f"tasks/{name}"
    assert (payload.job_id, payload.stage, payload.generation) == (
        job.id,
        Stage.TREND_COLLECTION,
        1,
    )


def test_theme_overrides_the_default_config(client: FlaskClient, store: FakeJobStore) -> None:
    response = client.post("/generate", json={"theme": "urban gardening"}, headers=AUTH)

    assert response.status_code == 202
    job = _only_job(store)
    assert job.theme == "urban gardening"
    assert job.config.config.theme == "urban gardening"


def test_inline_config_is_used_and_theme_overrides_it(
    client: FlaskClient, store: FakeJobStore
) -> None:
    config = {"config": {"theme": "coffee", "video_duration_seconds": 20, "style": "calm"}}

    response = client.post("/generate", json={"config": config, "theme": "tea"}, headers=AUTH)

    assert response.status_code == 202
    job = _only_job(store)
    assert job.theme == "tea"
    assert job.config.config.video_duration_seconds == 20
    assert job.config.config.style == "calm"


def test_theme_completes_an_inline_config_without_one(
    client: FlaskClient, store: FakeJobStore
) -> None:
    response = client.post(
        "/generate", json={"config": {"content_references": []}, "theme": "tea"}, headers=AUTH
    )

    assert response.status_code == 202
    assert _only_job(store).theme == "tea"


def test_cloud_scheduler_calls_are_recorded_as_scheduled(
    client: FlaskClient, store: FakeJobStore
) -> None:
    response = client.post("/generate", headers={**AUTH, "X-CloudScheduler": "true"})

    assert response.status_code == 202
    assert _only_job(store).trigger == Trigger.SCHEDULER


def test_same_idempotency_key_returns_the_same_job_without_a_second_one(
    client: FlaskClient, store: FakeJobStore, queue: FakeTaskQueue
) -> None:
    headers = {**AUTH, "Idempotency-Key": "nightly-2025-03-14"}

    first = client.post("/generate", json={"theme": "a"}, headers=headers)
    second = client.post("/generate", json={"theme": "a"}, headers=headers)

    assert first.status_code == second.status_code == 202
    assert first.get_json()["job_id"] == second.get_json()["job_id"]
    assert first.get_json()["task_id"] == second.get_json()["task_id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(store.jobs) == 1
    assert len(queue.tasks) == 1
    assert _only_job(store).idempotency_key == "nightly-2025-03-14"


def test_a_key_replayed_with_another_body_is_422_and_changes_nothing(
    client: FlaskClient, store: FakeJobStore, queue: FakeTaskQueue
) -> None:
    headers = {**AUTH, "Idempotency-Key": "nightly-2025-03-14"}
    first = client.post("/generate", json={"theme": "tea"}, headers=headers)
    # Same request, other key order and spacing: still a replay.
    same = client.post(
        "/generate",
        data='{ "theme":"tea" }',
        headers={**headers, "Content-Type": "application/json"},
    )

    other = client.post("/generate", json={"theme": "coffee"}, headers=headers)

    assert same.status_code == 202
    assert same.get_json()["job_id"] == first.get_json()["job_id"]
    assert other.status_code == 422
    assert error_code(other) == "idempotency_key_reused"
    assert other.get_json()["error"]["details"] == {"job_id": first.get_json()["job_id"]}
    assert len(store.jobs) == 1
    assert _only_job(store).theme == "tea"
    assert len(queue.tasks) == 1


def test_different_idempotency_keys_create_different_jobs(
    client: FlaskClient, store: FakeJobStore, queue: FakeTaskQueue
) -> None:
    for key in ("k1", "k2"):
        assert client.post("/generate", headers={**AUTH, "Idempotency-Key": key}).status_code == 202

    assert len(store.jobs) == 2
    assert len(queue.tasks) == 2


def test_a_replay_repairs_a_job_whose_enqueue_failed(
    client: FlaskClient, store: FakeJobStore, queue: FakeTaskQueue
) -> None:
    headers = {**AUTH, "Idempotency-Key": "flaky-queue"}
    queue.fail = True

    failed = client.post("/generate", headers=headers)

    assert failed.status_code == 503
    assert error_code(failed) == "queue_unavailable"
    job = _only_job(store)
    assert failed.get_json()["error"]["details"] == {"job_id": job.id}
    assert queue.tasks == {}

    queue.fail = False
    replay = client.post("/generate", headers=headers)

    assert replay.status_code == 202
    assert replay.get_json()["job_id"] == job.id
    assert [p.job_id for p in queue.tasks.values()] == [job.id]


def test_a_replay_after_the_job_started_does_not_enqueue_again(
    client: FlaskClient, store: FakeJobStore, queue: FakeTaskQueue
) -> None:
    headers = {**AUTH, "Idempotency-Key": "once"}
    job_id = client.post("/generate", headers=headers).get_json()["job_id"]
    store.update(job_id, lambda j: j.model_copy(update={"status": JobStatus.RUNNING}))
    queue.tasks.clear()  # delivered and gone

    replay = client.post("/generate", headers=headers)

    assert replay.status_code == 202
    assert replay.get_json()["job_id"] == job_id
    assert queue.tasks == {}


@pytest.mark.parametrize("key", ["has space", "", "x" * 201, "naïve"])
def test_invalid_idempotency_keys_are_rejected(
    client: FlaskClient, store: FakeJobStore, key: str
) -> None:
    response = client.post("/generate", headers={**AUTH, "Idempotency-Key": key})

    assert response.status_code == 400
    assert error_code(response) == "invalid_idempotency_key"
    assert store.jobs == {}


# --- inline config errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (
            {"config": {"theme": "x", "video_duration_seconds": 999}},
            "config.video_duration_seconds",
        ),
        ({"config": {"theme": "x", "style": "loud"}}, "config.style"),
        ({"config": {"theme": "x", "colour": "red"}}, "config.colour"),
        ({"content_references": []}, "config"),
    ],
)
def test_an_invalid_inline_config_is_400_naming_the_field(
    client: FlaskClient,
    store: FakeJobStore,
    queue: FakeTaskQueue,
    config: dict[str, Any],
    field: str,
) -> None:
    response = client.post("/generate", json={"config": config}, headers=AUTH)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_config"
    assert f"'{field}'" in error["message"]
    assert error["details"][0]["field"] == field
    assert store.jobs == {}
    assert queue.tasks == {}


def test_every_invalid_field_of_a_config_is_listed_beside_its_path(
    client: FlaskClient, store: FakeJobStore
) -> None:
    config = {"config": {"theme": "x", "video_duration_seconds": 999, "style": "loud"}}

    response = client.post("/generate", json={"config": config}, headers=AUTH)

    assert response.status_code == 400
    details = response.get_json()["error"]["details"]
    assert {d["field"] for d in details} == {"config.video_duration_seconds", "config.style"}
    assert all(d["message"] and d["type"] for d in details)
    assert "999" not in response.get_data(as_text=True)  # values are never echoed
    assert store.jobs == {}


def test_config_and_config_path_together_are_rejected(
    client: FlaskClient, store: FakeJobStore
) -> None:
    body = {"config": {"config": {"theme": "x"}}, "config_path": "a.yaml"}

    response = client.post("/generate", json=body, headers=AUTH)

    assert response.status_code == 400
    assert error_code(response) == "conflicting_fields"
    assert store.jobs == {}


# --- config_path ------------------------------------------------------------------------------


@pytest.fixture
def config_root(tmp_path: Path, rt: Runtime) -> Path:
    root = tmp_path / "configs"
    (root / "themes").mkdir(parents=True)
    (root / "themes" / "cats.yaml").write_text("config:\n  theme: cats\n  style: playful\n")
    (root / "broken.yaml").write_text("config:\n  theme: x\n  video_duration_seconds: 1\n")
    (tmp_path / "outside.yaml").write_text("config:\n  theme: secret\n")
    (root / "escape.yaml").symlink_to(tmp_path / "outside.yaml")
    rt.settings = rt.settings.model_copy(update={"config_root": str(root)})
    return root


def test_config_path_resolves_inside_the_config_root(
    client: FlaskClient, store: FakeJobStore, config_root: Path
) -> None:
    response = client.post("/generate", json={"config_path": "themes/cats.yaml"}, headers=AUTH)

    assert response.status_code == 202
    job = _only_job(store)
    assert job.theme == "cats"
    assert job.config.config.style == "playful"
    assert job.config_path == "themes/cats.yaml"


def test_theme_overrides_a_config_path(
    client: FlaskClient, store: FakeJobStore, config_root: Path
) -> None:
    body = {"config_path": "themes/cats.yaml", "theme": "dogs"}

    assert client.post("/generate", json=body, headers=AUTH).status_code == 202
    assert _only_job(store).theme == "dogs"


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd.yaml",
        "../outside.yaml",
        "themes/../../outside.yaml",
        "themes/../themes/cats.yaml",
        "./themes/cats.yaml",
        "themes//cats.yaml",
        "themes\\cats.yaml",
        "C:/themes/cats.yaml",
        "gs://other/cats.yaml",
        "missing.yaml",
        "themes",
        "themes/cats.txt",
        "escape.yaml",
    ],
)
def test_config_paths_outside_the_root_or_unknown_are_400_and_create_nothing(
    client: FlaskClient,
    store: FakeJobStore,
    queue: FakeTaskQueue,
    config_root: Path,
    path: str,
) -> None:
    response = client.post("/generate", json={"config_path": path}, headers=AUTH)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_config_path"
    assert str(config_root) not in error["message"]  # the server's layout is not revealed
    assert store.jobs == {}
    assert queue.tasks == {}


def test_config_path_without_a_config_root_is_400(client: FlaskClient, store: FakeJobStore) -> None:
    response = client.post("/generate", json={"config_path": "cats.yaml"}, headers=AUTH)

    assert response.status_code == 400
    assert "TRENDREEL_CONFIG_ROOT" in response.get_json()["error"]["message"]
    assert store.jobs == {}


def test_an_invalid_config_file_is_400_naming_the_field(
    client: FlaskClient, store: FakeJobStore, config_root: Path
) -> None:
    response = client.post("/generate", json={"config_path": "broken.yaml"}, headers=AUTH)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_config"
    assert "config.video_duration_seconds" in error["message"]
    assert "broken.yaml" in error["message"]
    assert store.jobs == {}
