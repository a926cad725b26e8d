"""A jobs.sqlite3 made before topic history gets its columns on open and keeps every job."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trendreel import lifecycle
from trendreel.adapters.sqlite_jobs import SqliteJobStore
from trendreel.config import load_default_config
from trendreel.models import Stage, Trigger
from trendreel.models.trends import TopicRecord

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
#: The schema of the first release, before ``theme_key`` and ``topic_at``.
OLD_SCHEMA = """
CREATE TABLE jobs (
    id              TEXT PRIMARY KEY NOT NULL,
    status          TEXT NOT NULL,
    idempotency_key TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    doc             TEXT NOT NULL
);
CREATE INDEX jobs_status_id ON jobs (status, id);
"""


def test_an_old_file_is_upgraded_in_place_and_records_topics(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    old = lifecycle.new_job("20250314T110000-old00001", load_default_config(), now=NOW,
                            trigger=Trigger.CLI)  # fmt: skip
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute(
            "INSERT INTO jobs VALUES (?, ?, NULL, ?, ?, ?)",
            (old.id, old.status.value, "2025-03-14", "2025-03-14", old.model_dump_json()),
        )
    conn.close()

    store = SqliteJobStore(path)
    assert store.get(old.id) == old
    theme = old.theme
    assert store.recent_topics(theme, since=NOW - timedelta(days=7), limit=10) == []

    record = TopicRecord(
        label="phone battery", keywords=[], item_ids=[], total_velocity=1.0, chosen_at=NOW
    )
    stage = Stage.TREND_ANALYSIS
    store.update(old.id, lambda j: lifecycle.claim(j, stage, 1, "h", NOW, 30, 10))
    store.update(old.id, lambda j: lifecycle.complete(j, stage, "h", {}, NOW, record))
    found = store.recent_topics(theme, since=NOW - timedelta(days=7), limit=10)
    assert [(u.job_id, u.topic) for u in found] == [(old.id, record)]

    with sqlite3.connect(path) as check:
        columns = {row[1] for row in check.execute("PRAGMA table_info(jobs)")}
        indexes = {row[1] for row in check.execute("PRAGMA index_list(jobs)")}
    check.close()
    assert {"theme_key", "topic_at"} <= columns
    assert "jobs_theme_topic" in indexes
    SqliteJobStore(path).ping()  # opening it again finds nothing left to add
