"""Stage functions and the sweeper on gcp: the Cloud Tasks OIDC token must be Google-signed, for
the function's own URL, from the task-invoker service account (the sweeper also takes the
scheduler). ``stage_auth = none`` (emulator runs) checks nothing and says so in the log."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from functions_framework import create_app

from tests.unit.api.conftest import TOKEN
from tests.unit.auth.conftest import SCHEDULER_SA, STAGE_URL, TASKS_SA, Key, mint
from trendreel import http
from trendreel.bootstrap import Runtime

FUNCTIONS = Path(__file__).resolve().parents[3] / "functions"
STAGE = "trend_analysis"
OWN_URL = STAGE_URL.format(name=STAGE)
SWEEPER_URL = STAGE_URL.format(name="sweeper")
TASK = {"job_id": "job-missing-0001", "stage": STAGE, "generation": 1}
UNAUTHORIZED = {"error": {"code": "unauthorized", "message": "a valid bearer token is required"}}
FORBIDDEN = {"error": {"code": "forbidden", "message": "this caller may not call this function"}}


def load(name: str) -> Flask:
    app: Flask = create_app(target="handle", source=str(FUNCTIONS / name / "main.py"))  # type: ignore[no-untyped-call]
    return app


@pytest.fixture(scope="module")
def stage_app() -> Flask:
    return load(STAGE)


@pytest.fixture(scope="module")
def sweeper_app() -> Flask:
    return load("sweeper")


@pytest.fixture
def stage(stage_app: Flask, gcp: Runtime) -> FlaskClient:
    return stage_app.test_client()


@pytest.fixture
def sweeper(sweeper_app: Flask, gcp: Runtime) -> FlaskClient:
    return sweeper_app.test_client()


def task_token(key: Key, audience: str = OWN_URL, email: str = TASKS_SA, **claims: object) -> str:
    return mint(key, audience=audience, email=email, **claims)  # type: ignore[arg-type]


def deliver(client: FlaskClient, token: str | None) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/", json=TASK, headers=headers)
    return response.status_code, response.get_json()


def test_a_valid_cloud_tasks_token_is_delivered(stage: FlaskClient, google_key: Key) -> None:
    status, body = deliver(stage, task_token(google_key))

    assert status == 200
    assert body["result"] == "dropped"  # the runner saw it: there is no such job


@pytest.mark.parametrize(
    ("audience", "email"),
    [
        (STAGE_URL.format(name="composition"), TASKS_SA),  # another stage's token, replayed
        ("https://trendreel-api-abc123-uc.a.run.app", TASKS_SA),
        (OWN_URL, SCHEDULER_SA),  # allowed on the api, not on a stage
        (OWN_URL, "intruder@proj-2.iam.gserviceaccount.com"),
    ],
    ids=["other-stage", "api-audience", "scheduler", "stranger"],
)
def test_a_token_for_another_audience_or_from_another_account_is_403(
    stage: FlaskClient, google_key: Key, audience: str, email: str
) -> None:
    status, body = deliver(stage, task_token(google_key, audience, email))

    assert (status, body) == (403, FORBIDDEN)


def test_a_missing_or_unauthentic_token_is_401(
    stage: FlaskClient, google_key: Key, other_key: Key
) -> None:
    for token in (
        None,
        "not-a-token",
        task_token(other_key, kid=google_key.kid),
        task_token(google_key, issued=time.time() - 7200),
        task_token(google_key, iss="https://accounts.example.com"),
        TOKEN,  # the local token means nothing on gcp
    ):
        assert deliver(stage, token) == (401, UNAUTHORIZED)


def test_no_task_account_configured_refuses_everyone(
    stage: FlaskClient, gcp: Runtime, google_key: Key
) -> None:
    gcp.settings = gcp.settings.model_copy(update={"tasks_service_account": None})

    assert deliver(stage, task_token(google_key))[0] == 403


def test_stage_auth_none_checks_nothing_and_warns_once(
    stage: FlaskClient,
    gcp: Runtime,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gcp.settings = gcp.settings.model_copy(update={"stage_auth": "none"})
    monkeypatch.setattr(http, "_unchecked_warned", [])

    with caplog.at_level(logging.WARNING):
        first = deliver(stage, None)
        second = deliver(stage, "anything")

    assert first[0] == second[0] == 200
    assert caplog.text.count("TRENDREEL_STAGE_AUTH=none") == 1


def test_the_local_backend_still_wants_the_local_token(
    stage_app: Flask, rt: Runtime, google_key: Key
) -> None:
    client = stage_app.test_client()

    assert deliver(client, TOKEN)[0] == 200
    assert deliver(client, task_token(google_key))[0] == 401


def test_unreachable_certificates_are_503_so_the_queue_retries(
    stage: FlaskClient, gcp: Runtime, google_key: Key
) -> None:
    gcp.settings = gcp.settings.model_copy(
        update={"google_certs_url": "http://127.0.0.1:9/oauth2/v1/certs"}
    )

    assert deliver(stage, task_token(google_key))[0] == 503


@pytest.mark.parametrize("email", [TASKS_SA, SCHEDULER_SA])
def test_the_sweeper_takes_the_task_account_and_the_scheduler(
    sweeper: FlaskClient, google_key: Key, email: str
) -> None:
    token = task_token(google_key, SWEEPER_URL, email)

    response = sweeper.post("/", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("audience", "email"),
    [(OWN_URL, TASKS_SA), (SWEEPER_URL, "intruder@proj-2.iam.gserviceaccount.com")],
    ids=["stage-audience", "stranger"],
)
def test_the_sweeper_refuses_other_tokens(
    sweeper: FlaskClient, google_key: Key, audience: str, email: str
) -> None:
    token = task_token(google_key, audience, email)

    response = sweeper.post("/", headers={"Authorization": f"Bearer {token}"})

    # A genuine Google token for the wrong audience or caller is forbidden; no token is 401.
    assert response.status_code == 403
    assert sweeper.post("/").status_code == 401


def test_no_token_reaches_the_log(
    stage: FlaskClient, google_key: Key, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = [task_token(google_key), task_token(google_key, email=SCHEDULER_SA)]

    with caplog.at_level(logging.DEBUG):
        for token in tokens:
            deliver(stage, token)

    assert "not allowed" in caplog.text
    for token in tokens:
        assert token not in caplog.text
        assert token.rsplit(".", 1)[-1] not in caplog.text
