"""Fixtures for the webhook tests: local-backend settings under a temporary home, a SQLite
webhook store, a clock the test moves, and a signature-checking receiver on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fakes.webhook_receiver import WebhookReceiver
from tests.unit.webhooks.support import TOKEN, Clock
from trendreel.adapters.sqlite_webhooks import SqliteWebhookStore
from trendreel.settings import Settings
from trendreel.webhooks.stores import STORE_FILE


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRENDREEL_"):
            monkeypatch.delenv(name)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", api_token=TOKEN)


@pytest.fixture
def store(settings: Settings) -> SqliteWebhookStore:
    # Where the function finds it on its own (webhooks.stores.build_webhook_store).
    return SqliteWebhookStore(settings.home / STORE_FILE)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running
