"""The whole pipeline with ``backend = gcp`` on one machine: the three emulators, and every
function in its own functions-framework process on 127.0.0.1, as separate Cloud Run services.

    with GcpStack() as stack:               # skips (pytest) when an emulator cannot start
        api = stack.api_client()            # Authorization: Bearer <the run's API key>
        job_id = submit(api)
        stack.wait_for_job(api, job_id, finished)
        stack.job_document(job_id)          # the Firestore document, read directly
        stack.object_names(f"jobs/{job_id}/")   # the bucket, listed directly

What runs, all bound to 127.0.0.1 and stopped by PID when the block ends (also on failure):

- the Firestore emulator (Java) and the Cloud Tasks emulator (its own virtualenv), started by
  ``tests.contract.gcp_fixtures``; the Cloud Storage emulator inside this process;
- ``functions-framework --source functions/<name>/main.py --target handle`` for each of
  FUNCTIONS, each on its own port. ``TRENDREEL_FUNCTION_URLS`` gives every function the URL of
  every other one (on Cloud Run each service has its own URL too); ``TRENDREEL_STAGE_AUTH=none``
  because the Tasks emulator sends no OIDC token; the api accepts an API key listed by its
  SHA-256 in ``TRENDREEL_API_KEY_HASHES``. Each run has its own HOME, and each function its own
  TMPDIR (Cloud Run's /tmp is per instance).

One command runs a job end to end and prints what Firestore and Cloud Storage hold::

    python -m tests.e2e.gcp_stack demo
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from tests.contract import gcp_fixtures
from tests.e2e.conftest import finished, short_config

HOST = gcp_fixtures.HOST
PROJECT = gcp_fixtures.PROJECT
LOCATION = gcp_fixtures.LOCATION
QUEUE = "trendreel-stages"
COLLECTION = "jobs"
REPO = Path(__file__).resolve().parents[2]
STAGES = ("trend_collection", "trend_analysis", "content_generation", "composition", "review")
FUNCTIONS = ("api", *STAGES, "sweeper")
READY_TIMEOUT = 90.0  # seven Python processes importing the Google clients on two cores
STOP_TIMEOUT = 15.0  # gunicorn's graceful stop waits for requests in flight; then SIGKILL
_EMULATOR_VARS = ("FIRESTORE_EMULATOR_HOST", "STORAGE_EMULATOR_HOST", "CLOUD_TASKS_EMULATOR_HOST")
_INHERITED_PREFIXES = ("TRENDREEL_", "GOOGLE_", "CLOUDSDK_", "GCLOUD_")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _functions_framework() -> str:
    beside = Path(sys.executable).with_name("functions-framework")
    found = str(beside) if beside.is_file() else shutil.which("functions-framework")
    if found is None:
        raise RuntimeError("functions-framework not found (pip install -e '.[dev]')")
    return found


def _children(pid: int) -> list[int]:
    """PIDs whose parent is ``pid`` (gunicorn's workers under its master)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _is_function_process(pid: int) -> bool:
    try:
        return b"functions-framework" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


class FunctionProcess:
    """One function served by functions-framework (a gunicorn master and its worker)."""

    def __init__(self, name: str, port: int, env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.port = port
        self.url = f"http://{HOST}:{port}/"
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        argv = [_functions_framework(), "--source", f"functions/{name}/main.py"]
        argv += ["--target", "handle", "--host", HOST, "--port", str(port)]
        self.popen = subprocess.Popen(
            argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.pid = self.popen.pid

    def wait_ready(self, deadline: float) -> None:
        """Until the api's /health says ok, or a stage function answers GET with 405."""
        path, expected = ("health", 200) if self.name == "api" else ("", 405)
        last = "no answer"
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}"
                )
            try:
                answer = httpx.get(self.url + path, timeout=5)
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            else:
                if answer.status_code == expected:
                    return
                last = f"{answer.status_code} {answer.text[:300]}"
                if self.name != "api":  # a stage answers at once or never the right way
                    break
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready (last: {last}):\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def terminate(self) -> list[int]:
        """SIGTERM to this PID (gunicorn stops its worker); returns the worker PIDs seen."""
        workers = _children(self.pid)
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it may have just exited
                os.kill(self.pid, signal.SIGTERM)
        return workers

    def wait_stopped(self, workers: list[int], timeout: float) -> None:
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        for pid in workers:  # normally gone with their master; never leave one behind
            if _is_function_process(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self._log.close()


@dataclass(frozen=True)
class Emulators:
    firestore: Any  # gcp_fixtures.FirestoreEmulator
    storage: Any  # gcp_fixtures.StorageEmulator
    tasks: Any  # gcp_fixtures.TasksEmulator


class GcpStack:
    """The emulators plus one process per function; a context manager that stops them all."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.api_key = "trk_" + secrets.token_urlsafe(32)  # this run only; sent, never logged
        self.extra_env = dict(env or {})
        self.bucket_name = f"trendreel-e2e-{secrets.token_hex(6)}"
        self.queue_path = f"projects/{PROJECT}/locations/{LOCATION}/queues/{QUEUE}"
        self.functions: dict[str, FunctionProcess] = {}
        self.dir = Path(tempfile.mkdtemp(prefix="trendreel-gcp-stack-"))
        self._emulators: dict[str, Any] = {}

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> GcpStack:
        try:
            self.start()
        except BaseException:  # pytest's skip too: whatever started is stopped
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if isinstance(exc, Exception):  # a failure, not a skip, Ctrl-C or SIGTERM
            self.print_logs()
        self.stop()

    def start(self) -> None:
        self._start_emulators()
        self.emulators.storage.client.create_bucket(self.bucket_name)
        self.emulators.tasks.client.create_queue(
            parent=f"projects/{PROJECT}/locations/{LOCATION}", queue={"name": self.queue_path}
        )
        self._start_functions()

    def _start_emulators(self) -> None:
        starters: dict[str, Callable[[], Any]] = {
            "firestore": gcp_fixtures.start_firestore_emulator,
            "storage": gcp_fixtures.start_storage_emulator,
            "tasks": gcp_fixtures.start_tasks_emulator,
        }
        failures = []
        with ThreadPoolExecutor(len(starters)) as pool:  # Java's start-up dominates: overlap
            futures = {name: pool.submit(start) for name, start in starters.items()}
            try:
                wait(futures.values())
            finally:
                wait(futures.values())  # after a Ctrl-C too: what starts is recorded, then stopped
                for name, future in futures.items():
                    error = future.exception()
                    if error is None:
                        self._emulators[name] = future.result()
                    else:
                        failures.append(f"{name} emulator unavailable: {error}")
        if failures:
            gcp_fixtures.unavailable("; ".join(failures))

    @property
    def emulators(self) -> Emulators:
        return Emulators(**self._emulators)

    def function_env(self, urls: Mapping[str, str], name: str) -> dict[str, str]:
        tmp = self.dir / "tmp" / name
        tmp.mkdir(parents=True)
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(_INHERITED_PREFIXES) and k not in _EMULATOR_VARS
        }
        e = self.emulators
        return {
            **inherited,
            "HOME": str(self.dir / "home"),
            "TMPDIR": str(tmp),
            "PYTHONUNBUFFERED": "1",
            "FIRESTORE_EMULATOR_HOST": e.firestore.host,
            "STORAGE_EMULATOR_HOST": e.storage.endpoint,
            "CLOUD_TASKS_EMULATOR_HOST": e.tasks.host,
            "TRENDREEL_BACKEND": "gcp",
            "TRENDREEL_GCP_PROJECT": PROJECT,
            "TRENDREEL_GCP_LOCATION": LOCATION,
            "TRENDREEL_GCS_BUCKET": self.bucket_name,
            "TRENDREEL_FIRESTORE_COLLECTION": COLLECTION,
            "TRENDREEL_QUEUE_NAME": QUEUE,
            "TRENDREEL_TASK_MAX_ATTEMPTS": str(gcp_fixtures.TASKS_MAX_ATTEMPTS),
            "TRENDREEL_FUNCTION_URLS": json.dumps(dict(urls)),
            "TRENDREEL_STAGE_AUTH": "none",
            "TRENDREEL_API_KEY_HASHES": hashlib.sha256(self.api_key.encode()).hexdigest(),
            **self.extra_env,
        }

    def _start_functions(self) -> None:
        ports = {name: _free_port() for name in FUNCTIONS}
        urls = {name: f"http://{HOST}:{port}/" for name, port in ports.items()}
        (self.dir / "home").mkdir()
        (self.dir / "logs").mkdir()
        for name in FUNCTIONS:
            env = self.function_env(urls, name)
            log = self.dir / "logs" / f"{name}.log"
            self.functions[name] = FunctionProcess(name, ports[name], env, log)
        deadline = time.monotonic() + READY_TIMEOUT
        for process in self.functions.values():
            process.wait_ready(deadline)

    def stop(self) -> None:
        """Stop every process by its PID: functions first (all at once), then the emulators."""
        workers = {name: p.terminate() for name, p in self.functions.items()}
        for name, process in self.functions.items():
            try:
                process.wait_stopped(workers[name], STOP_TIMEOUT)
            except Exception as exc:
                print(f"stopping {name} (pid {process.pid}): {exc}", file=sys.stderr)
        self.functions.clear()
        for name in ("tasks", "firestore", "storage"):
            emulator = self._emulators.pop(name, None)
            if emulator is not None:
                try:
                    emulator.stop()
                except Exception as exc:
                    print(f"stopping the {name} emulator: {exc}", file=sys.stderr)
        shutil.rmtree(self.dir, ignore_errors=True)

    def print_logs(self, lines: int = 40) -> None:
        for name, process in self.functions.items():
            print(f"----- {name} (pid {process.pid}) -----\n{process.tail(lines)}", file=sys.stderr)

    # -- clients -------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self.functions["api"].url.rstrip("/")

    def api_client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.api_key if key is None else key}"}
        return httpx.Client(base_url=self.api_url, headers=headers, timeout=30)

    def job_document(self, job_id: str) -> dict[str, Any]:
        """The job's Firestore document as stored (``job`` holds the whole Job as JSON)."""
        snapshot = self.emulators.firestore.client.collection(COLLECTION).document(job_id).get()
        assert snapshot.exists, f"no Firestore document {COLLECTION}/{job_id}"
        return dict(snapshot.to_dict())

    def bucket(self) -> Any:
        return self.emulators.storage.client.bucket(self.bucket_name)

    def object_names(self, prefix: str) -> list[str]:
        return sorted(b.name for b in self.bucket().list_blobs(prefix=prefix))

    # -- the queue, as an operator drives it (gcloud tasks queues pause / resume, tasks run) ---

    def pause_queue(self) -> None:
        self.emulators.tasks.client.pause_queue(name=self.queue_path)

    def resume_queue(self) -> None:
        self.emulators.tasks.client.resume_queue(name=self.queue_path)

    def tasks(self) -> list[Any]:
        from google.cloud import tasks_v2

        request = {"parent": self.queue_path, "response_view": tasks_v2.Task.View.FULL}
        return list(self.emulators.tasks.client.list_tasks(request=request))

    def run_task(self, name: str) -> None:
        """Deliver one task now (RunTask), even on a paused queue; returns once it answered."""
        self.emulators.tasks.client.run_task(name=name, timeout=300)

    # -- jobs ----------------------------------------------------------------------------------

    @staticmethod
    def wait_for_job(
        api: httpx.Client,
        job_id: str,
        done: Callable[[dict[str, Any]], bool] = finished,
        timeout: float = 240.0,
        on_poll: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        job: dict[str, Any] = {}
        while time.monotonic() < deadline:
            answer = api.get(f"/jobs/{job_id}")
            assert answer.status_code == 200, answer.text
            job = answer.json()
            if on_poll is not None:
                on_poll(job)
            if done(job):
                return job
            time.sleep(0.5)  # every poll is a Firestore read: keep the two cores for the stages
        raise AssertionError(f"job {job_id} did not get there in {timeout:.0f} s: {job}")


def submit(api: httpx.Client, seconds: int = 5) -> str:
    accepted = api.post("/generate", json={"config": short_config(seconds)})
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["job_id"])


# -- python -m tests.e2e.gcp_stack demo ----------------------------------------------------------


def _demo(stack: GcpStack) -> None:
    for name, process in stack.functions.items():
        print(f"  {name:<19} {process.url}  pid {process.pid}")
    with stack.api_client() as api:
        job_id = submit(api)
        print(f"\nPOST /generate -> job {job_id}")
        seen: list[str] = []

        def show(job: dict[str, Any]) -> None:
            line = f"  {job['status']:<9} {job['stage']:<19} {job['progress_pct']:5.1f}%"
            if not seen or seen[-1] != line:
                seen.append(line)
                print(line, flush=True)

        job = stack.wait_for_job(api, job_id, on_poll=show)
    doc = stack.job_document(job_id)
    stored = doc["job"]
    print(f"\nFirestore {COLLECTION}/{job_id}: status={doc['status']} "
          f"generation={stored['generation']} updated_at={doc['updated_at']}")  # fmt: skip
    for stage in stored["completed_stages"]:
        run = stored["stages"][stage]
        start, end = (datetime.fromisoformat(run[k]) for k in ("started_at", "finished_at"))
        print(f"  {stage:<19} attempts={run['attempts']}  {(end - start).total_seconds():6.1f} s")
    print(f"\nCloud Storage gs://{stack.bucket_name}/jobs/{job_id}/")
    for blob in sorted(stack.bucket().list_blobs(prefix=f"jobs/{job_id}/"), key=lambda b: b.name):
        print(f"  {blob.size:>10}  {blob.content_type or '':<18} {blob.name}")
    if job["status"] != "completed":
        raise SystemExit(f"job {job_id} ended {job['status']}: {job.get('error_message')}")


def main(argv: list[str]) -> int:
    if argv != ["demo"]:
        print(f"usage: {sys.executable} -m tests.e2e.gcp_stack demo", file=sys.stderr)
        return 2

    def stop_on_sigterm(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)  # unwinds through the with block: everything is stopped

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    # The in-process Storage emulator logs every 404 as an error; exists() probes expect them.
    logging.getLogger("gcp_storage_emulator").setLevel(logging.CRITICAL)
    started = time.monotonic()
    try:
        print("starting the Firestore, Cloud Storage and Cloud Tasks emulators and 7 functions")
        with GcpStack() as stack:
            print(f"ready in {time.monotonic() - started:.1f} s")
            _demo(stack)
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:
        print(f"cannot run: {exc.msg}", file=sys.stderr)
        return 2
    print(f"\nall processes stopped; {time.monotonic() - started:.1f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
