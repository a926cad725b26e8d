"""The real ``trendreel`` entry point against a real HTTP api on 127.0.0.1.

``api``: the deployed api function (functions/api/main.py, loaded by functions-framework) served
by werkzeug on a free loopback port, on a runtime of in-memory fakes the test seeds: it answers
with today's shapes. ``http_fixture`` (tests/conftest.py) serves recorded JSON instead, for shapes
the api is growing into.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.unit.api.fakes import FakeJobStore, FakeTaskQueue
from trendreel import cli
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.bootstrap import Runtime
from trendreel.http import RUNTIME_KEY
from trendreel.settings import Settings

TOKEN = "tok-cli-9f2b7c4e1a6d3085"  # distinctive, so a leak is easy to find
API_MAIN = Path(__file__).resolve().parents[3] / "functions" / "api" / "main.py"


@dataclass
class Api:
    url: str
    store: FakeJobStore


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("TRENDREEL_") or name in ("NO_COLOR", "TERM"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRENDREEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRENDREEL_API_TOKEN", TOKEN)
    monkeypatch.setenv("COLUMNS", "200")  # wide unless a test narrows it


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = FakeJobStore()
    runtime = Runtime(
        settings=Settings(),
        store=store,
        queue=FakeTaskQueue(),
        blobs=LocalBlobStore(tmp_path / "blobs"),
        clock=lambda: datetime.now(UTC),
    )
    function = create_app(target="handle", source=str(API_MAIN))  # type: ignore[no-untyped-call]

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        environ[RUNTIME_KEY] = runtime
        return function(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Api(f"http://127.0.0.1:{server.server_port}", store)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


Trendreel = Callable[..., Run]


def assert_table(lines: list[str], columns: list[tuple[str, str]], rows: list[list[str]]) -> None:
    """``lines`` are a header naming ``columns`` ((header, "left"|"right"), in order) and then
    ``rows``, each cell where its header says: a left-aligned cell starts where its header starts,
    a right-aligned one ends where its header ends, with a space or the line's edge around it."""
    assert len(lines) == len(rows) + 1, lines
    spans, at = [], 0
    for name, _ in columns:
        at = lines[0].index(name, at)
        spans.append((at, at + len(name)))
        at += len(name)
    for line, row in zip(lines[1:], rows, strict=True):
        for (start, end), (_, align), value in zip(spans, columns, row, strict=True):
            at = end - len(value) if align == "right" else start
            assert line[at : at + len(value)] == value, (line, value)
            assert at == 0 or line[at - 1] == " ", (line, value)
            assert line[at + len(value) : at + len(value) + 1] in ("", " "), (line, value)


@pytest.fixture
def trendreel(capsys: pytest.CaptureFixture[str]) -> Trendreel:
    """``trendreel ARGS...`` in this process: its exit code and what it printed."""

    def run(*args: str) -> Run:
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run
