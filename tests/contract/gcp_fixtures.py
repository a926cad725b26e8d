"""Google Cloud adapters on local emulators, for the contract suites (imported lazily).

Each emulator starts once per test session, on a free port on 127.0.0.1, and is stopped at the
end of the session (by PID for the two subprocesses). Each helper call gets fresh, private state
(a new collection, bucket or queue), so tests never see each other's data. When an emulator
cannot start, the helper skips the test with the reason (set ``TRENDREEL_REQUIRE_EMULATORS=1``
to fail instead, e.g. in CI).

- ``firestore_job_store(request)``: the Firestore emulator jar shipped with the Google Cloud CLI,
  run directly with Java 17 (``TRENDREEL_FIRESTORE_EMULATOR_JAR`` overrides where the jar is).
- ``gcs_blob_store(request)``: ``gcp-storage-emulator`` (dev extra), in this process.
- ``cloud_tasks_queue(request, url_template)``: ``gcloud-tasks-emulator``, which pins
  protobuf<5 and so lives in its own virtualenv under ``~/.cache/trendreel`` (created on first
  use from PyPI; or beforehand with ``python -m tests.contract.gcp_fixtures setup-tasks-emulator``;
  ``TRENDREEL_TASKS_EMULATOR_VENV`` points at an existing one). It runs through a small launcher
  (``_TASKS_LAUNCHER``) that binds it to 127.0.0.1 only and fills gaps the delivery protocol
  relies on: GetTask, NOT_FOUND for unknown queues, ALREADY_EXISTS for a reused task name, and
  tasks being delivered still count as listed/pending. It still retries without backoff and
  ignores dispatch deadlines: those are unit-tested on the adapter. Started with an identity
  URL (``start_tasks_emulator(identity_url=...)``), it sends a task's OIDC token as Cloud
  Tasks does (``Authorization: Bearer``, an ID token for the task's service account and
  audience, from the identity double's generateIdToken); without one it sends none.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

import pytest

from trendreel.ports import BlobStore, JobStore

HOST = "127.0.0.1"
PROJECT = "trendreel-test"
LOCATION = "us-central1"
START_TIMEOUT = 60.0
FIRESTORE_MAIN = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"
TASKS_EMULATOR_VERSION = "0.6.2"
#: Attempts per task on the Tasks emulator, like the default TRENDREEL_TASK_MAX_ATTEMPTS.
TASKS_MAX_ATTEMPTS = 5
UPLOAD_CHUNK = 1024 * 1024  # small, so a few-MB file goes up as a chunked resumable upload

_lock = threading.Lock()
_started: dict[str, Any] = {}  # emulator name -> running emulator, or the reason it cannot run


# -- shared plumbing ---------------------------------------------------------------------------


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("TRENDREEL_REQUIRE_EMULATORS") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


#: Attempts at binding the in-process storage emulator to a free port.
STORAGE_START_ATTEMPTS = 3


def _started_storage_server(create_server: Any) -> tuple[Any, int]:
    """The storage emulator listening on a free port. Its ``start()`` waits, with no timeout,
    for a thread that dies without a word when the port was taken meanwhile (another emulator
    starting in parallel can take a port ``_free_port`` just released): wait on that thread's
    flag with a timeout instead, and try another port."""
    for _ in range(STORAGE_START_ATTEMPTS):
        port = _free_port()
        server = create_server(HOST, port, in_memory=True)
        api = server._api  # the emulator's API thread: the only way to bound the wait
        api.start()
        if api.is_running.wait(timeout=10):
            return server, port
        api.join(timeout=1)
    raise RuntimeError(f"the storage emulator did not start in {STORAGE_START_ATTEMPTS} tries")


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    """Set an environment variable while a client reads it in its constructor."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


class _Process:
    """An emulator subprocess with its log file; stopped by its PID."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.name = name
        fd, log_path = tempfile.mkstemp(prefix=f"trendreel-{name}-", suffix=".log")
        os.close(fd)
        self.log_path = Path(log_path)
        self._log: IO[bytes] = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
        self.pid = self.popen.pid

    def wait_until(self, ready: Callable[[], bool], timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"exited with {self.popen.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if ready():
                    return
            time.sleep(0.1)
        raise RuntimeError(f"not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.kill(self.pid, signal.SIGTERM)  # this PID only
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        self._log.close()
        self.log_path.unlink(missing_ok=True)


def _port_open(port: int) -> bool:
    with socket.create_connection((HOST, port), timeout=1):
        return True


def _session_emulator(request: pytest.FixtureRequest, name: str, start: Callable[[], Any]) -> Any:
    """The session's running emulator ``name``: started on first use, stopped at session end.
    A failure to start is remembered, so later tests skip at once with the same reason."""
    with _lock:
        if name not in _started:
            try:
                emulator = start()
            except Exception as exc:
                _started[name] = f"{name} emulator unavailable: {exc}"
            else:
                _started[name] = emulator
                request.config.add_cleanup(lambda: _stop(name))
                atexit.register(_stop, name)  # if the session dies before cleanup
        found = _started[name]
    if isinstance(found, str):
        _unavailable(found)
    return found


def _stop(name: str) -> None:
    with _lock:
        emulator = _started.pop(name, None)
    if emulator is not None and not isinstance(emulator, str):
        emulator.stop()


# -- Firestore ---------------------------------------------------------------------------------


def _firestore_jar() -> Path:
    override = os.environ.get("TRENDREEL_FIRESTORE_EMULATOR_JAR")
    if override:
        return Path(override)
    roots = [Path("/usr/lib/google-cloud-sdk"), Path("/usr/share/google-cloud-sdk")]
    gcloud = shutil.which("gcloud")
    if gcloud:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [gcloud, "info", "--format=value(installation.sdk_root)"],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            roots.insert(0, Path(out.stdout.strip()))
    for root in roots:
        jar = root / "platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"
        if jar.is_file():
            return jar
    raise RuntimeError(
        "cloud-firestore-emulator.jar not found (install the Google Cloud CLI component "
        "cloud-firestore-emulator, or set TRENDREEL_FIRESTORE_EMULATOR_JAR)"
    )


@dataclass
class FirestoreEmulator:
    process: _Process
    host: str  # host:port, the FIRESTORE_EMULATOR_HOST value
    client: Any

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        self.process.stop()


def _start_firestore() -> FirestoreEmulator:
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java not found on PATH (the Firestore emulator needs Java 11+)")
    jar = _firestore_jar()
    port = _free_port()
    argv = [java, "-cp", str(jar), FIRESTORE_MAIN, "start", f"--host={HOST}", f"--port={port}"]
    process = _Process("firestore", argv)

    def answers() -> bool:
        with urllib.request.urlopen(f"http://{HOST}:{port}/", timeout=2) as response:
            return bool(response.status == 200)

    try:
        process.wait_until(answers)
        from google.cloud import firestore

        host = f"{HOST}:{port}"
        with _env("FIRESTORE_EMULATOR_HOST", host):  # read once, in the constructor
            client = firestore.Client(project=PROJECT)
    except BaseException:
        process.stop()
        raise
    return FirestoreEmulator(process, host, client)


def firestore_emulator(request: pytest.FixtureRequest) -> FirestoreEmulator:
    """The session's Firestore emulator (``.host`` is the FIRESTORE_EMULATOR_HOST value)."""
    emulator: FirestoreEmulator = _session_emulator(request, "firestore", _start_firestore)
    return emulator


def firestore_job_store(request: pytest.FixtureRequest) -> JobStore:
    """A FirestoreJobStore on the emulator, on a collection no other test uses."""
    from trendreel.adapters.firestore_jobs import FirestoreJobStore

    emulator = firestore_emulator(request)
    return FirestoreJobStore(emulator.client, _unique("jobs").replace("-", "_"))


# -- Cloud Storage -----------------------------------------------------------------------------


@dataclass
class StorageEmulator:
    server: Any
    endpoint: str  # http://127.0.0.1:port, the STORAGE_EMULATOR_HOST value
    client: Any

    def stop(self) -> None:
        self.server.stop()


def _start_storage() -> StorageEmulator:
    try:
        from gcp_storage_emulator.server import create_server
    except ImportError as exc:
        raise RuntimeError(
            "gcp-storage-emulator is not installed (pip install -e '.[dev]')"
        ) from exc
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage  # type: ignore[attr-defined]

    server, port = _started_storage_server(create_server)
    endpoint = f"http://{HOST}:{port}"
    client = storage.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": endpoint},
    )
    return StorageEmulator(server, endpoint, client)


def storage_emulator(request: pytest.FixtureRequest) -> StorageEmulator:
    """The session's Cloud Storage emulator (``.endpoint`` is the STORAGE_EMULATOR_HOST value)."""
    emulator: StorageEmulator = _session_emulator(request, "storage", _start_storage)
    return emulator


def gcs_blob_store(
    request: pytest.FixtureRequest, *, bucket: str | None = None, prefix: str = ""
) -> BlobStore:
    """A GcsBlobStore on a fresh bucket of the emulator (or on ``bucket``, under ``prefix``)."""
    from trendreel.adapters.gcs_blobs import GcsBlobStore

    emulator = storage_emulator(request)
    if bucket is None:
        bucket = _unique("trendreel-test")
        emulator.client.create_bucket(bucket)
    return GcsBlobStore(emulator.client, bucket, prefix, chunk_size=UPLOAD_CHUNK)


# -- Cloud Tasks -------------------------------------------------------------------------------

# Runs inside the emulator's own virtualenv (protobuf 4); see the module docstring.
_TASKS_LAUNCHER = r"""
import json, logging, signal, sys, threading, urllib.parse, urllib.request
from concurrent import futures

import grpc
from google.api_core.exceptions import AlreadyExists, GoogleAPICallError, NotFound
from gcloud_tasks_emulator import server as emu
from gcloud_tasks_emulator.cloudtasks_pb2_grpc import add_CloudTasksServicer_to_server


class State(emu.QueueState):
    def __init__(self, *args):
        super().__init__(*args)
        self._names = set()  # Cloud Tasks keeps a task name reserved after the task ends
        self._delivering = {}
        self._names_lock = threading.Lock()

    def create_task(self, queue, task):
        with self._names_lock:
            if queue not in self._queue_tasks:
                raise NotFound(f"Queue {queue} does not exist.")
            if task.name in self._names:
                raise AlreadyExists(f"Requested entity already exists: {task.name}")
            created = super().create_task(queue, task)
            self._names.add(created.name)
        return created

    def submit_task(self, task_name, force_run=False):
        # The emulator takes a task off its list while delivering it: keep it visible.
        queue = task_name.rsplit("/", 2)[0]
        task = next((t for t in self._queue_tasks.get(queue, []) if t.name == task_name), None)
        if task is not None:
            self._delivering[task_name] = task
        try:
            return super().submit_task(task_name, force_run)
        finally:
            self._delivering.pop(task_name, None)

    def list_tasks(self, queue_name):
        if queue_name not in self._queue_tasks:
            raise NotFound(f"Queue {queue_name} does not exist.")
        tasks = list(self._queue_tasks[queue_name])
        listed = {t.name for t in tasks}
        busy = [t for n, t in list(self._delivering.items())
                if n.rsplit("/", 2)[0] == queue_name and n not in listed]
        return busy + tasks

    def get_task(self, name):
        for task in self.list_tasks(name.rsplit("/", 2)[0]):
            if task.name == name:
                return task
        raise NotFound(f"Task {name} not found.")

    def queue(self, name):
        if name not in self._queues:
            raise NotFound(f"Queue {name} does not exist.")
        return self._queues[name]


IDENTITY_URL = sys.argv[4] if len(sys.argv) > 4 else ""  # the identity double, if any
_make_task_request = emu._make_task_request


def _id_token(email, audience):
    # IAM Credentials generateIdToken, as Cloud Tasks does on the queue's behalf.
    name = urllib.parse.quote(email, safe="@")
    url = f"{IDENTITY_URL}/v1/projects/-/serviceAccounts/{name}:generateIdToken"
    body = json.dumps({"audience": audience, "includeEmail": True}).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["token"]


def make_task_request(queue_name, task, host, port):
    # An HTTP task with an OIDC token is sent with "Authorization: Bearer <ID token>" for the
    # token's service account; "If not specified, the URI specified in target will be used" as
    # the audience (cloud.google.com/tasks/docs/reference/rest/v2/projects.locations.queues.tasks
    # #HttpRequest, #OidcToken). A copy of the task carries it: the stored task never does.
    oidc = task.http_request.oidc_token
    if IDENTITY_URL and task.http_request.url and oidc.service_account_email:
        token = _id_token(oidc.service_account_email, oidc.audience or task.http_request.url)
        task = type(task)(task)
        task.http_request.headers["Authorization"] = f"Bearer {token}"
    return _make_task_request(queue_name, task, host, port)


emu._make_task_request = make_task_request


class Servicer(emu.Greeter):
    def GetTask(self, request, context):
        try:
            return self._state.get_task(request.name)
        except GoogleAPICallError as err:
            context.abort(err.grpc_status_code, err.message)


def main():
    host, port, max_retries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    state = State("127.0.0.1", 9, max_retries)  # HTTP tasks carry their own URL
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    add_CloudTasksServicer_to_server(Servicer(state), server)
    server.add_insecure_port(f"{host}:{port}")  # loopback only, unlike the stock emulator
    processor = emu.Processor(state)
    processor.daemon = True
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    processor.start()
    logging.info("READY on %s:%s", host, port)
    stop.wait()
    processor._is_running.clear()
    server.stop(grace=0)


main()
"""


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "trendreel"


def tasks_emulator_venv(*, install: bool = True) -> Path:
    """The Tasks emulator's virtualenv, created (from PyPI) on first use when ``install``."""
    override = os.environ.get("TRENDREEL_TASKS_EMULATOR_VENV")
    venv = Path(override) if override else _cache_dir() / f"tasks-emulator-{TASKS_EMULATOR_VERSION}"
    marker = venv / ".trendreel-ready"
    if marker.exists() or override:
        return venv
    if not install or os.environ.get("TRENDREEL_TASKS_EMULATOR_AUTOINSTALL") == "0":
        raise RuntimeError(f"not set up; run: {sys.executable} -m {__name__} setup-tasks-emulator")
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another session may be installing it right now
        if not marker.exists():
            shutil.rmtree(venv, ignore_errors=True)
            steps = [
                [sys.executable, "-m", "venv", str(venv)],
                [str(venv / "bin/python"), "-m", "pip", "install", "--quiet",
                 f"gcloud-tasks-emulator=={TASKS_EMULATOR_VERSION}"],
            ]  # fmt: skip
            for step in steps:
                done = subprocess.run(
                    step, check=False, capture_output=True, text=True, timeout=600
                )
                if done.returncode != 0:
                    raise RuntimeError(f"{' '.join(step)} failed:\n{done.stderr[-2000:]}")
            marker.write_text(TASKS_EMULATOR_VERSION)
    return venv


@dataclass
class TasksEmulator:
    process: _Process
    host: str  # host:port, the CLOUD_TASKS_EMULATOR_HOST value
    client: Any

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.client.transport.close()
        self.process.stop()


def _start_tasks(
    max_attempts: int = TASKS_MAX_ATTEMPTS, identity_url: str | None = None
) -> TasksEmulator:
    """The Tasks emulator; each task gets ``max_attempts`` attempts. With ``identity_url`` (the
    base URL of tests.support.cloud_run.identity.GoogleIdentity), an HTTP task with an OIDC
    token is sent with ``Authorization: Bearer`` and an ID token minted there."""
    python = tasks_emulator_venv() / "bin" / "python"
    port = _free_port()
    argv = [str(python), "-c", _TASKS_LAUNCHER, HOST, str(port), str(max_attempts - 1)]
    if identity_url:
        argv.append(identity_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    process = _Process("cloud-tasks", argv, env=env)
    try:
        process.wait_until(lambda: _port_open(port) and "READY" in process.log_tail())
        import grpc  # type: ignore[import-untyped]
        from google.cloud import tasks_v2
        from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

        channel = grpc.insecure_channel(f"{HOST}:{port}")
        client = tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    except BaseException:
        process.stop()
        raise
    return TasksEmulator(process, f"{HOST}:{port}", client)


def tasks_emulator(request: pytest.FixtureRequest) -> TasksEmulator:
    """The session's Cloud Tasks emulator (``.host`` is the CLOUD_TASKS_EMULATOR_HOST value)."""
    emulator: TasksEmulator = _session_emulator(request, "cloud-tasks", _start_tasks)
    return emulator


@dataclass
class EmulatedQueue:
    """A CloudTasksQueue on its own emulator queue; the emulator POSTs tasks to their URLs."""

    queue: Any  # CloudTasksQueue
    client: Any
    path: str

    def task_names(self) -> list[str]:
        """Tasks still queued, scheduled for later, or being delivered right now."""
        return [t.name.rsplit("/", 1)[-1] for t in self.client.list_tasks(parent=self.path)]

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every task has been delivered (answered 2xx or out of attempts)."""
        deadline = time.monotonic() + timeout
        empty_polls = 0
        while empty_polls < 2:  # twice in a row: a delivery may be enqueueing the next task
            names = self.task_names()
            empty_polls = 0 if names else empty_polls + 1
            if names and time.monotonic() > deadline:
                raise AssertionError(f"tasks still pending after {timeout}s: {names}")
            time.sleep(0.05)


def cloud_tasks_queue(
    request: pytest.FixtureRequest,
    target_url_template: str,
    *,
    service_account: str | None = None,
) -> EmulatedQueue:
    """A CloudTasksQueue on a fresh emulator queue. A stage's task is POSTed to
    ``target_url_template.format(name=stage)``; tasks get TASKS_MAX_ATTEMPTS attempts."""
    from trendreel.adapters.cloud_tasks_queue import CloudTasksQueue

    emulator = tasks_emulator(request)
    queue_id = _unique("stages")
    path = f"projects/{PROJECT}/locations/{LOCATION}/queues/{queue_id}"
    emulator.client.create_queue(
        parent=f"projects/{PROJECT}/locations/{LOCATION}", queue={"name": path}
    )

    def delete_queue() -> None:  # stops the emulator's worker thread for this queue
        with contextlib.suppress(Exception):
            emulator.client.delete_queue(name=path)

    request.addfinalizer(delete_queue)
    queue = CloudTasksQueue(
        emulator.client,
        project=PROJECT,
        location=LOCATION,
        queue=queue_id,
        url_for=lambda name: target_url_template.format(name=name),
        service_account=service_account,
        max_attempts=TASKS_MAX_ATTEMPTS,
    )
    return EmulatedQueue(queue, emulator.client, path)


# -- for a caller that owns its emulators (tests/e2e/gcp_stack.py): started here, stopped by it

start_firestore_emulator = _start_firestore
start_storage_emulator = _start_storage
start_tasks_emulator = _start_tasks
unavailable = _unavailable


if __name__ == "__main__":
    if sys.argv[1:] != ["setup-tasks-emulator"]:
        sys.exit(f"usage: python -m {__name__} setup-tasks-emulator")
    print(tasks_emulator_venv())
