"""TaskQueue on SQLite: the embedded stand-in for Cloud Tasks.

Tasks live in one SQLite file (WAL, busy timeout), so they survive a restart and several threads
or processes can share the queue. Delivery follows Cloud Tasks: each task is POSTed to its stage
function (``settings.function_url(stage)``) with the ``X-CloudTasks-*`` headers, at least once;
any 2xx finishes it, anything else is retried with exponential backoff (see local_dispatch) until
``task_max_attempts`` dispatches have been made, after which it is ``exhausted`` and left to the
job sweeper.

States::

    queued ──claim──▶ dispatching ──2xx──▶ done
      ▲                  │ │
      └──fail, backoff───┘ └──fail, last attempt──▶ exhausted

A claim is a single conditional UPDATE (``state='queued' AND next_at<=now``), so two dispatchers
on one file never send the same attempt twice; it also takes a short lease (``DISPATCH_LEASE``)
that the dispatching process renews while the request is in flight, however long the stage's
dispatch deadline. A process that dies mid-delivery (``trendreel serve`` killed: the functions
die with it, as the connection would break on Cloud Tasks) leaves the task ``dispatching``;
within one lease any queue on the file puts it back to ``queued`` (the lost attempt counts, as a
failed dispatch does on Cloud Tasks). Recording an outcome is fenced by the attempt number, so a
delivery whose task was meanwhile reclaimed cannot overwrite the newer attempt's state.

Task names are reserved like in Cloud Tasks: enqueueing a name that is still pending, or that was
created less than ``queue_dedupe_seconds`` ago, is a no-op that reports success; finished names
older than that may be used again, and their rows are pruned.

Times are stored as UTC epoch seconds (REAL). The auth token is sent, never logged or shown. The
file is readable by its owner only.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from trendreel.adapters.local_dispatch import (
    Attempt,
    Result,
    backoff_seconds,
    deliver,
    parse_retry_after,
)
from trendreel.adapters.private_files import private_sqlite_file
from trendreel.ports import QueueTask
from trendreel.settings import Settings
from trendreel.tasks import timeout_seconds

log = logging.getLogger(__name__)

QUEUED, DISPATCHING, DONE, EXHAUSTED = "queued", "dispatching", "done", "exhausted"
PENDING_STATES = (QUEUED, DISPATCHING)
POLL_SECONDS = 0.2  # how often the background dispatcher looks for due tasks
# A delivery's claim on its task: renewed every third of it while the request is in flight, so a
# dispatcher that died is noticed within one lease, whatever the stage's dispatch deadline.
DISPATCH_LEASE_SECONDS = 30.0
RENEW_EVERY_SECONDS = DISPATCH_LEASE_SECONDS / 3
MAINTENANCE_EVERY_SECONDS = 5.0  # lease recovery + pruning in the background loop (wall time)
PRUNE_EVERY_SECONDS = 300.0  # pruning of old finished rows (queue clock)
BUSY_TIMEOUT_SECONDS = 10.0
BATCH = 500  # most due tasks looked at per pass
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,500}$")  # Cloud Tasks' task id alphabet and length

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    name        TEXT PRIMARY KEY,
    payload     TEXT NOT NULL,
    stage       TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'dispatching', 'done', 'exhausted')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    responses   INTEGER NOT NULL DEFAULT 0,
    next_at     REAL NOT NULL,
    lease_until REAL,
    created_at  REAL NOT NULL,
    finished_at REAL,
    last_status INTEGER,
    last_error  TEXT
);
CREATE INDEX IF NOT EXISTS tasks_due ON tasks (state, next_at);
"""

_COLUMNS = (
    "name, payload, stage, state, attempts, responses, next_at, lease_until, created_at, "
    "finished_at, last_status, last_error"
)

# Insert, or reuse a name whose task finished and whose reservation has lapsed.
_ENQUEUE = """
INSERT INTO tasks (name, payload, stage, state, attempts, responses, next_at, created_at)
VALUES (:name, :payload, :stage, 'queued', 0, 0, :next_at, :now)
ON CONFLICT (name) DO UPDATE SET
    payload = excluded.payload, stage = excluded.stage, state = 'queued', attempts = 0,
    responses = 0, next_at = excluded.next_at, lease_until = NULL,
    created_at = excluded.created_at, finished_at = NULL, last_status = NULL, last_error = NULL
WHERE tasks.state IN ('done', 'exhausted') AND tasks.created_at <= :reserved_before
"""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _when(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


@dataclass(frozen=True)
class TaskRecord:
    """A snapshot of one task row (for inspection, health output and tests)."""

    name: str
    payload: dict[str, Any]  # the task's JSON body
    stage: str  # the function it is delivered to (a stage, or publish)
    state: str
    attempts: int
    responses: int
    next_at: datetime
    lease_until: datetime | None
    created_at: datetime
    finished_at: datetime | None
    last_status: int | None
    last_error: str | None

    @property
    def pending(self) -> bool:
        return self.state in PENDING_STATES

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> TaskRecord:
        return cls(
            name=row["name"],
            payload=json.loads(row["payload"]),
            stage=row["stage"],
            state=row["state"],
            attempts=row["attempts"],
            responses=row["responses"],
            next_at=datetime.fromtimestamp(row["next_at"], UTC),
            lease_until=_when(row["lease_until"]),
            created_at=datetime.fromtimestamp(row["created_at"], UTC),
            finished_at=_when(row["finished_at"]),
            last_status=row["last_status"],
            last_error=row["last_error"],
        )


class LocalTaskQueue:
    """Durable, at-least-once HTTP task delivery with Cloud Tasks' retry semantics.

    ``dispatch_once()`` delivers what is due now; ``start()`` runs a background dispatcher until
    ``stop()``. ``close()`` (or ``with``) releases the database, the HTTP client and the threads.
    """

    def __init__(
        self,
        path: Path,
        *,
        settings: Settings,
        auth_token: str | None,
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval: float = POLL_SECONDS,
    ) -> None:
        self.path = path
        self.name = settings.queue_name
        self._settings = settings
        self._token = auth_token or None
        self._clock = clock
        self._sleep = sleep
        self._poll = poll_interval
        self._concurrency = settings.queue_concurrency

        self._db_lock = threading.Lock()
        self._state_lock = threading.Lock()  # pool, client, in-flight set, thread
        self._slots = threading.BoundedSemaphore(self._concurrency)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._client: httpx.Client | None = None
        self._inflight: set[Future[None]] = set()
        self._leased: dict[str, int] = {}  # task name -> attempt number, while in flight
        self._last_renewal = time.monotonic()
        self._last_prune = float("-inf")
        self._closed = False

        private_sqlite_file(path)
        self._conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        try:
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.executescript(_SCHEMA)
            self._maintain(force_prune=True)
        except BaseException:
            self._conn.close()
            raise

    def __repr__(self) -> str:  # no token here, ever
        return f"LocalTaskQueue(path={str(self.path)!r}, name={self.name!r})"

    # --- database -----------------------------------------------------------------------------

    @contextmanager
    def _db(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """The connection, held by this thread; ``write`` wraps the block in BEGIN IMMEDIATE."""
        with self._db_lock:
            if self._closed:
                raise RuntimeError("the task queue is closed")
            if not write:
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _now(self) -> float:
        return self._clock().timestamp()

    # --- TaskQueue ----------------------------------------------------------------------------

    def enqueue(self, payload: QueueTask, *, task_name: str, delay_seconds: float = 0) -> str:
        if not _NAME.fullmatch(task_name):
            raise ValueError(f"invalid task name {task_name!r}: use 1-500 of [A-Za-z0-9_-]")
        now = self._now()
        params = {
            "name": task_name,
            "payload": payload.model_dump_json(),
            "stage": payload.function,  # the column names the function the task goes to
            "next_at": now + max(float(delay_seconds), 0.0),
            "now": now,
            "reserved_before": now - self._settings.queue_dedupe_seconds,
        }
        with self._db() as conn:
            created = conn.execute(_ENQUEUE, params).rowcount == 1
        if created:
            log.debug("task %s enqueued for %s", task_name, payload.function)
            self._wake.set()
        else:
            log.debug("task %s already exists: duplicate dropped", task_name)
        return task_name

    def pending(self, task_name: str) -> bool:
        with self._db() as conn:
            row = conn.execute("SELECT state FROM tasks WHERE name = ?", (task_name,)).fetchone()
        return row is not None and row["state"] in PENDING_STATES

    def ping(self) -> None:
        with self._db() as conn:
            conn.execute("SELECT 1").fetchone()

    # --- inspection ---------------------------------------------------------------------------

    def task(self, task_name: str) -> TaskRecord | None:
        with self._db() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM tasks WHERE name = ?",  # noqa: S608 - constant columns
                (task_name,),
            ).fetchone()
        return None if row is None else TaskRecord.from_row(row)

    def counts(self) -> dict[str, int]:
        """Tasks per state (every state present, zero if none)."""
        with self._db() as conn:
            rows = conn.execute("SELECT state, COUNT(*) AS n FROM tasks GROUP BY state").fetchall()
        out = dict.fromkeys((QUEUED, DISPATCHING, DONE, EXHAUSTED), 0)
        out.update({row["state"]: row["n"] for row in rows})
        return out

    def pending_count(self) -> int:
        counts = self.counts()
        return counts[QUEUED] + counts[DISPATCHING]

    # --- maintenance --------------------------------------------------------------------------

    def recover(self) -> int:
        """Put tasks whose delivery died with its process (lease passed) back in the queue, or
        mark them exhausted if that was their last attempt. Returns how many were recovered."""
        now = self._now()
        limit = self._settings.task_max_attempts
        with self._db(write=True) as conn:
            stale = conn.execute(
                "SELECT name, attempts FROM tasks WHERE state = 'dispatching' AND lease_until < ?",
                (now,),
            ).fetchall()
            conn.execute(
                "UPDATE tasks SET state = 'queued', lease_until = NULL, next_at = ?, "
                "last_error = 'delivery abandoned (lease expired)' "
                "WHERE state = 'dispatching' AND lease_until < ? AND attempts < ?",
                (now, now, limit),
            )
            conn.execute(
                "UPDATE tasks SET state = 'exhausted', lease_until = NULL, finished_at = ?, "
                "last_error = 'delivery abandoned (lease expired)' "
                "WHERE state = 'dispatching' AND lease_until < ? AND attempts >= ?",
                (now, now, limit),
            )
        for row in stale:
            log.warning(
                "task %s: delivery abandoned after %d attempt(s) (lease expired); %s",
                row["name"],
                row["attempts"],
                "exhausted" if row["attempts"] >= limit else "queued again",
            )
        return len(stale)

    def prune(self) -> int:
        """Delete finished tasks whose name reservation has lapsed. Returns how many."""
        now = self._now()
        cutoff = now - self._settings.queue_dedupe_seconds
        with self._db() as conn:
            deleted = conn.execute(
                "DELETE FROM tasks WHERE state IN ('done', 'exhausted') AND created_at < ?",
                (cutoff,),
            ).rowcount
        self._last_prune = now
        return deleted

    def _maintain(self, *, force_prune: bool = False) -> None:
        self.recover()
        if force_prune or self._now() - self._last_prune >= PRUNE_EVERY_SECONDS:
            self.prune()

    # --- dispatch -----------------------------------------------------------------------------

    def _due(self, limit: int) -> list[str]:
        with self._db() as conn:
            rows = conn.execute(
                "SELECT name FROM tasks WHERE state = 'queued' AND next_at <= ? "
                "ORDER BY next_at, created_at LIMIT ?",
                (self._now(), limit),
            ).fetchall()
        return [row["name"] for row in rows]

    def _claim(self, task_name: str) -> tuple[Attempt, str] | None:
        """Atomically take one due task for dispatch; None if it is not (or no longer) ours."""
        now = self._now()
        with self._db(write=True) as conn:
            row = conn.execute(
                "SELECT stage FROM tasks WHERE name = ? AND state = 'queued' AND next_at <= ?",
                (task_name, now),
            ).fetchone()
            if row is None:
                return None
            deadline = timeout_seconds(row["stage"], self._settings.stage_timeouts)
            claimed = conn.execute(
                "UPDATE tasks SET state = 'dispatching', attempts = attempts + 1, "
                "lease_until = ? WHERE name = ? AND state = 'queued' AND next_at <= ?",
                (now + DISPATCH_LEASE_SECONDS, task_name, now),
            ).rowcount
            if claimed != 1:
                return None
            task = conn.execute(
                "SELECT payload, stage, attempts, responses, next_at FROM tasks WHERE name = ?",
                (task_name,),
            ).fetchone()
        with self._state_lock:
            self._leased[task_name] = task["attempts"]
        attempt = Attempt(
            name=task_name,
            body=task["payload"].encode(),
            url=self._settings.function_url(task["stage"]),
            retry_count=task["attempts"] - 1,
            execution_count=task["responses"],
            eta=task["next_at"],
            deadline=deadline,
        )
        return attempt, task["stage"]

    def _http(self) -> httpx.Client:
        with self._state_lock:
            if self._client is None:
                limits = httpx.Limits(max_connections=max(self._concurrency, 10))
                self._client = httpx.Client(limits=limits, follow_redirects=False)
            return self._client

    def _submit(self, attempt: Attempt, stage: str) -> Future[None]:
        with self._state_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self._concurrency, thread_name_prefix=f"queue-{self.name}"
                )
            future = self._pool.submit(self._deliver, attempt, stage)
            self._inflight.add(future)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, future: Future[None]) -> None:
        with self._state_lock:
            self._inflight.discard(future)
        self._slots.release()
        self._wake.set()  # a free slot: the dispatcher may have more due work

    def _start_one(self, task_name: str, *, block: bool) -> Future[None] | None:
        if not self._slots.acquire(blocking=block):
            return None
        try:
            claimed = self._claim(task_name)
        except BaseException:
            self._slots.release()
            raise
        if claimed is None:
            self._slots.release()
            return None
        try:
            return self._submit(*claimed)
        except BaseException:
            self._slots.release()
            raise

    def _deliver(self, attempt: Attempt, stage: str) -> None:
        try:
            result = deliver(self._http(), attempt, queue_name=self.name, auth_token=self._token)
        except Exception as exc:  # a bug, not the target's fault: still just a failed attempt
            log.exception("task %s: delivery raised", attempt.name)
            result = Result(error=f"{type(exc).__name__}: {exc}"[:500])
        try:
            self._record(attempt, stage, result)
        except Exception:  # the lease will expire and recover() retries the task
            log.exception("task %s: could not record the outcome of a delivery", attempt.name)
        finally:
            with self._state_lock:
                self._leased.pop(attempt.name, None)

    def renew_leases(self) -> int:
        """Extend the claims of this queue's deliveries in flight; returns how many."""
        with self._state_lock:
            leased = list(self._leased.items())
        self._last_renewal = time.monotonic()
        if not leased:
            return 0
        until = self._now() + DISPATCH_LEASE_SECONDS
        renewed = 0
        with self._db() as conn:
            for name, number in leased:
                renewed += conn.execute(
                    "UPDATE tasks SET lease_until = ? "
                    "WHERE name = ? AND state = 'dispatching' AND attempts = ?",
                    (until, name, number),
                ).rowcount
        return renewed

    def _renew_if_due(self) -> None:
        if time.monotonic() - self._last_renewal >= RENEW_EVERY_SECONDS:
            self.renew_leases()

    def _record(self, attempt: Attempt, stage: str, result: Result) -> None:
        now = self._now()
        number = attempt.retry_count + 1
        settings = self._settings
        if result.succeeded:
            state, next_at, finished = DONE, None, now
        elif number >= settings.task_max_attempts:
            state, next_at, finished = EXHAUSTED, None, now
        else:
            wait = backoff_seconds(
                number,
                min_backoff=settings.queue_min_backoff_seconds,
                max_backoff=settings.queue_max_backoff_seconds,
                max_doublings=settings.queue_max_doublings,
            )
            asked = parse_retry_after(result.retry_after, self._clock())
            if asked is not None:
                wait = max(wait, asked)
            state, next_at, finished = QUEUED, now + wait, None
        with self._db() as conn:
            updated = conn.execute(
                "UPDATE tasks SET state = ?, next_at = COALESCE(?, next_at), lease_until = NULL, "
                "finished_at = ?, responses = responses + ?, last_status = ?, last_error = ? "
                "WHERE name = ? AND state = 'dispatching' AND attempts = ?",
                (
                    state,
                    next_at,
                    finished,
                    int(result.responded),
                    result.status,
                    None if result.succeeded else result.describe(),
                    attempt.name,
                    number,
                ),
            ).rowcount
        if updated != 1:
            log.warning(
                "task %s: attempt %d finished (%s) after its lease was taken over; ignored",
                attempt.name,
                number,
                result.describe(),
            )
        elif state == DONE:
            log.debug("task %s delivered to %s (%s)", attempt.name, stage, result.describe())
        elif state == EXHAUSTED:
            log.warning(
                "task %s for %s exhausted after %d attempts; last: %s",
                attempt.name,
                stage,
                number,
                result.describe(),
            )
        else:
            log.info(
                "task %s for %s: attempt %d failed (%s); retry in %.1fs",
                attempt.name,
                stage,
                number,
                result.describe(),
                (next_at or now) - now,
            )

    def dispatch_once(self) -> int:
        """Deliver every task due now (at most ``queue_concurrency`` at a time) and wait for the
        deliveries to finish. Returns how many were dispatched. A task that fails here is due
        again only after its backoff, so one call delivers each task at most once."""
        self._maintain()
        futures = [f for name in self._due(BATCH) if (f := self._start_one(name, block=True))]
        pending = set(futures)
        while pending:
            _, pending = wait_futures(pending, timeout=RENEW_EVERY_SECONDS)
            self._renew_if_due()
        return len(futures)

    def drain(self, timeout: float) -> bool:
        """Dispatch until nothing is pending or ``timeout`` seconds pass; True if drained."""
        deadline = time.monotonic() + timeout
        while self.pending_count():
            if time.monotonic() >= deadline:
                return False
            if not self.dispatch_once():
                self._sleep(min(0.02, max(deadline - time.monotonic(), 0.0)))
        return True

    # --- background dispatcher ----------------------------------------------------------------

    def start(self) -> LocalTaskQueue:
        """Run the dispatcher in a background thread (idempotent)."""
        with self._state_lock:
            if self._closed:
                raise RuntimeError("the task queue is closed")
            if self._thread is not None:
                return self
            self._stopping.clear()
            self._thread = threading.Thread(
                target=self._loop, name=f"queue-{self.name}-dispatcher", daemon=True
            )
        self.recover()
        self._thread.start()
        log.info("task queue %s dispatching from %s", self.name, self.path)
        return self

    def _loop(self) -> None:
        last_maintenance = time.monotonic()
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self._renew_if_due()
                if time.monotonic() - last_maintenance >= MAINTENANCE_EVERY_SECONDS:
                    last_maintenance = time.monotonic()
                    self._maintain()
                for name in self._due(self._concurrency):
                    if self._stopping.is_set():
                        break
                    self._start_one(name, block=False)
            except Exception:  # the dispatcher must outlive a bad pass (e.g. a locked database)
                log.exception("task queue %s: dispatch pass failed", self.name)
            self._wake.wait(self._poll)

    def stop(self, timeout: float | None = None) -> bool:
        """Stop the dispatcher and wait (up to ``timeout``) for in-flight deliveries. Returns
        False if some are still running; their tasks stay leased and are recovered later."""
        self._stopping.set()
        self._wake.set()
        with self._state_lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        with self._state_lock:
            inflight = list(self._inflight)
        _, not_done = wait_futures(inflight, timeout=timeout)
        if not_done:
            log.warning("task queue %s: %d deliveries still running", self.name, len(not_done))
            return False
        with self._state_lock:
            pool, self._pool = self._pool, None
            client, self._client = self._client, None
        if pool is not None:
            pool.shutdown(wait=True)
        if client is not None:
            client.close()
        return True

    def close(self) -> None:
        """Stop dispatching, wait for deliveries and close the database."""
        if self._closed:
            return
        self.stop()
        with self._db_lock:
            self._closed = True
            self._conn.close()

    def __enter__(self) -> LocalTaskQueue:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
