"""WebhookStore on a SQLite file (local mode): ``webhooks.sqlite3`` under TRENDREEL_HOME.

Three tables: endpoints (the secret in its own column, never inside the JSON document, so no
document dump can carry it), events, and deliveries keyed by (event, endpoint). The file is
readable by its owner only, like the job store and the queue: endpoint secrets live in it.
As in ``sqlite_jobs``, every call opens its own connection (WAL, busy timeout) and every write
is one ``BEGIN IMMEDIATE`` transaction, so several processes can share the file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trendreel.adapters.sqlite_file import BUSY_TIMEOUT_SECONDS, SqliteFile, write_transaction
from trendreel.webhooks.errors import WebhookStoreUnavailableError
from trendreel.webhooks.models import DeliveryRecord, Endpoint, Event
from trendreel.webhooks.ports import MAX_ENDPOINTS

_SCHEMA = """
CREATE TABLE IF NOT EXISTS endpoints (
    id         TEXT PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    secret     TEXT,
    doc        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS endpoints_kind_created ON endpoints (kind, created_at);
CREATE TABLE IF NOT EXISTS events (
    id         TEXT PRIMARY KEY NOT NULL,
    created_at TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    event_id    TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    doc         TEXT NOT NULL,
    PRIMARY KEY (event_id, endpoint_id)
);
"""
# The latest record wins, except over one that says the receiver got the event.
_RECORD = """
INSERT INTO deliveries (event_id, endpoint_id, status, doc) VALUES (?, ?, ?, ?)
ON CONFLICT (event_id, endpoint_id) DO UPDATE SET status = excluded.status, doc = excluded.doc
WHERE deliveries.status != 'delivered'
"""


def _ts(value: datetime) -> str:
    """Fixed-width UTC: sorts in time order as text."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _endpoint(secret: str | None, doc: str) -> Endpoint:
    return Endpoint.model_validate({**json.loads(doc), "secret": secret})


def _endpoint_row(endpoint: Endpoint) -> tuple[Any, ...]:
    secret = endpoint.secret.get_secret_value() if endpoint.secret is not None else None
    doc = endpoint.model_dump_json(exclude={"secret"})
    return endpoint.id, endpoint.kind, _ts(endpoint.created_at), secret, doc


def _create_schema(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


class SqliteWebhookStore:
    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self._file = SqliteFile(path, _create_schema, busy_timeout=busy_timeout)
        self.path = self._file.path
        self.busy_timeout = busy_timeout

    def __repr__(self) -> str:
        return f"SqliteWebhookStore({str(self.path)!r})"

    # -- plumbing ------------------------------------------------------------------------------

    @contextmanager
    def _connection(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection for one call; ``write`` holds the write lock from the first read.
        SQLite failures become WebhookStoreUnavailableError naming the file, not its folder."""
        try:
            with closing(self._file.open()) as conn:
                if not write:
                    yield conn
                    return
                with write_transaction(conn):
                    yield conn
        except (sqlite3.Error, OSError) as exc:
            message = f"webhook store {self.path.name} is unusable: {type(exc).__name__}: {exc}"
            raise WebhookStoreUnavailableError(message) from exc

    # -- endpoints -----------------------------------------------------------------------------

    def put_endpoint(self, endpoint: Endpoint) -> Endpoint:
        with self._connection(write=True) as conn:
            conn.execute(
                "INSERT INTO endpoints (id, kind, created_at, secret, doc) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO NOTHING",
                _endpoint_row(endpoint),
            )
            row = conn.execute(
                "SELECT secret, doc FROM endpoints WHERE id = ?", (endpoint.id,)
            ).fetchone()
        return _endpoint(*row)

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT secret, doc FROM endpoints WHERE id = ?", (endpoint_id,)
            ).fetchone()
        return None if row is None else _endpoint(*row)

    def list_endpoints(self) -> list[Endpoint]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT secret, doc FROM endpoints WHERE kind = 'registered'"
                " ORDER BY created_at, id LIMIT ?",
                (MAX_ENDPOINTS + 1,),
            ).fetchall()
        return [_endpoint(secret, doc) for secret, doc in rows]

    def delete_endpoint(self, endpoint_id: str) -> bool:
        with self._connection(write=True) as conn:
            deleted = conn.execute("DELETE FROM endpoints WHERE id = ?", (endpoint_id,)).rowcount
        return deleted == 1

    # -- events and deliveries -----------------------------------------------------------------

    def put_event(self, event: Event) -> Event:
        created = _ts(event.created_at)
        with self._connection(write=True) as conn:
            conn.execute(
                "INSERT INTO events (id, created_at, doc) VALUES (?, ?, ?)"
                " ON CONFLICT (id) DO NOTHING",
                (event.id, created, event.model_dump_json()),
            )
            (doc,) = conn.execute("SELECT doc FROM events WHERE id = ?", (event.id,)).fetchone()
        return Event.model_validate_json(doc)

    def get_event(self, event_id: str) -> Event | None:
        with self._connection() as conn:
            row = conn.execute("SELECT doc FROM events WHERE id = ?", (event_id,)).fetchone()
        return None if row is None else Event.model_validate_json(row[0])

    def record_delivery(self, record: DeliveryRecord) -> None:
        values = (record.event_id, record.endpoint_id, record.status, record.model_dump_json())
        with self._connection(write=True) as conn:
            conn.execute(_RECORD, values)

    def get_delivery(self, event_id: str, endpoint_id: str) -> DeliveryRecord | None:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT doc FROM deliveries WHERE event_id = ? AND endpoint_id = ?",
                (event_id, endpoint_id),
            ).fetchone()
        return None if row is None else DeliveryRecord.model_validate_json(row[0])

    def ping(self) -> None:
        with self._connection() as conn:
            conn.execute("SELECT 1 FROM endpoints LIMIT 1").fetchall()
