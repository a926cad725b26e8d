"""The Cloud Run doubles under test: Google's identity (one per session) and edges running the
echo function (tests/support/cloud_run/echo_function), one per test module where possible."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cloud_run.edge import CloudRunEdge, free_port
from tests.support.cloud_run.identity import GoogleIdentity
from tests.support.cloud_run.spec import ServiceSpec

ECHO_SOURCE = Path(__file__).resolve().parents[2] / "support/cloud_run/echo_function/main.py"
TASKS_SA = "tasks-invoker@trendreel-test.iam.gserviceaccount.com"
SCHEDULER_SA = "scheduler@trendreel-test.iam.gserviceaccount.com"
STRANGER_SA = "stranger@other-project.iam.gserviceaccount.com"
INTERNAL = "INGRESS_TRAFFIC_INTERNAL_ONLY"
ALL = "INGRESS_TRAFFIC_ALL"
# What the platform (the test harness) adds besides infra's env: on Cloud Run these come from
# the runtime image; here the caller of the edge passes them.
PLATFORM_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="session")
def google() -> Iterator[GoogleIdentity]:
    with GoogleIdentity() as identity:
        yield identity


def echo_spec(**changes: Any) -> ServiceSpec:
    """A service as infra/ would resolve it, pointing at a free port on 127.0.0.1. Timeouts
    and concurrency are set per test here; for the real services they come from infra/."""
    spec = ServiceSpec(
        name="echo",
        service_name="trendreel-echo",
        url=f"http://127.0.0.1:{free_port()}/",
        env={"TRENDREEL_ECHO_SETTING": "from-infra", "FUNCTION_TARGET": "handle"},
        ingress=INTERNAL,
        invoker_iam_disabled=False,
        invokers=(f"serviceAccount:{TASKS_SA}", "user:oncall@example.com"),
        timeout_seconds=30,
        concurrency=4,
        max_instances=1,
    )
    return dataclasses.replace(spec, **changes)


@contextlib.contextmanager
def echo_edge(spec: ServiceSpec, google: GoogleIdentity, **platform: str) -> Iterator[CloudRunEdge]:
    edge = CloudRunEdge(spec, google, platform_env={**PLATFORM_ENV, **platform}, source=ECHO_SOURCE)
    with edge:
        yield edge


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def marks(edge: CloudRunEdge) -> dict[str, list[str]]:
    """What the echo function saw start and finish (requests with ?mark=...), asked of the
    instance directly: behind the front end, so neither the invoker check nor a busy
    concurrency slot is in the way."""
    url = edge.instance_url()
    assert url is not None, "no instance is running"
    answer = httpx.get(url + "__marks", timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def wait_for_mark(edge: CloudRunEdge, kind: str, mark: str) -> None:
    deadline = time.monotonic() + 10
    while mark not in marks(edge)[kind]:
        assert time.monotonic() < deadline, f"{mark} never {kind}"
        time.sleep(0.05)
