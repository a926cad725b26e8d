"""The service's instance as Cloud Run runs it: its environment (the container contract) and
the pool that starts it, restarts it after a crash, and bounds the requests in flight to it."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from tests.support.cloud_run.processes import (
    HOST,
    Instance,
    InstanceStartError,
    free_port,
    functions_framework,
)
from tests.support.cloud_run.spec import ServiceSpec

REPO = Path(__file__).resolve().parents[3]
READY_TIMEOUT = 90.0  # a cold start of a real function on two busy cores
REVISION_SUFFIX = "00001-edg"


class NoInstanceError(Exception):
    """No request slot became free before the request's deadline."""


def container_env(spec: ServiceSpec, port: int) -> dict[str, str]:
    """What Cloud Run's container contract adds to a service's environment:
    https://cloud.google.com/run/docs/container-contract#env-vars "The following environment
    variables are automatically added to the running containers: PORT, K_SERVICE (the name of
    the Cloud Run service), K_REVISION (the name of the revision), K_CONFIGURATION (the name of
    the configuration that created the revision)". Revision names are SERVICE-NNNNN-xxx."""
    return {
        "PORT": str(port),
        "K_SERVICE": spec.service_name,
        "K_REVISION": f"{spec.service_name}-{REVISION_SUFFIX}",
        "K_CONFIGURATION": spec.service_name,
    }


def instance_env(spec: ServiceSpec, port: int, platform_env: Mapping[str, str]) -> dict[str, str]:
    """Exactly ``spec.env``, the container contract's variables, and the caller's platform
    variables (emulator hosts, TRENDREEL_GOOGLE_CERTS_URL, HOME, PATH, TMPDIR, and values for
    ``spec.secret_env``). The platform may not override what infra/ or Cloud Run sets."""
    container = container_env(spec, port)
    clash = sorted(set(platform_env) & (set(spec.env) | set(container)))
    if clash:
        raise ValueError(f"platform_env would override {clash} of {spec.name}")
    return {**spec.env, **container, **platform_env}


class InstancePool:
    """At most one instance of the service (scaling out is not modelled), with at most
    ``spec.concurrency`` requests in flight to it
    (https://cloud.google.com/run/docs/about-concurrency: "maximum concurrent requests per
    instance"). A request that finds no instance alive starts one and waits for it, as on a
    cold start (https://cloud.google.com/run/docs/about-instance-autoscaling: requests wait for
    an instance that is starting); requests that find it busy wait for a slot, up to their
    deadline, as Cloud Run keeps requests pending while it finds capacity. The instance is
    started with ``--host 127.0.0.1`` on a fresh port each time, so a crashed instance's
    stragglers never collide with its successor."""

    def __init__(
        self,
        spec: ServiceSpec,
        *,
        platform_env: Mapping[str, str],
        source: str | Path | None,
        repo_root: Path | None,
        log_dir: Path,
    ) -> None:
        self.spec = spec
        self.platform_env = dict(platform_env)
        self.repo_root = repo_root or REPO
        self.source = str(source or f"functions/{spec.name}/main.py")
        self.log_dir = log_dir
        instance_env(spec, 0, self.platform_env)  # fail now on a clash, not at the first start
        self._cond = threading.Condition()
        self._instance: Instance | None = None
        self._generation = 0
        self._retired: list[Instance] = []

    def start(self) -> None:
        with self._cond:
            self._current()

    def _current(self) -> Instance:
        """The live instance, started (and waited for) when there is none; under the lock.
        After a crash the next request starts a new instance and waits for it (a cold start)."""
        instance = self._instance
        if instance is not None and instance.alive():
            return instance
        if instance is not None:
            instance.kill()  # a crashed master may leave workers: the whole container is gone
            self._retired.append(instance)
            self._instance = None
        self._generation += 1
        port = free_port()
        argv = [functions_framework(), "--source", self.source, "--target", "handle"]
        argv += ["--host", HOST, "--port", str(port)]
        log = self.log_dir / f"{self.spec.name}-{self._generation}.log"
        started = Instance(
            argv, instance_env(self.spec, port, self.platform_env), self.repo_root, log
        )
        self._instance = started
        try:
            started.wait_ready(READY_TIMEOUT)
        except InstanceStartError:
            started.kill()
            self._retired.append(started)
            self._instance = None
            raise
        return started

    def acquire(self, *, deadline: float) -> Instance:
        """A slot on the instance; raises ``NoInstanceError`` at ``deadline``. Because the
        double cannot scale out, a pending request waits up to its own timeout (Cloud Run:
        about 10 s or 3.5 x the startup time) and is then aborted with 429 "The request was
        aborted because there was no available instance"
        (https://cloud.google.com/run/docs/troubleshooting)."""
        with self._cond:
            while True:
                instance = self._current()
                if instance.in_flight < self.spec.concurrency:
                    instance.in_flight += 1
                    return instance
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise NoInstanceError(self.spec.name)
                self._cond.wait(remaining)

    def release(self, instance: Instance) -> None:
        with self._cond:
            instance.in_flight -= 1
            self._cond.notify_all()

    def port(self) -> int | None:
        with self._cond:
            instance = self._instance
            return instance.port if instance is not None and instance.alive() else None

    def pid(self) -> int | None:
        with self._cond:
            instance = self._instance
            return instance.pid if instance is not None and instance.alive() else None

    def kill(self) -> None:
        with self._cond:
            if self._instance is not None:
                self._instance.kill()

    def stop(self) -> None:
        with self._cond:
            instances = [*self._retired, *([self._instance] if self._instance else [])]
            self._instance = None
            self._retired = []
        for instance in instances:
            try:
                instance.stop()
            except Exception as exc:  # keep stopping the others
                print(f"stopping {self.spec.name} (pid {instance.pid}): {exc}", file=sys.stderr)

    def log_tail(self, lines: int = 40) -> str:
        with self._cond:
            instance = self._instance or (self._retired[-1] if self._retired else None)
        return instance.tail(lines) if instance is not None else ""
