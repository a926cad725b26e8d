"""The Cloud Tasks emulator, started with the identity double's URL, sends a task's OIDC token
as Cloud Tasks does; and it gives each task the number of attempts it was started with."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.contract import gcp_fixtures
from tests.support.cloud_run.identity import GoogleIdentity
from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.cloud_run.conftest import TASKS_SA

pytestmark = pytest.mark.emulator

PARENT = f"projects/{gcp_fixtures.PROJECT}/locations/{gcp_fixtures.LOCATION}"
MAX_ATTEMPTS = 2


@pytest.fixture(scope="module")
def emulator(google: GoogleIdentity) -> Iterator[Any]:
    try:
        started = gcp_fixtures.start_tasks_emulator(
            max_attempts=MAX_ATTEMPTS, identity_url=google.url
        )
    except Exception as exc:
        gcp_fixtures.unavailable(f"cloud-tasks emulator unavailable: {exc}")
    try:
        yield started
    finally:
        started.stop()


def queue(emulator: Any, name: str) -> str:
    path = f"{PARENT}/queues/{name}-{time.monotonic_ns()}"
    emulator.client.create_queue(parent=PARENT, queue={"name": path})
    return path


def wait_for(server: FixtureServer, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(server.requests) < count:
        assert time.monotonic() < deadline, f"{len(server.requests)} of {count} deliveries"
        time.sleep(0.05)


def test_a_task_with_an_oidc_token_is_sent_with_a_bearer_id_token(
    emulator: Any, google: GoogleIdentity, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", "/stage", Scripted.json({"ok": True}))
    url = http_fixture.url + "/stage"
    path = queue(emulator, "oidc")
    tokens = [
        {"service_account_email": TASKS_SA, "audience": "https://stage.a.run.app/"},
        {"service_account_email": TASKS_SA},  # the audience defaults to the task's URL
        None,
    ]
    for oidc in tokens:
        request: dict[str, Any] = {"url": url, "body": b"{}"}
        if oidc is not None:
            request["oidc_token"] = oidc
        emulator.client.create_task(parent=path, task={"http_request": request})

    wait_for(http_fixture, 3)

    sent = [r.headers.get("authorization") for r in http_fixture.requests]
    assert sent.count(None) == 1
    audiences = set()
    for header in filter(None, sent):
        scheme, token = header.split(" ", 1)
        claims = google.verify(token)
        assert scheme == "Bearer"
        assert claims["email"] == TASKS_SA
        audiences.add(claims["aud"])
    assert audiences == {"https://stage.a.run.app/", url}


def test_each_task_gets_the_attempts_the_emulator_was_started_with(
    emulator: Any, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", "/failing", Scripted.text("down", status=503))
    path = queue(emulator, "attempts")

    emulator.client.create_task(
        parent=path, task={"http_request": {"url": http_fixture.url + "/failing"}}
    )
    wait_for(http_fixture, MAX_ATTEMPTS)
    time.sleep(1.0)  # the emulator retries at once: a further attempt would have come by now

    assert len(http_fixture.requests) == MAX_ATTEMPTS
    retries = [r.headers["x-cloudtasks-taskretrycount"] for r in http_fixture.requests]
    assert retries == [str(n) for n in range(MAX_ATTEMPTS)]
