"""Local-mode end-to-end fixtures: a real LocalServer (HTTP-delivered functions, SQLite jobs,
the durable queue) on 127.0.0.1 with a temporary TRENDREEL_HOME."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from trendreel.config import apply_overrides, load_default_config
from trendreel.local_server import LocalServer
from trendreel.settings import Settings

TOKEN = "e2e-test-token-0123456789"


def e2e_settings(home: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "home": home,
        "port": 0,
        "api_token": TOKEN,
        "queue_min_backoff_seconds": 0.2,
        "queue_max_backoff_seconds": 1.0,
        "sweeper_grace_seconds": 1,
        "progress_interval_seconds": 0.2,
        **overrides,
    }
    return Settings(**values)


def short_config(seconds: int = 5) -> dict[str, Any]:
    config = apply_overrides(load_default_config(), video_duration_seconds=seconds)
    return config.model_dump(mode="json")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    with LocalServer(e2e_settings(tmp_path / "home"), sweep_every=0.5) as running:
        yield running


@pytest.fixture
def api(server: LocalServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        yield client


def wait_for_job(
    api: httpx.Client,
    job_id: str,
    done: Callable[[dict[str, Any]], bool],
    timeout: float = 120.0,
    seen: list[str] | None = None,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get(f"/jobs/{job_id}").json()
        if seen is not None:
            seen.append(job["status"])
        if done(job):
            return dict(job)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not get there in {timeout} s: {job}")


def finished(job: dict[str, Any]) -> bool:
    return job["status"] in ("completed", "failed")


def mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime)
