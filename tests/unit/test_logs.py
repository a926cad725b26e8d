"""Logs on Google Cloud: one JSON object per line in the shape Cloud Logging reads, carrying the
job, stage, generation, attempt and the request's trace; plain text locally."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from functions_framework import create_app
from pydantic import SecretStr

from tests.unit.api.fakes import FakeJobStore, FakeTaskQueue
from trendreel import logs
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.bootstrap import Runtime
from trendreel.http import RUNTIME_KEY
from trendreel.settings import Settings

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
TRACE = "105445aa7843bc8bf206b12000100000/1;o=1"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The process's JSON handler, as configure() installs it on gcp, writing to a buffer."""
    stream = io.StringIO()
    root = logging.getLogger()
    before = list(root.handlers)
    logs.configure(Settings(backend="gcp", gcp_project="proj-1"), stream=stream)
    yield stream
    root.handlers[:] = before


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_record_is_one_json_line_with_severity_and_the_bound_fields(
    captured: io.StringIO,
) -> None:
    log = logging.getLogger("trendreel.test")
    with logs.bound(job_id="job-1234567", stage="composition", generation=2, attempt=3):
        log.warning("rendering took %d s", 12)
    log.error("outside any job")

    first, second = lines(captured)
    assert first["severity"] == "WARNING"
    assert first["message"] == "rendering took 12 s"
    assert (first["job_id"], first["stage"], first["generation"], first["attempt"]) == (
        "job-1234567",
        "composition",
        2,
        3,
    )
    assert second["severity"] == "ERROR"
    assert "job_id" not in second  # the binding ended with its block


def test_an_exception_is_in_the_same_line(captured: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("trendreel.test").exception("stage crashed")
    (entry,) = lines(captured)
    assert entry["severity"] == "ERROR"
    assert isinstance(entry["message"], str)
    assert entry["message"].startswith("stage crashed\nTraceback")
    assert "ValueError: boom" in entry["message"]


def test_the_trace_header_becomes_cloud_loggings_trace_fields() -> None:
    fields = logs.trace_fields(TRACE, "proj-1")
    assert fields == {
        logs.TRACE: "projects/proj-1/traces/105445aa7843bc8bf206b12000100000",
        logs.SPAN: "1",
        logs.SAMPLED: True,
    }
    assert logs.trace_fields("not a trace/../../", "proj-1") == {}
    assert logs.trace_fields(TRACE, None) == {}


def test_locally_nothing_changes() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    logs.configure(Settings(backend="local"))
    assert root.handlers == before


def test_configure_twice_installs_one_handler(captured: io.StringIO) -> None:
    logs.configure(Settings(backend="gcp", gcp_project="proj-1"), stream=captured)
    logging.getLogger("trendreel.test").warning("once")
    assert len(lines(captured)) == 1


@pytest.fixture
def stage_app() -> Flask:
    app: Flask = create_app(  # type: ignore[no-untyped-call]
        target="handle", source=str(FUNCTIONS / "trend_analysis" / "main.py")
    )
    return app


def test_a_delivery_logs_its_job_stage_attempt_and_trace(
    captured: io.StringIO, stage_app: Flask, tmp_path: Path
) -> None:
    settings = Settings(
        backend="local", home=tmp_path, api_token=SecretStr("tok-1234567890"), gcp_project="proj-1"
    )
    rt = Runtime(
        settings=settings, store=FakeJobStore(), queue=FakeTaskQueue(),
        blobs=LocalBlobStore(tmp_path / "blobs"),
    )  # fmt: skip
    client = stage_app.test_client()
    environ: dict[str, Any] = client.environ_base  # Flask infers dict[str, str]; WSGI: any value
    environ[RUNTIME_KEY] = rt
    task = {"job_id": "job-missing-0001", "stage": "trend_analysis", "generation": 4}
    headers = {
        "Authorization": "Bearer tok-1234567890",
        "X-Cloud-Trace-Context": TRACE,
        "X-CloudTasks-TaskRetryCount": "2",
    }

    answer = client.post("/", json=task, headers=headers)

    assert answer.status_code == 200
    (entry,) = [e for e in lines(captured) if str(e["message"]).startswith("delivery answered")]
    assert entry["job_id"] == "job-missing-0001"
    assert (entry["stage"], entry["generation"], entry["attempt"]) == ("trend_analysis", 4, 3)
    assert entry["function"] == "trend_analysis"
    assert entry[logs.TRACE] == "projects/proj-1/traces/105445aa7843bc8bf206b12000100000"
