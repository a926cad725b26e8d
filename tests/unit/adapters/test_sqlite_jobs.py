"""SQLite-only behaviour: several processes on one file, persistence, unusable files."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from trendreel import lifecycle
from trendreel.adapters.sqlite_jobs import JobStoreUnavailableError, SqliteJobStore
from trendreel.config import load_default_config
from trendreel.models import Job, JobStatus, Stage, Trigger

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
INCREMENTS = 30


def make_job(job_id: str = "20240501T120000-aaaa0001", key: str | None = None) -> Job:
    return lifecycle.new_job(
        job_id, load_default_config(), now=NOW, trigger=Trigger.CLI, idempotency_key=key
    )


def add_sweep(job: Job) -> Job:
    return job.model_copy(update={"sweeps": job.sweeps + 1})


def increment_in_process(path: str, job_id: str, times: int, start: Any) -> None:
    """Runs in a spawned process: its own store on the same file."""
    store = SqliteJobStore(Path(path))
    start.wait(30)
    for _ in range(times):
        store.update(job_id, add_sweep)


def test_two_processes_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = SqliteJobStore(path)
    job = make_job()
    store.create(job)

    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    procs = [
        ctx.Process(target=increment_in_process, args=(str(path), job.id, INCREMENTS, start))
        for _ in range(2)
    ]
    for proc in procs:
        proc.start()
    try:
        for proc in procs:
            proc.join(timeout=60)
        assert [p.exitcode for p in procs] == [0, 0]
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
                proc.join()
            proc.close()

    stored = store.get(job.id)
    assert stored is not None
    assert stored.sweeps == 2 * INCREMENTS


def test_data_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "home" / "jobs.sqlite3"
    first = SqliteJobStore(path)
    job = make_job(key="k1")
    first.create(job)
    first.update(job.id, lambda j: lifecycle.claim(j, Stage.TREND_COLLECTION, 1, "h", NOW, 30, 10))
    del first

    second = SqliteJobStore(path)
    stored = second.get(job.id)
    assert stored is not None
    assert stored.status == JobStatus.RUNNING
    assert second.create(make_job("20240501T120005-aaaa0002", key="k1")) == (stored, False)
    assert second.list_jobs(status=JobStatus.RUNNING, limit=5, cursor=None) == ([stored], None)


def test_the_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "home" / "jobs.sqlite3"
    store = SqliteJobStore(path)
    store.ping()
    reader = sqlite3.connect(path)  # while a connection is open the WAL files stay
    try:
        reader.execute("SELECT 1 FROM jobs").fetchall()
        store.create(make_job())
        modes = {p.name: p.stat().st_mode & 0o777 for p in path.parent.iterdir()}
    finally:
        reader.close()
    assert "jobs.sqlite3-wal" in modes  # WAL mode: SQLite made its side files too
    assert modes == dict.fromkeys(modes, 0o600)


def test_an_older_world_readable_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    SqliteJobStore(path).ping()
    path.chmod(0o644)
    SqliteJobStore(path).ping()
    assert path.stat().st_mode & 0o777 == 0o600


def test_file_is_in_wal_mode_with_indexes(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    SqliteJobStore(path).ping()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        indexes = {row[1] for row in conn.execute("PRAGMA index_list(jobs)")}
    finally:
        conn.close()
    assert {"jobs_status_id", "jobs_status_updated", "jobs_idempotency_key"} <= indexes


def test_list_and_stuck_use_indexes(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    SqliteJobStore(path).ping()
    conn = sqlite3.connect(path)
    try:

        def plan(sql: str, *params: object) -> str:
            return " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))

        assert "USING INDEX jobs_status_id" in plan(
            "SELECT id, doc FROM jobs WHERE status = ? AND id < ? ORDER BY id DESC LIMIT ?",
            "pending",
            "x",
            10,
        )
        assert "SCAN jobs USING INDEX" in plan(
            "SELECT id, doc FROM jobs ORDER BY id DESC LIMIT ?", 10
        )
        assert "USING INDEX jobs_status_updated" in plan(
            "SELECT doc FROM jobs WHERE status IN (?, ?) AND updated_at < ?"
            " ORDER BY updated_at, id LIMIT ?",
            "pending",
            "running",
            "x",
            10,
        )
    finally:
        conn.close()


def test_unusable_file_raises_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    path.write_bytes(b"this is not a database, just some text " * 100)
    store = SqliteJobStore(path)
    with pytest.raises(JobStoreUnavailableError, match=r"jobs\.sqlite3"):
        store.ping()
    with pytest.raises(JobStoreUnavailableError):
        store.get("20240501T120000-aaaa0001")


def test_directory_path_raises_clear_error(tmp_path: Path) -> None:
    with pytest.raises(JobStoreUnavailableError, match="unusable"):
        SqliteJobStore(tmp_path).ping()


def test_update_rejects_a_result_that_is_not_the_same_job(tmp_path: Path) -> None:
    store = SqliteJobStore(tmp_path / "jobs.sqlite3")
    job = make_job()
    store.create(job)
    with pytest.raises(TypeError, match="not a Job"):
        store.update(job.id, lambda j: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="job id"):
        store.update(job.id, lambda j: j.model_copy(update={"id": "20240501T120000-other"}))
    with pytest.raises(ValueError, match="sweeps"):
        store.update(job.id, lambda j: j.model_copy(update={"sweeps": -1}))
    assert store.get(job.id) == job


def test_update_without_change_keeps_document(tmp_path: Path) -> None:
    store = SqliteJobStore(tmp_path / "jobs.sqlite3")
    job = make_job()
    store.create(job)
    assert store.update(job.id, lambda j: j) == job
    assert store.get(job.id) == job


def test_stuck_requires_aware_cutoff_and_positive_limit(tmp_path: Path) -> None:
    store = SqliteJobStore(tmp_path / "jobs.sqlite3")
    with pytest.raises(ValueError, match="timezone"):
        store.stuck(updated_before=datetime(2024, 5, 1, 12, 0), limit=10)
    with pytest.raises(ValueError, match="limit"):
        store.stuck(updated_before=NOW, limit=0)
