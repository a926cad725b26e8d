"""The api under test: functions/api/main.py loaded by functions-framework, as deployed, with a
Runtime of in-memory fakes (jobs, queue), a real local blob folder and a clock the test moves.

The runtime reaches the function the way ``trendreel serve`` hands its own to each request (the
WSGI environ key ``trendreel.http.RUNTIME_KEY``); without it the function would build one from
the environment, as on Cloud Run."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from functions_framework import create_app

from tests.unit.api.fakes import NOW, FakeJobStore, FakeTaskQueue
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.bootstrap import Runtime
from trendreel.http import RUNTIME_KEY
from trendreel.settings import Settings

TOKEN = "tok-3c1e9a7f5b2d4e6a8c0b"  # distinctive, so a leak is easy to find
AUTH = {"Authorization": f"Bearer {TOKEN}"}
API_MAIN = Path(__file__).resolve().parents[3] / "functions" / "api" / "main.py"


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("TRENDREEL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRENDREEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRENDREEL_API_TOKEN", TOKEN)


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def store() -> FakeJobStore:
    return FakeJobStore()


@pytest.fixture
def queue() -> FakeTaskQueue:
    return FakeTaskQueue()


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rt(
    settings: Settings,
    store: FakeJobStore,
    queue: FakeTaskQueue,
    blobs: LocalBlobStore,
    clock: Clock,
) -> Runtime:
    return Runtime(settings=settings, store=store, queue=queue, blobs=blobs, clock=clock)


@pytest.fixture(scope="session")
def app() -> Flask:
    flask_app: Flask = create_app(target="handle", source=str(API_MAIN))  # type: ignore[no-untyped-call]
    return flask_app


def client_for(app: Flask, rt: Runtime) -> FlaskClient:
    """A test client whose requests run on ``rt``."""
    client = app.test_client()
    environ: dict[str, Any] = client.environ_base  # Flask infers dict[str, str]; WSGI: any value
    environ[RUNTIME_KEY] = rt
    return client


@pytest.fixture
def client(app: Flask, rt: Runtime) -> FlaskClient:
    return client_for(app, rt)


def error_code(response: Any) -> str:
    return str(response.get_json()["error"]["code"])
