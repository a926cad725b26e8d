"""The whole pipeline as Google Cloud runs it, on one machine: the three emulators, and every
function behind a Cloud Run edge configured by infra/ itself.

    with GcpStack() as stack:                 # skips (pytest) when an emulator cannot start
        stack.run_schedule("generate")        # Cloud Scheduler's POST /generate, OIDC token
        api = stack.api_client()              # a client on the internet: the api's public URL
        stack.wait_for_job(api, job_id, finished)
        stack.job_document(job_id)            # the Firestore document, read directly
        stack.object_names(f"jobs/{job_id}/") # the bucket, listed directly

What runs, all on 127.0.0.1 and stopped by PID when the block ends (also on failure):

- the Firestore emulator (Java) and the Cloud Tasks emulator (its own virtualenv), started by
  ``tests.contract.gcp_fixtures``; the Cloud Storage emulator inside this process;
- ``GoogleIdentity``: Google's token infrastructure (a signing key, its v1 certificate set, and
  generateIdToken), which the Tasks emulator and the scheduler driver mint OIDC tokens from;
- infra/services.yaml resolved for this deployment (``tests.support.cloud_run.infra``): each
  function's environment, ingress, invoker check and invokers exactly as Terraform computes them,
  the one queue per stage, the service accounts, the schedules;
- one ``CloudRunEdge`` per function: Cloud Run's front end (it verifies the callers' ID tokens
  and forwards them with the signature removed, refuses the internet on internal-only services,
  caps requests, times them out) in front of ``functions-framework --source
  functions/<name>/main.py``, whose environment is infra's plus what Cloud Run's container
  contract adds plus the platform: where the emulators and Google's certificates are, and a HOME
  and TMPDIR of its own (Cloud Run's /tmp is per instance).

Callers reach the services as in production: Cloud Tasks and Cloud Scheduler at the services'
URLs (in-project sources), clients and on-call at the api's public address with an API key or an
allow-listed account's ID token.

What a test deployment supplies beyond infra/, each kept apart from infra's own values (a name
infra/ sets cannot be supplied: ``instance_env`` refuses the clash):

- ``secrets``: Secret Manager's versions, by secret (``youtube_account``, ``webhook_secret``,
  ...). A service gets ``TRENDREEL_<SECRET>`` for each secret infra/ mounts on it
  (``ServiceSpec.secret_env``) and nothing else; a mounted secret without a value stops the
  start, as a revision referencing a secret without a version does not start.
- ``overrides``: per function, settings that point it at the platforms' doubles instead of the
  real APIs (``TRENDREEL_YOUTUBE_BASE_URL``, ...); infra/ leaves them at their defaults.
- ``internet``: a ``PublicInternet`` every function reaches, as Cloud Run's egress reaches the
  internet (webhook receivers live there).

One command runs a job end to end and prints what Firestore and Cloud Storage hold::

    python -m tests.e2e.gcp_stack demo
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from secrets import token_hex, token_urlsafe
from typing import Any

import httpx
import pytest

from tests.contract import gcp_fixtures
from tests.e2e.conftest import finished, short_config
from tests.support.cloud_run.edge import CloudRunEdge, free_port, start_edges
from tests.support.cloud_run.identity import GoogleIdentity
from tests.support.cloud_run.infra import INFRA, Deployment, load_spec, resolve
from tests.support.cloud_run.internet import PublicInternet
from tests.support.cloud_run.scheduler import SchedulerDriver
from tests.support.cloud_run.spec import Infra, ServiceSpec

HOST = gcp_fixtures.HOST
PROJECT = gcp_fixtures.PROJECT
PROJECT_NUMBER = "123456789012"
LOCATION = gcp_fixtures.LOCATION
REPO = Path(__file__).resolve().parents[2]
STAGES = ("trend_collection", "trend_analysis", "content_generation", "composition", "review")
FUNCTIONS = tuple(load_spec()["services"])  # every service infra/services.yaml deploys
ONCALL_SA = f"oncall@{PROJECT}.iam.gserviceaccount.com"
# Inherited from this process: what any program needs, never a trendreel or Google setting.
_INHERITED = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@dataclass(frozen=True)
class Emulators:
    firestore: Any  # gcp_fixtures.FirestoreEmulator
    storage: Any  # gcp_fixtures.StorageEmulator
    tasks: Any  # gcp_fixtures.TasksEmulator


class GcpStack:
    """The emulators, the identity double and one edge per function; stops them all."""

    def __init__(
        self,
        variables: Mapping[str, Any] | None = None,
        *,
        secrets: Mapping[str, str] | None = None,
        overrides: Mapping[str, Mapping[str, str]] | None = None,
        internet: PublicInternet | None = None,
    ) -> None:
        self.overrides = {name: dict(env) for name, env in (overrides or {}).items()}
        unknown = sorted(set(self.overrides) - set(FUNCTIONS))
        if unknown:
            raise ValueError(f"overrides for functions infra/ does not deploy: {unknown}")
        self.secret_values = dict(secrets or {})  # values never printed
        self.internet = internet
        self.api_key = "trk_" + token_urlsafe(32)  # this run only; sent, never logged
        self.bucket_name = f"trendreel-e2e-{token_hex(6)}"
        self.variables = dict(variables or {})
        self._urls = {name: f"http://{HOST}:{free_port()}" for name in FUNCTIONS}
        self.infra: Infra = self.resolve()  # before anything is made: a bad variable raises
        self.identity = GoogleIdentity()
        self.scheduler = SchedulerDriver(self.identity)
        self.edges: dict[str, CloudRunEdge] = {}
        self._revisions = 0
        self._emulators: dict[str, Any] = {}
        self.dir = Path(tempfile.mkdtemp(prefix="trendreel-gcp-stack-"))

    # -- what infra/ deploys, here -------------------------------------------------------------

    def deployment(self, **variables: Any) -> Deployment:
        """infra/ applied to this stack: its bucket, its services' URLs, an API key and an
        on-call account for the api, the repository as the image's source folder."""
        return Deployment(
            project=PROJECT,
            project_number=PROJECT_NUMBER,
            region=LOCATION,
            bucket=self.bucket_name,
            function_urls=self._urls,
            variables={
                "function_source_dir": str(REPO),
                "api_key_hashes": [hashlib.sha256(self.api_key.encode()).hexdigest()],
                "api_allowed_principals": [ONCALL_SA],
                "api_invoker_members": [f"serviceAccount:{ONCALL_SA}"],
                **self.variables,
                **variables,
            },
        )

    def resolve(self, **variables: Any) -> Infra:
        return resolve(self.deployment(**variables))

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
        self.identity.start()
        self._start_emulators()
        self.emulators.storage.client.create_bucket(self.bucket_name)
        self._upload_configs()
        parent = f"projects/{PROJECT}/locations/{LOCATION}"
        for queue in self.infra.queue_names.values():
            self.emulators.tasks.client.create_queue(
                parent=parent, queue={"name": f"{parent}/queues/{queue}"}
            )
        (self.dir / "logs").mkdir()
        self.edges = start_edges(
            self.infra.services.values(),
            self.identity,
            self.platform_env,
            log_dir=self.dir / "logs",
        )

    def _start_emulators(self) -> None:
        identity_url = self.identity.url
        attempts = self.infra.task_max_attempts  # as infra's queues retry_config says
        starters: dict[str, Callable[[], Any]] = {
            "firestore": gcp_fixtures.start_firestore_emulator,
            "storage": gcp_fixtures.start_storage_emulator,
            "tasks": lambda: gcp_fixtures.start_tasks_emulator(attempts, identity_url),
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

    def _upload_configs(self) -> None:
        """What infra/configs.tf uploads: every file of infra/configs under configs/."""
        for path in sorted((INFRA / "configs").rglob("*")):
            if path.is_file():
                name = f"configs/{path.relative_to(INFRA / 'configs').as_posix()}"
                self.bucket().blob(name).upload_from_filename(str(path))

    @property
    def emulators(self) -> Emulators:
        return Emulators(**self._emulators)

    def platform_env(self, spec: ServiceSpec) -> dict[str, str]:
        """What the platform gives a container beyond infra's environment: Google's APIs (here
        the emulators and the identity double), a home and /tmp of its own, the secrets infra/
        mounts on it, the internet; and this test deployment's overrides for it."""
        tmp = self.dir / "tmp" / spec.name
        tmp.mkdir(parents=True, exist_ok=True)
        e = self.emulators
        inherited = {k: os.environ[k] for k in _INHERITED if k in os.environ}
        given = {
            **inherited,
            "HOME": str(self.dir / "home"),
            "TMPDIR": str(tmp),
            "PYTHONUNBUFFERED": "1",
            "FIRESTORE_EMULATOR_HOST": e.firestore.host,
            "STORAGE_EMULATOR_HOST": e.storage.endpoint,
            "CLOUD_TASKS_EMULATOR_HOST": e.tasks.host,
            "TRENDREEL_GOOGLE_CERTS_URL": self.identity.certs_url,
            **(self.internet.env() if self.internet is not None else {}),
            **self.secret_env(spec),
        }
        overrides = self.overrides.get(spec.name, {})
        # Overrides add settings; they replace neither the platform's nor a secret (nor infra's
        # own values: instance_env refuses those).
        replaced = sorted(set(overrides) & set(given))
        if replaced:
            raise ValueError(f"overrides of {spec.name} would replace {replaced}")
        return given | overrides

    def secret_env(self, spec: ServiceSpec) -> dict[str, str]:
        """The Secret Manager values infra/ mounts on ``spec``'s service, under the names it
        mounts them as (functions.tf: TRENDREEL_<SECRET>)."""
        mounted = {name: name.removeprefix("TRENDREEL_").lower() for name in spec.secret_env}
        missing = sorted(secret for secret in mounted.values() if secret not in self.secret_values)
        if missing:
            raise ValueError(
                f"{spec.name} mounts secrets with no version in this deployment: {missing} "
                "(a revision referencing a secret without a version does not start)"
            )
        return {name: self.secret_values[secret] for name, secret in mounted.items()}

    def redeploy(self, function: str, **variables: Any) -> CloudRunEdge:
        """Apply infra/ again with other variables and roll ``function`` out: a new revision
        (its configuration and its instance) behind the same URL."""
        spec = self.resolve(**variables).services[function]
        self.edges.pop(function).stop()
        self._revisions += 1
        log_dir = self.dir / "logs" / f"{function}-{self._revisions}"
        log_dir.mkdir(parents=True)
        edge = CloudRunEdge(
            spec, self.identity, platform_env=self.platform_env(spec), log_dir=log_dir
        )
        self.edges[function] = edge.start()
        return edge

    def stop(self) -> None:
        """Stop every process by its PID: functions first, then the emulators."""
        for name, edge in self.edges.items():
            try:
                edge.stop()
            except Exception as exc:
                print(f"stopping {name}: {exc}", file=sys.stderr)
        self.edges.clear()
        for name in ("tasks", "firestore", "storage"):
            emulator = self._emulators.pop(name, None)
            if emulator is not None:
                try:
                    emulator.stop()
                except Exception as exc:
                    print(f"stopping the {name} emulator: {exc}", file=sys.stderr)
        self.identity.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def print_logs(self, lines: int = 40) -> None:
        for name, edge in self.edges.items():
            print(f"----- {name} -----\n{edge.log_tail(lines)}", file=sys.stderr)

    # -- callers -------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The api's URL: the audience of its callers' ID tokens."""
        return self.infra.services["api"].url

    def api_client(self, key: str | None = None) -> httpx.Client:
        """A client on the internet with an API key, at the api's public address."""
        headers = {"Authorization": f"Bearer {self.api_key if key is None else key}"}
        base = self.edges["api"].external_url.rstrip("/")
        return httpx.Client(base_url=base, headers=headers, timeout=60)

    def oncall_client(self) -> httpx.Client:
        """On-call with `gcloud auth print-identity-token --impersonate-service-account`."""
        token = self.identity.mint(ONCALL_SA, self.api_url)
        base = self.edges["api"].external_url.rstrip("/")
        return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)

    def run_schedule(
        self, name: str, schedule_time: datetime | None = None, **variables: Any
    ) -> httpx.Response:
        """One execution of a Cloud Scheduler job as infra/ defines it (with ``variables``
        applied, e.g. another generate_body), for ``schedule_time`` (default: this minute)."""
        infra = self.resolve(**variables) if variables else self.infra
        return self.scheduler.run(infra.schedules[name], schedule_time)

    # -- where the state lives -----------------------------------------------------------------

    def job_document(self, job_id: str) -> dict[str, Any]:
        """The job's Firestore document as stored (``job`` holds the whole Job as JSON)."""
        collection = self.infra.services["api"].env["TRENDREEL_FIRESTORE_COLLECTION"]
        snapshot = self.emulators.firestore.client.collection(collection).document(job_id).get()
        assert snapshot.exists, f"no Firestore document {collection}/{job_id}"
        return dict(snapshot.to_dict())

    def update_job_document(self, job_id: str, fields: Mapping[str, Any]) -> None:
        collection = self.infra.services["api"].env["TRENDREEL_FIRESTORE_COLLECTION"]
        self.emulators.firestore.client.collection(collection).document(job_id).update(dict(fields))

    def bucket(self) -> Any:
        return self.emulators.storage.client.bucket(self.bucket_name)

    def object_names(self, prefix: str) -> list[str]:
        return sorted(b.name for b in self.bucket().list_blobs(prefix=prefix))

    # -- the queues, as an operator drives them (gcloud tasks queues pause / resume / purge) ---

    def queue_path(self, stage: str) -> str:
        return f"projects/{PROJECT}/locations/{LOCATION}/queues/{self.infra.queue_names[stage]}"

    def pause_queue(self, stage: str) -> None:
        self.emulators.tasks.client.pause_queue(name=self.queue_path(stage))

    def resume_queue(self, stage: str) -> None:
        self.emulators.tasks.client.resume_queue(name=self.queue_path(stage))

    def purge_queue(self, stage: str) -> None:
        self.emulators.tasks.client.purge_queue(name=self.queue_path(stage))

    def tasks(self, stage: str) -> list[Any]:
        from google.cloud import tasks_v2

        request = {"parent": self.queue_path(stage), "response_view": tasks_v2.Task.View.FULL}
        return list(self.emulators.tasks.client.list_tasks(request=request))

    # -- jobs ----------------------------------------------------------------------------------

    @staticmethod
    def wait_for_job(
        api: httpx.Client,
        job_id: str,
        done: Callable[[dict[str, Any]], bool] = finished,
        timeout: float = 300.0,
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
    for name, edge in stack.edges.items():
        print(f"  {name:<19} {edge.internal_url}  instance pid {edge.instance_pid()}")
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
    print(f"\nFirestore jobs/{job_id}: status={doc['status']} "
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
        print(
            "starting the Firestore, Cloud Storage and Cloud Tasks emulators and "
            f"{len(FUNCTIONS)} functions,"
        )
        print("each behind a Cloud Run edge configured from infra/services.yaml")
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
