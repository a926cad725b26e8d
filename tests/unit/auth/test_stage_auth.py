"""Stage functions and the sweeper on gcp, each with exactly the environment infra/ gives it.

Cloud Run's invoker check is on for them: Cloud Run verifies the caller's Google ID token and
forwards it with the signature replaced by SIGNATURE_REMOVED_BY_GOOGLE. The function reads the
claims of the token Cloud Run checked (X-Serverless-Authorization, else Authorization) and
still requires its own URL as audience and an allowed caller (the Cloud Tasks invoker for a
stage, Cloud Scheduler's account for the sweeper). A function whose invoker check is off never
accepts a token without a valid signature.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from functions_framework import create_app

from tests.unit.api.conftest import TOKEN, client_for
from tests.unit.auth.conftest import (
    SCHEDULER_SA,
    TASKS_SA,
    Deploy,
    Key,
    mint,
    stripped,
    url_of,
)
from trendreel.bootstrap import Runtime

FUNCTIONS = Path(__file__).resolve().parents[3] / "functions"
STAGE = "trend_analysis"
OWN_URL = url_of(STAGE)
SWEEPER_URL = url_of("sweeper")
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
def deployed_stage(deploy: Deploy) -> Runtime:
    return deploy(STAGE)


@pytest.fixture
def stage(stage_app: Flask, deployed_stage: Runtime) -> FlaskClient:
    return client_for(stage_app, deployed_stage)


@pytest.fixture
def sweeper(sweeper_app: Flask, deploy: Deploy) -> FlaskClient:
    return client_for(sweeper_app, deploy("sweeper"))


def task_token(key: Key, audience: str = OWN_URL, email: str = TASKS_SA, **claims: object) -> str:
    """The Cloud Tasks OIDC token, as Cloud Run forwards it: its signature removed."""
    return stripped(mint(key, audience=audience, email=email, **claims))


def deliver(
    client: FlaskClient, token: str | None, header: str = "Authorization"
) -> tuple[int, dict[str, object]]:
    headers = {header: f"Bearer {token}"} if token else {}
    response = client.post("/", json=TASK, headers=headers)
    return response.status_code, response.get_json()


def test_the_environment_is_infras(deployed_stage: Runtime) -> None:
    settings = deployed_stage.settings
    assert settings.invoker_iam_check is True
    assert settings.allowed_callers == [TASKS_SA]
    assert settings.function_url(STAGE) == OWN_URL


def test_a_delivery_cloud_run_verified_is_let_in(stage: FlaskClient, google_key: Key) -> None:
    status, body = deliver(stage, task_token(google_key))

    assert status == 200
    assert body["result"] == "dropped"  # the runner saw it: there is no such job


def test_the_token_in_x_serverless_authorization_is_the_one_read(
    stage: FlaskClient, google_key: Key
) -> None:
    # Cloud Run checks X-Serverless-Authorization when present and passes Authorization as sent.
    headers = {
        "X-Serverless-Authorization": f"Bearer {task_token(google_key)}",
        "Authorization": "Bearer something-else",
    }
    assert stage.post("/", json=TASK, headers=headers).status_code == 200
    forged = {
        "X-Serverless-Authorization": f"Bearer {task_token(google_key, email=SCHEDULER_SA)}",
        "Authorization": f"Bearer {task_token(google_key)}",
    }
    assert stage.post("/", json=TASK, headers=forged).status_code == 403


@pytest.mark.parametrize(
    ("audience", "email"),
    [
        (url_of("composition"), TASKS_SA),  # another stage's token, replayed
        (url_of("api"), TASKS_SA),
        (OWN_URL, SCHEDULER_SA),  # allowed on the api and the sweeper, not on a stage
        (OWN_URL, "intruder@proj-2.iam.gserviceaccount.com"),
    ],
    ids=["other-stage", "api-audience", "scheduler", "stranger"],
)
def test_a_token_for_another_audience_or_from_another_account_is_403(
    stage: FlaskClient, google_key: Key, audience: str, email: str
) -> None:
    status, body = deliver(stage, task_token(google_key, audience, email))

    assert (status, body) == (403, FORBIDDEN)


def test_a_missing_or_unusable_token_is_401(stage: FlaskClient, google_key: Key) -> None:
    for token in (
        None,
        "not-a-token",
        task_token(google_key, issued=time.time() - 7200),  # expired
        task_token(google_key, iss="https://accounts.example.com"),
        TOKEN,  # the local token means nothing on gcp
    ):
        assert deliver(stage, token) == (401, UNAUTHORIZED)


def test_a_signed_token_is_still_verified_in_full(
    stage: FlaskClient, google_key: Key, other_key: Key
) -> None:
    # Only a removed signature is taken on Cloud Run's word; a present one must be genuine.
    genuine = mint(google_key, audience=OWN_URL, email=TASKS_SA)
    forged = mint(other_key, audience=OWN_URL, email=TASKS_SA, kid=google_key.kid)
    assert deliver(stage, genuine)[0] == 200
    assert deliver(stage, forged) == (401, UNAUTHORIZED)


def test_without_the_invoker_check_a_token_without_its_signature_is_refused(
    stage: FlaskClient, deployed_stage: Runtime, google_key: Key
) -> None:
    # Nothing in front verified it: a stripped (or forged-and-stripped) token proves nothing.
    deployed_stage.settings = deployed_stage.settings.model_copy(
        update={"invoker_iam_check": False}
    )
    assert deliver(stage, task_token(google_key)) == (401, UNAUTHORIZED)
    assert deliver(stage, mint(google_key, audience=OWN_URL, email=TASKS_SA))[0] == 200


def test_no_allowed_caller_refuses_everyone(
    stage: FlaskClient, deployed_stage: Runtime, google_key: Key
) -> None:
    deployed_stage.settings = deployed_stage.settings.model_copy(update={"allowed_callers": []})

    assert deliver(stage, task_token(google_key))[0] == 403


def test_the_local_backend_still_wants_the_local_token(
    stage_app: Flask, rt: Runtime, google_key: Key
) -> None:
    client = client_for(stage_app, rt)

    assert deliver(client, TOKEN)[0] == 200
    assert deliver(client, task_token(google_key))[0] == 401


def test_unreachable_certificates_are_503_so_the_queue_retries(
    stage: FlaskClient, deployed_stage: Runtime, google_key: Key
) -> None:
    deployed_stage.settings = deployed_stage.settings.model_copy(
        update={"google_certs_url": "http://127.0.0.1:9/oauth2/v1/certs"}
    )

    # A signature to check (this token did not come through Cloud Run's check).
    assert deliver(stage, mint(google_key, audience=OWN_URL, email=TASKS_SA))[0] == 503


def test_the_sweeper_takes_cloud_schedulers_account(sweeper: FlaskClient, google_key: Key) -> None:
    token = task_token(google_key, SWEEPER_URL, SCHEDULER_SA)

    response = sweeper.post("/", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert set(response.get_json()) >= {"requeued", "failed"}


@pytest.mark.parametrize(
    ("audience", "email"),
    [
        (OWN_URL, SCHEDULER_SA),
        (SWEEPER_URL, TASKS_SA),
        (SWEEPER_URL, "intruder@proj-2.iam.gserviceaccount.com"),
    ],
    ids=["stage-audience", "tasks-account", "stranger"],
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
        assert token.split(".")[1] not in caplog.text
