"""The server process killed in the middle of composition: after a restart the job resumes
(the stage's lease expires, the queue redelivers) and completes, nothing lost or duplicated."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import TOKEN, finished, short_config, wait_for_job

pytestmark = pytest.mark.slow
COMPOSITION_TIMEOUT = 12  # seconds: the lease and dispatch deadline the restart waits out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(home: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "TRENDREEL_HOME": str(home),
        "TRENDREEL_API_TOKEN": TOKEN,
        "TRENDREEL_STAGE_TIMEOUTS": json.dumps({"composition": COMPOSITION_TIMEOUT}),
        "TRENDREEL_QUEUE_MIN_BACKOFF_SECONDS": "0.2",
        "TRENDREEL_QUEUE_MAX_BACKOFF_SECONDS": "1",
        "TRENDREEL_SWEEPER_GRACE_SECONDS": "1",
        "TRENDREEL_PROGRESS_INTERVAL_SECONDS": "0.2",
    }
    cmd = [sys.executable, "-m", "trendreel.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_healthy(port, proc)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("serve did not become healthy")


def test_a_killed_server_resumes_the_job_after_restart(tmp_path: Path) -> None:
    home, port = tmp_path / "home", _free_port()
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with serve(home, port) as proc:
        job_id = client.post("/generate", json={"config": short_config(12)}).json()["job_id"]
        composing = wait_for_job(
            client,
            job_id,
            lambda j: (
                j["stage"] == "composition"
                and j["status"] == "running"
                and (j["stages"].get("composition") or {}).get("progress", 0) > 0.05
            ),
            timeout=90,
        )
        assert composing["completed_stages"] == [
            "trend_collection",
            "trend_analysis",
            "content_generation",
        ]
        proc.kill()  # SIGKILL: no cleanup, no goodbye
        proc.wait()

    with serve(home, port):
        done = wait_for_job(client, job_id, finished, timeout=120)
    client.close()

    assert done["status"] == "completed", done
    assert done["completed_stages"] == [
        "trend_collection", "trend_analysis", "content_generation", "composition", "review",
    ]  # fmt: skip
    assert done["stages"]["composition"]["attempts"] == 2
    assert done["stages"]["content_generation"]["attempts"] == 1
    composition = sorted(
        p.name for p in (home / "blobs" / "jobs" / job_id / "composition").iterdir()
    )
    assert composition == ["captions.json", "result.json", "thumbnail.jpg", "video.mp4"]
    leftovers = [p for p in (home / "blobs").rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []
    assert list((home / "scratch").iterdir()) == []  # the killed process's scratch was removed
