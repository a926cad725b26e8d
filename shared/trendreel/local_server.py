"""The embedded default as one process: every function, the queue's dispatcher and the sweeper.

Each function is mounted from its own ``functions/<name>/main.py`` through functions-framework's
``create_app``, exactly as it is deployed; the api answers at ``/`` and stage functions at
``/functions/<name>``. They share this process, so they share one runtime: the server hands it
to every request (``trendreel.http.RUNTIME_KEY``) instead of each function building its own from
the environment. The server binds 127.0.0.1 only.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from functions_framework import create_app
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from trendreel import http, services
from trendreel.bootstrap import Runtime, build_runtime
from trendreel.errors import ConfigError
from trendreel.models import Stage
from trendreel.settings import Settings
from trendreel.stages.context import remove_orphaned_scratch

log = logging.getLogger(__name__)
STAGE_FUNCTIONS = [s.value for s in Stage]
OTHER_FUNCTIONS = ["publish", "webhooks", "sweeper", "metrics"]
SWEEP_EVERY_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


def functions_dir() -> Path:
    """The repository's functions/ folder (this package lives at shared/trendreel/)."""
    path = Path(__file__).resolve().parents[2] / "functions"
    if not (path / "api" / "main.py").is_file():
        raise ConfigError(
            f"functions/ not found at {path}",
            hint="Run from a source checkout installed with pip install -e .",
        )
    return path


def _load(root: Path, name: str) -> Any:
    """One function's WSGI app, loaded from its main.py as functions-framework deploys it."""
    return create_app(target="handle", source=str(root / name / "main.py"))  # type: ignore[no-untyped-call]


def wsgi_app() -> Any:
    root = functions_dir()
    names = [*STAGE_FUNCTIONS, *OTHER_FUNCTIONS]
    mounts = {f"/functions/{name}": _load(root, name) for name in names}
    return DispatcherMiddleware(_load(root, "api"), mounts)


class _WithRuntime:
    """WSGI middleware: every request carries the server's one runtime (set once it is built,
    before the server serves its first request)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.runtime: Runtime | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.runtime is not None:
            environ[http.RUNTIME_KEY] = self.runtime
        return self.app(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    """Access lines at debug level instead of one stderr line per poll and delivery, and a
    Server header that names no software or version (werkzeug's says Werkzeug/x Python/y)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # No path yet when http.server answers a request line it could not parse itself.
        log.debug("%s %s %s", self.command or "-", getattr(self, "path", "-"), code)

    def version_string(self) -> str:
        return "trendreel"


class LocalServer:
    """Start with ``with LocalServer(settings) as server:``; ``server.url`` is where it listens.

    ``dispatch=False`` serves the functions only, with no queue dispatcher and no sweeper: a
    caller that delivers tasks itself (a test playing the queue) sees exactly what it sends."""

    def __init__(
        self,
        settings: Settings,
        *,
        sweep_every: float = SWEEP_EVERY_SECONDS,
        dispatch: bool = True,
    ) -> None:
        if settings.backend != "local":
            raise ConfigError("trendreel serve runs the local backend", field="TRENDREEL_BACKEND")
        app = _WithRuntime(wsgi_app())
        self._server: BaseWSGIServer = make_server(
            settings.host, settings.port, app, threaded=True, request_handler=_QuietHandler
        )
        # With port 0 the OS picks one: the queue must deliver to the port actually bound.
        self.settings = settings.model_copy(update={"port": self._server.server_port})
        self.runtime: Runtime = build_runtime(self.settings)
        app.runtime = self.runtime
        orphans = remove_orphaned_scratch(self.settings.home / "scratch")
        if orphans:
            log.warning("removed %d scratch folder(s) left by a killed process", orphans)
        self._sweep_every = sweep_every
        self._dispatch = dispatch
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    def start(self) -> LocalServer:
        self._threads = [
            threading.Thread(target=self._server.serve_forever, name="http", daemon=True)
        ]
        if self._dispatch:
            sweeper = threading.Thread(target=self._sweep_loop, name="sweeper", daemon=True)
            self._threads.append(sweeper)
        for thread in self._threads:
            thread.start()
        if self._dispatch:
            self.runtime.queue.start()  # type: ignore[attr-defined]
        return self

    def _sweep_loop(self) -> None:
        """What Cloud Scheduler calls on GCP: the sweeper, and the metrics collector."""
        while not self._stop.wait(self._sweep_every):
            for name, run in (("sweep", services.sweep), ("metrics", services.collect_metrics)):
                try:
                    run(self.runtime)
                except Exception:  # the loop must outlive a bad pass
                    log.exception("%s failed", name)

    def stop(self) -> None:
        self._stop.set()
        # A delivery still running keeps its task leased; a later start recovers it.
        self.runtime.queue.stop(timeout=STOP_TIMEOUT_SECONDS)  # type: ignore[attr-defined]
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=10)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
