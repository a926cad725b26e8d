"""``trendreel serve`` killed again and again with jobs in flight, on the settings users get.

Ten short jobs are submitted, then the server is SIGKILLed six times at random moments and
restarted each time. Every stage timeout, lease, backoff and sweeper interval is the default: a
stage's claim is a short lease renewed by a heartbeat, so a killed server's stages run again
about one lease after the restart, not after the stage's timeout (30 minutes for composition).
All ten jobs must complete within three minutes of the last restart, each with exactly one
video, and no scratch file may be left behind.

The seed of the kill schedule is printed; ``TRENDREEL_CRASH_SEED=N`` replays a run.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.e2e.conftest import TOKEN, finished, short_config

pytestmark = pytest.mark.slow
JOBS = 10
KILLS = 6
RECOVERY_LIMIT = 180.0  # seconds after the last restart
COMPOSITION_FILES = ["captions.json", "result.json", "thumbnail.jpg", "video.mp4"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _defaults_only() -> dict[str, str]:
    """This environment without any TRENDREEL_* setting: the defaults users get."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TRENDREEL_")}


@contextmanager
def serve(home: Path, port: int, log: IO[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    env = {**_defaults_only(), "TRENDREEL_HOME": str(home), "TRENDREEL_API_TOKEN": TOKEN}
    cmd = [sys.executable, "-m", "trendreel.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(port, proc)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("serve did not become healthy")


def _statuses(client: httpx.Client, job_ids: list[str]) -> dict[str, dict[str, object]]:
    return {job_id: client.get(f"/jobs/{job_id}").json() for job_id in job_ids}


def test_ten_jobs_survive_six_kills_on_default_settings(tmp_path: Path) -> None:
    seed = int(os.environ.get("TRENDREEL_CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    print(f"\ncrash schedule seed: {seed} (TRENDREEL_CRASH_SEED={seed} replays it)")
    home, port = tmp_path / "home", _free_port()
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )  # fmt: skip
    job_ids: list[str] = []
    in_flight_at_kill: list[int] = []
    with (tmp_path / "serve.log").open("wb") as log:
        for kill in range(KILLS):
            with serve(home, port, log) as proc:
                if not job_ids:
                    for _ in range(JOBS):
                        accepted = client.post("/generate", json={"config": short_config(5)})
                        assert accepted.status_code == 202, accepted.text
                        job_ids.append(accepted.json()["job_id"])
                time.sleep(rng.uniform(2.0, 15.0))  # a random moment of work
                running = [
                    j for j in _statuses(client, job_ids).values() if j["status"] == "running"
                ]
                in_flight_at_kill.append(len(running))
                proc.kill()  # SIGKILL: no cleanup, no goodbye
                proc.wait()
            print(f"kill {kill + 1}: {in_flight_at_kill[-1]} job(s) running")

        with serve(home, port, log):
            restarted = time.monotonic()
            deadline = restarted + RECOVERY_LIMIT
            jobs = _statuses(client, job_ids)
            while not all(finished(j) for j in jobs.values()) and time.monotonic() < deadline:
                time.sleep(1)
                jobs = _statuses(client, job_ids)
            recovered_in = time.monotonic() - restarted
    client.close()

    print(f"all {JOBS} jobs finished {recovered_in:.1f} s after the last restart")
    assert sum(in_flight_at_kill) > 0, "no kill caught a job mid-stage: nothing was tested"
    assert {j["status"] for j in jobs.values()} == {"completed"}, {
        job_id: (j["status"], j.get("error")) for job_id, j in jobs.items()
    }
    assert recovered_in <= RECOVERY_LIMIT
    blobs = home / "blobs" / "jobs"
    for job_id in job_ids:
        composition = sorted(p.name for p in (blobs / job_id / "composition").iterdir())
        assert composition == COMPOSITION_FILES, job_id  # one video, nothing duplicated
    assert sorted(p.name for p in blobs.iterdir()) == sorted(job_ids)
    assert [p for p in (home / "blobs").rglob("*") if p.name.startswith(".tmp-")] == []
    assert list((home / "scratch").iterdir()) == []  # the killed processes' scratch is gone
