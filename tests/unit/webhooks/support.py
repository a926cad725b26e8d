"""Helpers for the webhook tests: a movable clock, jobs in the states events are sent for, and
the webhooks function served on 127.0.0.1 as ``trendreel serve`` serves it (functions-framework
app from ``functions/webhooks/main.py``, the runtime handed to every request)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from functions_framework import create_app
from pydantic import SecretStr
from werkzeug.serving import BaseWSGIServer, make_server

from trendreel.bootstrap import Runtime
from trendreel.config import load_default_config
from trendreel.http import RUNTIME_KEY
from trendreel.lifecycle import new_job
from trendreel.models import Job, JobError, JobStatus, Trigger

TOKEN = SecretStr("tok-webhooks-5d0c2b9e7a41")  # distinctive, so a leak is easy to find
AUTH = {"Authorization": f"Bearer {TOKEN.get_secret_value()}"}
NOW = datetime.now(UTC).replace(microsecond=0)  # signatures are checked against real time
MAIN = Path(__file__).resolve().parents[3] / "functions" / "webhooks" / "main.py"


class Clock:
    """Starts at the real time it is made (signatures are checked against real time, and a
    suite may reach this test minutes after import), and moves only when told."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def finished_job(job_id: str = "job-webhook-0001", *, failed: bool = False) -> Job:
    job = new_job(job_id, load_default_config(), now=NOW, trigger=Trigger.CLIENT)
    if not failed:
        return job.model_copy(update={"status": JobStatus.COMPLETED, "stage": "review"})
    error = JobError(
        stage="composition",
        code="media_error",
        message="ffmpeg failed: /home/someone/.trendreel/scratch/x/audio.wav: No such file",
        retryable=False,
        attempt=3,
        hint="Rendering failed.",
    )
    return job.model_copy(
        update={"status": JobStatus.FAILED, "stage": "composition", "error": error}
    )


def function_app() -> Any:
    """The webhooks function as deployed: its main.py loaded by functions-framework."""
    return create_app(target="handle", source=str(MAIN))  # type: ignore[no-untyped-call]


class _WithRuntime:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.runtime: Runtime | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ[RUNTIME_KEY] = self.runtime
        return self.app(environ, start_response)


class HostedFunction:
    """The webhooks function on 127.0.0.1 (a free port), for a queue to deliver to."""

    def __init__(self) -> None:
        self._app = _WithRuntime(function_app())
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/"

    def serve(self, runtime: Runtime) -> HostedFunction:
        self._app.runtime = runtime
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> HostedFunction:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
