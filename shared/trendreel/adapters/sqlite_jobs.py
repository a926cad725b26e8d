"""JobStore on a SQLite file: the embedded default (local server, CLI).

Each job is one row: its JSON document plus the columns queries need (status, idempotency key,
times), indexed so every query costs in proportion to the rows it returns.

Concurrency. Several processes (the local server, CLI commands) and several threads in each may
open the same file. The file is in WAL mode, so readers never block the writer. Every write is
one ``BEGIN IMMEDIATE`` transaction: it takes the database's write lock before reading, so a
read-check-write (a claim, a retry, an idempotent create) cannot interleave with another one, in
this process or any other. A writer that finds the lock taken waits up to ``busy_timeout``.

Each call opens its own connection and closes it before returning; connections are never shared
between threads, and nothing is left open when the store is dropped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from trendreel.adapters.job_queries import check_cursor, check_limit
from trendreel.adapters.sqlite_file import BUSY_TIMEOUT_SECONDS, SqliteFile
from trendreel.errors import JobNotFoundError, TrendreelError
from trendreel.models import Job, JobStatus
from trendreel.models.job import theme_key
from trendreel.models.trends import UsedTopic
from trendreel.ports import Mutation

MAX_PAGE = 100

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS jobs (
        id              TEXT PRIMARY KEY NOT NULL,
        status          TEXT NOT NULL,
        idempotency_key TEXT,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        doc             TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS jobs_status_id ON jobs (status, id)",
    "CREATE INDEX IF NOT EXISTS jobs_status_updated ON jobs (status, updated_at)",
    # NULLs are distinct in a SQLite unique index: jobs without a key never collide.
    "CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency_key ON jobs (idempotency_key)",
)
#: Columns added after the first release: a file made before them gets them on open (NULL in
#: old rows, which chose no recorded topic, so the topic query rightly never finds them).
_ADDED_COLUMNS = {"theme_key": "TEXT", "topic_at": "TEXT", "publications_due_at": "TEXT"}
_ADDED_INDEXES = (
    "CREATE INDEX IF NOT EXISTS jobs_theme_topic ON jobs (theme_key, topic_at)",
    "CREATE INDEX IF NOT EXISTS jobs_publications_due ON jobs (publications_due_at)",
)


class JobStoreUnavailableError(TrendreelError):
    """The SQLite file cannot be opened or used."""

    code = "job_store_unavailable"
    retryable = True
    hint = (
        "Check that the job database file is a readable, writable SQLite file (move it away to "
        "start from an empty store)."
    )


def _ts(value: datetime) -> str:
    """Fixed-width UTC ISO string: sorts lexicographically in time order."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timezone-aware datetime required, got naive {value.isoformat()}")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_INSERT = (
    "INSERT INTO jobs (id, status, idempotency_key, created_at, updated_at, theme_key, topic_at,"
    " publications_due_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _row_values(job: Job) -> tuple[str | None, ...]:
    """The columns after ``id``, in ``_INSERT``'s order (``update`` sets the same ones)."""
    return (
        job.status.value,
        job.idempotency_key,
        _ts(job.created_at),
        _ts(job.updated_at),
        theme_key(job.theme),
        _ts(job.topic.chosen_at) if job.topic is not None else None,
        _ts(job.publications_due_at) if job.publications_due_at is not None else None,
        job.model_dump_json(),
    )


def _parse(doc: str) -> Job:
    return Job.model_validate_json(doc)


def _create_schema(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)
    _add_missing_columns(conn)


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    present = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
    for name, kind in _ADDED_COLUMNS.items():
        if name not in present:
            conn.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")
    for statement in _ADDED_INDEXES:
        conn.execute(statement)


class SqliteJobStore:
    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self._file = SqliteFile(path, _create_schema, busy_timeout=busy_timeout)
        self.path = self._file.path
        self.busy_timeout = busy_timeout

    def __repr__(self) -> str:
        return f"SqliteJobStore({str(self.path)!r})"

    # -- connections ---------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._file.open()
        except (sqlite3.Error, OSError) as exc:
            raise self._unavailable(exc) from exc
        with closing(conn):
            yield conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction holding the database's write lock from its first read.

        Whatever the body raises rolls the transaction back and propagates unchanged."""
        with self._connection() as conn:
            self._sql(conn, "BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                with suppress(sqlite3.Error):  # closing the connection rolls back anyway
                    conn.execute("ROLLBACK")
                raise
            self._sql(conn, "COMMIT")

    def _sql(
        self, conn: sqlite3.Connection, sql: str, params: Sequence[object] = ()
    ) -> sqlite3.Cursor:
        """Run one statement; a broken or locked-out file becomes JobStoreUnavailableError."""
        try:
            return conn.execute(sql, params)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: Exception) -> JobStoreUnavailableError:
        # The file's name only: this message can reach an api client, its folder must not.
        return JobStoreUnavailableError(
            f"job store {self.path.name} is unusable: {type(exc).__name__}: {exc}"
        )

    # -- JobStore ------------------------------------------------------------------------------

    def create(self, job: Job) -> tuple[Job, bool]:
        values = _row_values(job)
        with self._write() as conn:
            if job.idempotency_key is not None:
                row = self._sql(
                    conn, "SELECT doc FROM jobs WHERE idempotency_key = ?", (job.idempotency_key,)
                ).fetchone()
                if row is not None:
                    return _parse(row[0]), False
            try:
                self._sql(conn, _INSERT, (job.id, *values))
            except sqlite3.IntegrityError as exc:
                # The key was checked under the write lock, so this is the id: a bug upstream.
                raise ValueError(f"a job with id {job.id!r} already exists") from exc
        return job, True

    def get(self, job_id: str) -> Job | None:
        with self._connection() as conn:
            row = self._sql(conn, "SELECT doc FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else _parse(row[0])

    def update(self, job_id: str, mutate: Mutation) -> Job:
        with self._write() as conn:
            row = self._sql(conn, "SELECT doc FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise JobNotFoundError(job_id)
            result = mutate(_parse(row[0]))
            if not isinstance(result, Job):
                raise TypeError(f"mutation returned {type(result).__name__}, not a Job")
            if result.id != job_id:
                raise ValueError(f"mutation changed the job id from {job_id!r} to {result.id!r}")
            # model_copy(update=...) does not validate: round-trip so only valid documents land.
            doc = result.model_dump_json()
            new = _parse(doc)
            if doc == row[0]:
                return new  # nothing changed (e.g. a duplicate completion): no write
            try:
                self._sql(
                    conn,
                    "UPDATE jobs SET status = ?, idempotency_key = ?, created_at = ?,"
                    " updated_at = ?, theme_key = ?, topic_at = ?, publications_due_at = ?,"
                    " doc = ?"
                    " WHERE id = ?",
                    (*_row_values(new), job_id),
                )
            except sqlite3.IntegrityError as exc:
                raise ValueError(
                    f"idempotency key {new.idempotency_key!r} is used by another job"
                ) from exc
        return new

    def list_jobs(
        self, *, status: JobStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[Job], str | None]:
        check_limit(limit, MAX_PAGE)
        where: list[str] = []
        params: list[str | int] = []
        if status is not None:
            where.append("status = ?")
            params.append(JobStatus(status).value)
        if cursor is not None:
            where.append("id < ?")
            params.append(check_cursor(cursor))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        params.append(limit + 1)  # one extra row tells whether another page exists
        with self._connection() as conn:
            rows = self._sql(
                conn,
                f"SELECT id, doc FROM jobs {clause} ORDER BY id DESC LIMIT ?",  # noqa: S608
                params,
            ).fetchall()
        page = rows[:limit]
        next_cursor = page[-1][0] if len(rows) > limit else None
        return [_parse(doc) for _, doc in page], next_cursor

    def stuck(self, *, updated_before: datetime, limit: int) -> list[Job]:
        check_limit(limit, None)
        with self._connection() as conn:
            rows = self._sql(
                conn,
                "SELECT doc FROM jobs WHERE status IN (?, ?) AND updated_at < ?"
                " ORDER BY updated_at, id LIMIT ?",
                (JobStatus.PENDING.value, JobStatus.RUNNING.value, _ts(updated_before), limit),
            ).fetchall()
        return [_parse(doc) for (doc,) in rows]

    def recent_topics(self, theme: str, *, since: datetime, limit: int) -> list[UsedTopic]:
        check_limit(limit, MAX_PAGE)
        with self._connection() as conn:
            rows = self._sql(
                conn,
                "SELECT doc FROM jobs WHERE theme_key = ? AND topic_at >= ?"
                " ORDER BY topic_at DESC, id DESC LIMIT ?",
                (theme_key(theme), _ts(since), limit),
            ).fetchall()
        return [used for (doc,) in rows if (used := _parse(doc).used_topic()) is not None]

    def publications_due(self, *, due_before: datetime, limit: int) -> list[Job]:
        check_limit(limit, MAX_PAGE)
        with self._connection() as conn:
            rows = self._sql(
                conn,
                "SELECT doc FROM jobs WHERE publications_due_at <= ?"
                " ORDER BY publications_due_at, id"
                " LIMIT ?",
                (_ts(due_before), limit),
            ).fetchall()
        return [_parse(doc) for (doc,) in rows]

    def ping(self) -> None:
        with self._connection() as conn:
            self._sql(conn, "SELECT 1 FROM jobs LIMIT 1").fetchall()
