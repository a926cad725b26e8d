"""The edge's instance: the request timeout (504, the instance runs on), at most
``concurrency`` requests in flight, crashes (503, then a cold start), and stopping by PID.
The 2 s timeout and concurrency 1 are set here for speed; real services get theirs from infra/."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.cloud_run.edge import CloudRunEdge, InstanceStartError
from tests.support.cloud_run.identity import GoogleIdentity
from tests.unit.cloud_run.conftest import ALL, PLATFORM_ENV, echo_edge, echo_spec, wait_for_mark

TIMEOUT = 2


@pytest.fixture(scope="module")
def edge(google: GoogleIdentity) -> Iterator[CloudRunEdge]:
    spec = echo_spec(
        ingress=ALL, invoker_iam_disabled=True, invokers=(), timeout_seconds=TIMEOUT, concurrency=1
    )
    with echo_edge(spec, google) as running:
        yield running


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit status may wait for its new parent)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def get(edge: CloudRunEdge, **params: str) -> httpx.Response:
    return httpx.get(edge.internal_url, params=params, timeout=30)


def test_past_the_timeout_the_caller_gets_504_and_the_instance_finishes(
    edge: CloudRunEdge,
) -> None:
    mark = f"slow-{secrets.token_hex(4)}"
    started = time.monotonic()

    answer = get(edge, sleep=str(TIMEOUT + 1.5), mark=mark)

    assert answer.status_code == 504
    assert TIMEOUT <= time.monotonic() - started < TIMEOUT + 1
    wait_for_mark(edge, "finished", mark)  # the request ran on to completion
    assert time.monotonic() - started >= TIMEOUT + 1.5


def test_requests_beyond_the_concurrency_wait_for_a_slot(edge: CloudRunEdge) -> None:
    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: get(edge, sleep="0.7"), range(2)))

    assert [a.status_code for a in answers] == [200, 200]
    assert time.monotonic() - started >= 1.4  # one after the other: concurrency is 1
    assert answers[0].json()["pid"] == answers[1].json()["pid"]


def test_a_request_waiting_for_a_slot_past_its_timeout_gets_429(edge: CloudRunEdge) -> None:
    mark = f"hog-{secrets.token_hex(4)}"
    with ThreadPoolExecutor(1) as pool:
        hog = pool.submit(get, edge, sleep=str(TIMEOUT + 0.5), mark=mark)
        wait_for_mark(edge, "started", mark)
        assert get(edge).status_code == 429
        assert hog.result().status_code == 504
    wait_for_mark(edge, "finished", mark)


def test_an_instance_killed_mid_request_gives_503_then_a_fresh_instance(
    edge: CloudRunEdge,
) -> None:
    mark = f"doomed-{secrets.token_hex(4)}"
    before = edge.instance_pid()
    worker = get(edge).json()["pid"]
    with ThreadPoolExecutor(1) as pool:
        doomed = pool.submit(get, edge, sleep="20", mark=mark)
        wait_for_mark(edge, "started", mark)
        edge.kill_instance()
        assert doomed.result().status_code == 503

    after = get(edge)

    assert after.status_code == 200
    assert before is not None
    assert edge.instance_pid() not in (None, before)
    assert after.json()["ppid"] == edge.instance_pid()
    assert not running(before)
    assert not running(worker)


def test_an_instance_that_dies_by_itself_is_replaced(edge: CloudRunEdge) -> None:
    before = edge.instance_pid()

    assert get(edge, exit="instance").status_code == 503
    after = get(edge)

    assert after.status_code == 200
    assert after.json()["ppid"] not in (None, before)


def test_a_worker_that_exits_gives_503_and_gunicorn_replaces_it(edge: CloudRunEdge) -> None:
    before = edge.instance_pid()

    assert get(edge, exit="worker").status_code == 503
    after = get(edge)

    assert after.status_code == 200
    assert edge.instance_pid() == before  # the master lives on: same instance, new worker


def test_stop_ends_every_process_the_edge_started(google: GoogleIdentity) -> None:
    edge = CloudRunEdge(echo_spec(ingress=ALL, invoker_iam_disabled=True), google,
                        platform_env=PLATFORM_ENV, source=Path(__file__).parents[2]
                        / "support/cloud_run/echo_function/main.py").start()  # fmt: skip
    master = edge.instance_pid()
    worker = httpx.get(edge.internal_url, timeout=30).json()["pid"]

    edge.stop()

    assert master is not None
    assert not running(master)
    assert not running(worker)
    with pytest.raises(httpx.ConnectError):
        httpx.get(edge.internal_url, timeout=2)


def test_an_instance_that_cannot_start_fails_the_start(
    google: GoogleIdentity, tmp_path: Path
) -> None:
    broken = tmp_path / "main.py"
    broken.write_text("raise RuntimeError('no start')\n")
    threads = threading.active_count()
    edge = CloudRunEdge(echo_spec(), google, platform_env=PLATFORM_ENV, source=broken)

    with pytest.raises(InstanceStartError, match="exited"):
        edge.start()

    assert edge.instance_pid() is None
    assert threading.active_count() <= threads
    assert os.environ.get("PORT") is None  # nothing leaked into this process either
