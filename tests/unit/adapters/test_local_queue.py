"""LocalTaskQueue behaviour beyond the TaskQueue contract: the retry policy on a fake clock, the
dispatch deadline, the concurrency limit, restarts, several dispatchers on one file, the dedupe
window and the auth token."""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.http_fixture import FixtureServer, Scripted
from trendreel import lifecycle
from trendreel.adapters.local_dispatch import backoff_seconds, parse_retry_after
from trendreel.adapters.local_queue import DISPATCH_LEASE_SECONDS, LocalTaskQueue
from trendreel.models import Stage, TaskPayload
from trendreel.settings import Settings
from trendreel.tasks import task_name

START = datetime(2030, 1, 1, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


Respond = Callable[[int], tuple[int, float]]  # request index -> (status, seconds to hold it)


class GatedServer:
    """A threaded HTTP server that counts deliveries in flight. ``respond`` picks the status and
    how long to hold each request; held requests end early once ``release`` is set."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.headers: list[dict[str, str]] = []
        self.inflight = 0
        self.max_inflight = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gated = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with gated.lock:
                    index = len(gated.headers)
                    gated.headers.append({k.lower(): v for k, v in self.headers.items()})
                    gated.inflight += 1
                    gated.max_inflight = max(gated.max_inflight, gated.inflight)
                try:
                    status, hold = gated.respond(index)
                    if hold:
                        gated.release.wait(hold)
                finally:
                    with gated.lock:
                        gated.inflight -= 1
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the queue gave up waiting (its deadline passed)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


@pytest.fixture
def gated_server() -> Iterator[Callable[[Respond], GatedServer]]:
    servers: list[GatedServer] = []

    def make(respond: Respond) -> GatedServer:
        servers.append(GatedServer(respond))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


QueueFactory = Callable[..., LocalTaskQueue]


@pytest.fixture
def make_queue(tmp_path: Path) -> Iterator[QueueFactory]:
    """Queues on one file under tmp_path (so two calls share it); all closed after the test."""
    queues: list[LocalTaskQueue] = []

    def make(
        url: str,
        *,
        clock: Callable[[], datetime] | None = None,
        token: str | None = "test-token",
        file: str = "queue.sqlite3",
        **overrides: Any,
    ) -> LocalTaskQueue:
        values: dict[str, Any] = {
            "home": tmp_path,
            "function_url_template": f"{url}/functions/{{name}}",
            "queue_min_backoff_seconds": 0,
            "queue_max_backoff_seconds": 0,
            "task_max_attempts": 5,
            **overrides,
        }
        settings = Settings(**values)
        extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
        queue = LocalTaskQueue(tmp_path / file, settings=settings, auth_token=token, **extra)
        queues.append(queue)
        return queue

    yield make
    for queue in queues:
        queue.close()


def _payload(stage: Stage = Stage.COMPOSITION) -> TaskPayload:
    return TaskPayload(job_id=f"job{uuid.uuid4().hex[:12]}", stage=stage, generation=1)


def _enqueue(queue: LocalTaskQueue, stage: Stage = Stage.COMPOSITION, **kwargs: Any) -> str:
    payload = _payload(stage)
    return queue.enqueue(payload, task_name=task_name(payload), **kwargs)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- retry policy -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("min_backoff", "max_backoff", "doublings", "expected"),
    [
        (1.0, 100.0, 2, [1, 2, 4, 8, 12]),  # after max_doublings, linear steps of 1 * 2**2
        (1.0, 3.0, 5, [1, 2, 3, 3, 3]),  # capped by max_backoff
        (0.5, 300.0, 5, [0.5, 1, 2, 4, 8]),
        # The example in Cloud Tasks' RetryConfig reference (maxDoublings).
        (10.0, 300.0, 3, [10, 20, 40, 80, 160, 240, 300, 300]),
        # The defaults: 25 minutes of retries before the 10th and last attempt.
        (10.0, 300.0, 4, [10, 20, 40, 80, 160, 300, 300, 300, 300]),
    ],
)
def test_retries_back_off_exponentially(
    make_queue: QueueFactory,
    http_fixture: FixtureServer,
    clock: FakeClock,
    min_backoff: float,
    max_backoff: float,
    doublings: int,
    expected: list[float],
) -> None:
    http_fixture.add("POST", "/functions/composition", Scripted(status=503))
    queue = make_queue(
        http_fixture.url,
        clock=clock,
        task_max_attempts=len(expected) + 1,
        queue_min_backoff_seconds=min_backoff,
        queue_max_backoff_seconds=max_backoff,
        queue_max_doublings=doublings,
    )
    name = _enqueue(queue)

    waits = []
    for _ in expected:
        assert queue.dispatch_once() == 1
        record = queue.task(name)
        assert record is not None
        assert record.state == "queued"
        wait = (record.next_at - clock.now).total_seconds()
        waits.append(wait)
        clock.advance(wait - 0.01)
        assert queue.dispatch_once() == 0  # not due yet
        clock.advance(0.01)

    assert waits == pytest.approx(expected)
    assert [
        backoff_seconds(
            n, min_backoff=min_backoff, max_backoff=max_backoff, max_doublings=doublings
        )
        for n in range(1, len(expected) + 1)
    ] == pytest.approx(expected)


def test_the_default_retry_policy_rides_out_a_fifteen_minute_outage() -> None:
    defaults = Settings()
    waits = [
        backoff_seconds(
            n,
            min_backoff=defaults.queue_min_backoff_seconds,
            max_backoff=defaults.queue_max_backoff_seconds,
            max_doublings=defaults.queue_max_doublings,
        )
        for n in range(1, defaults.task_max_attempts)
    ]
    assert sum(waits) >= 15 * 60  # before the last attempt, which records a failure


def test_retry_after_lengthens_the_backoff_but_never_shortens_it(
    make_queue: QueueFactory, http_fixture: FixtureServer, clock: FakeClock
) -> None:
    http_fixture.add(
        "POST",
        "/functions/composition",
        Scripted.json({}, status=429, headers={"Retry-After": "30"}),
        Scripted.json({}, status=503, headers={"Retry-After": "0"}),
        Scripted.json({}),
    )
    queue = make_queue(
        http_fixture.url, clock=clock, queue_min_backoff_seconds=1, queue_max_backoff_seconds=60
    )
    name = _enqueue(queue)

    waits = []
    for _ in range(2):
        assert queue.dispatch_once() == 1
        record = queue.task(name)
        assert record is not None
        waits.append((record.next_at - clock.now).total_seconds())
        clock.advance(waits[-1])
    assert queue.dispatch_once() == 1

    assert waits == [30, 2]
    record = queue.task(name)
    assert record is not None
    assert (record.state, record.attempts, record.responses) == ("done", 3, 3)


def test_parse_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("12", START) == 12
    assert parse_retry_after("Tue, 01 Jan 2030 00:01:00 GMT", START) == 60
    assert parse_retry_after("-5", START) == 0
    assert parse_retry_after("soon", START) is None
    assert parse_retry_after(None, START) is None


def test_max_attempts_exhaust_the_task(
    make_queue: QueueFactory,
    http_fixture: FixtureServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    http_fixture.add("POST", "/functions/review", Scripted(status=500))
    queue = make_queue(http_fixture.url, task_max_attempts=3)
    name = _enqueue(queue, Stage.REVIEW)

    with caplog.at_level(logging.WARNING, logger="trendreel.adapters.local_queue"):
        for _ in range(3):
            assert queue.pending(name)
            assert queue.dispatch_once() == 1
    assert queue.dispatch_once() == 0

    record = queue.task(name)
    assert record is not None
    assert (record.state, record.attempts, record.last_status) == ("exhausted", 3, 500)
    assert record.finished_at is not None
    assert not queue.pending(name)
    assert len(http_fixture.requests) == 3
    assert any("exhausted" in r.getMessage() and name in r.getMessage() for r in caplog.records)


# --- dispatch deadline and concurrency ------------------------------------------------------------


def test_a_delivery_past_its_deadline_fails_and_is_retried(
    make_queue: QueueFactory,
    gated_server: Callable[[Respond], GatedServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(lifecycle.STAGE_TIMEOUT_SECONDS, Stage.REVIEW, 0.2)
    server = gated_server(lambda index: (200, 3.0) if index == 0 else (200, 0.0))
    queue = make_queue(server.url)
    name = _enqueue(queue, Stage.REVIEW)

    started = time.monotonic()
    assert queue.dispatch_once() == 1
    assert time.monotonic() - started < 2.0  # gave up at the deadline, did not wait for 3 s
    record = queue.task(name)
    assert record is not None
    assert (record.state, record.attempts, record.responses) == ("queued", 1, 0)
    assert record.last_error is not None
    assert "deadline" in record.last_error

    assert queue.dispatch_once() == 1
    assert not queue.pending(name)
    retry = server.headers[1]
    assert retry["x-cloudtasks-taskretrycount"] == "1"
    assert retry["x-cloudtasks-taskexecutioncount"] == "0"  # the first one got no response


def test_a_connection_error_is_a_failed_attempt(make_queue: QueueFactory) -> None:
    queue = make_queue(f"http://127.0.0.1:{_closed_port()}")
    name = _enqueue(queue)

    assert queue.dispatch_once() == 1

    record = queue.task(name)
    assert record is not None
    assert (record.state, record.attempts, record.responses) == ("queued", 1, 0)
    assert record.last_status is None
    assert record.last_error


@pytest.mark.parametrize("concurrency", [1, 3])
def test_no_more_than_queue_concurrency_deliveries_at_once(
    make_queue: QueueFactory, gated_server: Callable[[Respond], GatedServer], concurrency: int
) -> None:
    server = gated_server(lambda index: (200, 0.2))
    queue = make_queue(server.url, queue_concurrency=concurrency)
    names = [_enqueue(queue) for _ in range(5)]

    assert queue.dispatch_once() == 5

    assert server.max_inflight == concurrency
    assert not any(queue.pending(name) for name in names)


def test_the_background_dispatcher_delivers_and_stops(
    make_queue: QueueFactory, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", "/functions/composition", Scripted.json({}))
    queue = make_queue(http_fixture.url).start()
    try:
        name = _enqueue(queue)
        deadline = time.monotonic() + 5
        while queue.pending(name) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not queue.pending(name)
    finally:
        assert queue.stop()
    assert len(http_fixture.requests) == 1


# --- durability -------------------------------------------------------------------------------


def test_queued_tasks_survive_a_restart(
    make_queue: QueueFactory, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", "/functions/composition", Scripted.json({}))
    first = make_queue(http_fixture.url)
    name = _enqueue(first)
    first.close()

    second = make_queue(http_fixture.url)
    assert second.pending(name)
    assert second.dispatch_once() == 1
    assert not second.pending(name)


def test_a_delivery_abandoned_by_a_dead_process_is_redelivered_after_its_lease(
    make_queue: QueueFactory, http_fixture: FixtureServer, clock: FakeClock
) -> None:
    http_fixture.add("POST", "/functions/composition", Scripted.json({}))
    dead = make_queue(http_fixture.url, clock=clock)
    name = _enqueue(dead)
    assert dead._claim(name) is not None  # claimed, then the process "dies" before delivering
    dead.close()

    survivor = make_queue(http_fixture.url, clock=clock)
    assert survivor.dispatch_once() == 0  # the lease is still live: it may yet be delivered
    assert survivor.pending(name)

    # Within one short dispatch lease, not the stage's 30-minute dispatch deadline.
    assert lifecycle.STAGE_TIMEOUT_SECONDS[Stage.COMPOSITION] > 10 * DISPATCH_LEASE_SECONDS
    clock.advance(DISPATCH_LEASE_SECONDS + 1)
    assert survivor.dispatch_once() == 1

    assert not survivor.pending(name)
    [delivery] = http_fixture.requests
    assert delivery.headers["x-cloudtasks-taskretrycount"] == "1"  # the lost attempt counts


def test_an_abandoned_last_attempt_exhausts_the_task(
    make_queue: QueueFactory, http_fixture: FixtureServer, clock: FakeClock
) -> None:
    dead = make_queue(http_fixture.url, clock=clock, task_max_attempts=1)
    name = _enqueue(dead)
    assert dead._claim(name) is not None
    dead.close()

    clock.advance(DISPATCH_LEASE_SECONDS + 1)
    survivor = make_queue(http_fixture.url, clock=clock, task_max_attempts=1)

    record = survivor.task(name)
    assert record is not None
    assert record.state == "exhausted"
    assert survivor.dispatch_once() == 0
    assert http_fixture.requests == []


def test_a_delivery_in_flight_keeps_its_claim_past_one_lease(
    make_queue: QueueFactory, http_fixture: FixtureServer, clock: FakeClock
) -> None:
    alive = make_queue(http_fixture.url, clock=clock)
    name = _enqueue(alive)
    assert alive._claim(name) is not None  # in flight: a long composition
    survivor = make_queue(http_fixture.url, clock=clock)
    for _ in range(6):  # three minutes, renewed as the dispatcher does
        clock.advance(DISPATCH_LEASE_SECONDS / 3)
        assert alive.renew_leases() == 1
        survivor.recover()
    record = survivor.task(name)
    assert record is not None
    assert (record.state, record.attempts) == ("dispatching", 1)


def test_two_queues_on_one_file_never_claim_the_same_attempt(
    make_queue: QueueFactory, http_fixture: FixtureServer
) -> None:
    one, two = make_queue(http_fixture.url), make_queue(http_fixture.url)
    name = _enqueue(one)
    claims = [one._claim(name), two._claim(name)]
    assert sum(claim is not None for claim in claims) == 1


def test_two_dispatchers_on_one_file_never_double_deliver(
    make_queue: QueueFactory, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", "/functions/composition", Scripted.json({}))
    queues = [make_queue(http_fixture.url, queue_concurrency=2) for _ in range(2)]
    names = {_enqueue(queues[0]) for _ in range(20)}
    barrier = threading.Barrier(2)
    counts = [0, 0]

    def run(index: int) -> None:
        barrier.wait()
        while queues[index].pending_count():
            counts[index] += queues[index].dispatch_once()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    delivered = [r.headers["x-cloudtasks-taskname"] for r in http_fixture.requests]
    assert sorted(delivered) == sorted(names)  # each exactly once
    assert sum(counts) == 20


# --- names ------------------------------------------------------------------------------------


def test_a_name_is_reserved_for_the_dedupe_window_then_reusable(
    make_queue: QueueFactory, http_fixture: FixtureServer, clock: FakeClock
) -> None:
    http_fixture.add("POST", "/functions/composition", Scripted.json({}))
    queue = make_queue(http_fixture.url, clock=clock, queue_dedupe_seconds=60)
    payload = _payload()
    name = task_name(payload)

    assert queue.enqueue(payload, task_name=name) == name
    assert queue.dispatch_once() == 1
    clock.advance(59)
    assert queue.enqueue(payload, task_name=name) == name  # still reserved: a no-op
    assert not queue.pending(name)
    assert queue.dispatch_once() == 0

    clock.advance(2)
    assert queue.enqueue(payload, task_name=name) == name
    assert queue.pending(name)
    record = queue.task(name)
    assert record is not None
    assert (record.state, record.attempts, record.created_at) == ("queued", 0, clock.now)
    assert queue.dispatch_once() == 1
    assert len(http_fixture.requests) == 2


def test_a_pending_task_keeps_its_name_past_the_dedupe_window(
    make_queue: QueueFactory, http_fixture: FixtureServer, clock: FakeClock
) -> None:
    queue = make_queue(http_fixture.url, clock=clock, queue_dedupe_seconds=60)
    payload = _payload()
    name = queue.enqueue(payload, task_name=task_name(payload), delay_seconds=600)
    due = queue.task(name)

    clock.advance(120)
    queue.enqueue(payload, task_name=name)

    assert queue.task(name) == due  # not reset or rescheduled


def test_finished_tasks_are_pruned_after_the_dedupe_window(
    make_queue: QueueFactory, http_fixture: FixtureServer, clock: FakeClock
) -> None:
    http_fixture.add("POST", "/functions/composition", Scripted.json({}))
    queue = make_queue(http_fixture.url, clock=clock, queue_dedupe_seconds=60)
    done = _enqueue(queue)
    assert queue.dispatch_once() == 1
    waiting = _enqueue(queue, delay_seconds=3600)

    clock.advance(61)
    assert queue.prune() == 1

    assert queue.task(done) is None
    assert queue.pending(waiting)


def test_invalid_task_names_are_rejected(make_queue: QueueFactory) -> None:
    queue = make_queue("http://127.0.0.1:9")
    with pytest.raises(ValueError, match="invalid task name"):
        queue.enqueue(_payload(), task_name="has/slash")


def test_a_delayed_task_waits_for_its_time(
    make_queue: QueueFactory, http_fixture: FixtureServer, clock: FakeClock
) -> None:
    http_fixture.add("POST", "/functions/composition", Scripted.json({}))
    queue = make_queue(http_fixture.url, clock=clock)
    name = _enqueue(queue, delay_seconds=10)

    assert queue.dispatch_once() == 0
    clock.advance(10)
    assert queue.dispatch_once() == 1
    assert not queue.pending(name)
    queue.ping()


# --- auth ---------------------------------------------------------------------------------------


def test_the_bearer_token_is_sent_and_never_logged(
    make_queue: QueueFactory, http_fixture: FixtureServer, caplog: pytest.LogCaptureFixture
) -> None:
    token = f"secret-{uuid.uuid4().hex}"
    http_fixture.add("POST", "/functions/composition", Scripted(status=503), Scripted(status=401))
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    queue = make_queue(http_fixture.url, token=token, task_max_attempts=2)
    unreachable = make_queue(
        f"http://127.0.0.1:{_closed_port()}", token=token, file="unreachable.sqlite3"
    )
    name = _enqueue(queue)
    _enqueue(unreachable, Stage.REVIEW)

    queue.start()
    assert queue.drain(10)
    assert queue.stop()
    assert unreachable.dispatch_once() == 1

    assert [r.headers["authorization"] for r in http_fixture.requests] == [f"Bearer {token}"] * 2
    record = queue.task(name)
    assert record is not None
    assert record.state == "exhausted"
    assert caplog.records  # the run did log
    assert token not in caplog.text
    assert token not in repr(queue)
    assert token not in repr(record)


def test_no_token_no_authorization_header(
    make_queue: QueueFactory, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", "/functions/composition", Scripted.json({}))
    queue = make_queue(http_fixture.url, token=None)
    _enqueue(queue)

    assert queue.dispatch_once() == 1
    assert "authorization" not in http_fixture.requests[0].headers


def test_the_queue_file_is_readable_by_its_owner_only(
    make_queue: QueueFactory, http_fixture: FixtureServer, tmp_path: Path
) -> None:
    queue = make_queue(http_fixture.url)
    _enqueue(queue)
    files = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.glob("queue.sqlite3*")}
    assert "queue.sqlite3" in files
    assert files == dict.fromkeys(files, 0o600)
