"""Cloud Run's front end for one service, on 127.0.0.1, configured only by its ``ServiceSpec``.

    with GoogleIdentity() as google, CloudRunEdge(spec, google, platform_env=env) as edge:
        httpx.post(spec.url, headers=bearer(google.mint(sa, spec.url)))  # in-project caller
        httpx.get(edge.external_url)                                     # from the internet
        edge.kill_instance(); edge.instance_pid(); edge.log_tail()       # crash tests, logs

    edges = start_edges(infra.services.values(), google, platform_env=lambda spec: {...})

``spec.url`` must be ``http://127.0.0.1:PORT`` (with or without a trailing slash): the edge
binds it. ``free_port()`` picks ports before infra is resolved with those URLs.

The edge starts the service's function itself (``functions-framework --source
functions/<name>/main.py --target handle``, see ``InstancePool``) and answers on two ports:
``internal``, the service's URL (``spec.url``, also the ID-token audience), standing for
in-project sources (Cloud Tasks, Cloud Scheduler, other services); and ``external``, the same
service reached from the internet. Each behaviour cites the documentation it models in the
docstring of the code that implements it, in the modules beside this one:

- ``invoker``: ingress and the invoker check, and the token as the instance receives it;
- ``answers``: the statuses and pages the edge answers itself;
- ``body``: the request size limit;
- ``frontend`` and ``exchange``: the request timeout, crashes mid-request, streaming back;
- ``instances`` and ``processes``: one instance, its concurrency, cold starts, its environment;
- ``headers``: what is forwarded and returned.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.cloud_run.body import MAX_REQUEST_BYTES
from tests.support.cloud_run.exchange import Exchange, Forward
from tests.support.cloud_run.frontend import EdgeServer
from tests.support.cloud_run.headers import add_platform_headers, without_hop_by_hop
from tests.support.cloud_run.identity import GoogleIdentity
from tests.support.cloud_run.instances import (
    InstancePool,
    NoInstanceError,
    container_env,
    instance_env,
)
from tests.support.cloud_run.invoker import SIGNATURE_REMOVED, admit, signature_removed
from tests.support.cloud_run.processes import HOST, InstanceStartError, free_port
from tests.support.cloud_run.spec import ServiceSpec

__all__ = [
    "MAX_REQUEST_BYTES",
    "SIGNATURE_REMOVED",
    "CloudRunEdge",
    "InstancePool",
    "InstanceStartError",
    "NoInstanceError",
    "container_env",
    "free_port",
    "instance_env",
    "start_edges",
]


class CloudRunEdge:
    """Cloud Run's front end for one service, and the service's (single) instance."""

    def __init__(
        self,
        spec: ServiceSpec,
        identity: GoogleIdentity,
        *,
        platform_env: Mapping[str, str] | None = None,
        source: str | Path | None = None,
        repo_root: Path | None = None,
        log_dir: Path | None = None,
        external_port: int = 0,
    ) -> None:
        host, port = _internal_address(spec.url)
        instance_env(spec, 0, platform_env or {})  # refuse a clash before anything is made
        self.spec = spec
        self.identity = identity
        self._own_log_dir = log_dir is None
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix=f"trendreel-edge-{spec.name}-"))
        self.pool = InstancePool(
            spec,
            platform_env=platform_env or {},
            source=source,
            repo_root=repo_root,
            log_dir=self.log_dir,
        )
        self._servers = {
            "internal": EdgeServer((host, port), self, external=False),
            "external": EdgeServer((HOST, external_port), self, external=True),
        }
        self._threads: list[threading.Thread] = []

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> CloudRunEdge:
        """Serve both ports and start the instance (eagerly; returns once it accepts TCP)."""
        try:
            for server in self._servers.values():
                thread = threading.Thread(
                    target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
                )
                thread.start()
                self._threads.append(thread)
            self.pool.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving, then stop every process the edge started, by PID."""
        for server in self._servers.values():
            if self._threads:
                server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self.pool.stop()
        if self._own_log_dir:
            shutil.rmtree(self.log_dir, ignore_errors=True)

    def __enter__(self) -> CloudRunEdge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what callers use ----------------------------------------------------------------------

    @property
    def internal_url(self) -> str:
        """The service's URL (``spec.url``): in-project callers and the token audience."""
        return self.spec.url

    @property
    def external_url(self) -> str:
        """The same service as the internet reaches it."""
        host, port = self._servers["external"].server_address[:2]
        return f"http://{host!s}:{port}/"

    def instance_url(self) -> str | None:
        """The running instance itself, behind the front end (for tests that look behind it:
        nothing on Cloud Run can reach an instance this way)."""
        port = self.pool.port()
        return f"http://{HOST}:{port}/" if port is not None else None

    def instance_pid(self) -> int | None:
        """The PID of the running instance (the functions-framework master), if any."""
        return self.pool.pid()

    def kill_instance(self) -> None:
        """SIGKILL the instance (master and workers), as a crashing container."""
        self.pool.kill()

    def log_tail(self, lines: int = 40) -> str:
        return self.pool.log_tail(lines)

    # -- one request ---------------------------------------------------------------------------

    def admit(self, headers: Mapping[str, str], *, external: bool) -> None:
        """Ingress and invoker check (``invoker.admit``); raises ``RejectError`` with the
        status to answer."""
        admit(self.spec, self.identity, headers, external=external)

    def forwarded_headers(
        self, headers: Iterable[tuple[str, str]], *, client: str
    ) -> list[tuple[str, str]]:
        """The request headers as the instance receives them. With the invoker check off,
        every header is forwarded as sent (hop-by-hop ones aside)."""
        listed = list(headers)
        out = without_hop_by_hop(listed)
        if not self.spec.invoker_iam_disabled:
            out = signature_removed(listed, out)
        return add_platform_headers(out, client=client)

    def exchange(self, forward: Forward, *, deadline: float) -> Exchange:
        """Send one request to the instance in a thread of its own (it outlives a 504).
        Raises TimeoutError when the deadline passed while the instance was starting: the
        timeout includes the instance's startup time (container contract)."""
        instance = self.pool.acquire(deadline=deadline)
        if time.monotonic() >= deadline:
            self.pool.release(instance)
            raise TimeoutError(self.spec.name)
        sent = Exchange(forward, instance.port, release=lambda: self.pool.release(instance))
        sent.start()
        return sent


def _internal_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != HOST or not parts.port:
        raise ValueError(f"the service URL must be http://{HOST}:PORT/ (the edge binds it): {url}")
    return HOST, parts.port


def start_edges(
    specs: Iterable[ServiceSpec],
    identity: GoogleIdentity,
    platform_env: Callable[[ServiceSpec], Mapping[str, str]],
    *,
    log_dir: Path | None = None,
    workers: int = 4,
) -> dict[str, CloudRunEdge]:
    """One started edge per spec (by ``spec.name``), started in parallel; if any fails to
    start, the ones that did are stopped and the error raised."""
    specs = list(specs)
    edges = {
        s.name: CloudRunEdge(
            s, identity, platform_env=platform_env(s), log_dir=log_dir and log_dir / s.name
        )
        for s in specs
    }
    for edge in edges.values():
        edge.log_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max(1, min(workers, len(edges)))) as pool:
        futures = [pool.submit(edge.start) for edge in edges.values()]
    errors = [error for f in futures if (error := f.exception()) is not None]
    if errors:
        for edge in edges.values():
            edge.stop()
        raise errors[0]
    return edges
