"""One SQLite file opened the project's way, for every SQLite-backed store (jobs, webhooks).

Readable by its owner only (mode 600); write-ahead logging, so readers do not wait for the
writer; a busy timeout instead of immediate "database is locked"; no implicit transactions
(``isolation_level=None``: every write says ``BEGIN IMMEDIATE``, taking the write lock before
it reads); and the store's schema applied once per process, in a transaction of its own.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from trendreel.adapters.private_files import private_sqlite_file

BUSY_TIMEOUT_SECONDS = 10.0


class SqliteFile:
    def __init__(
        self,
        path: Path,
        init_schema: Callable[[sqlite3.Connection], None],
        *,
        busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._init_schema = init_schema
        self._ready = False
        self._lock = threading.Lock()

    def open(self) -> sqlite3.Connection:
        """A new connection (the caller closes it); the file and schema exist once it returns."""
        if not self._ready:
            private_sqlite_file(self.path)
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL
            if not self._ready:
                self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if self._ready:
                return
            self._enable_wal(conn)
            with write_transaction(conn):
                self._init_schema(conn)
            self._ready = True

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        # Switching the journal mode needs a moment alone with the file; a process opening it
        # at the same time can make the switch fail with "locked", so try again briefly.
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
                if str(mode).lower() != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back if the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
