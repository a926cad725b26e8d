"""What only the SQLite webhook store has: a private file, and a clear error for a broken one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.unit.webhooks.support import NOW
from trendreel.adapters.sqlite_webhooks import SqliteWebhookStore
from trendreel.webhooks.errors import WebhookStoreUnavailableError
from trendreel.webhooks.models import Endpoint, new_secret


def test_the_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "home" / "webhooks.sqlite3"
    store = SqliteWebhookStore(path)

    store.put_endpoint(
        Endpoint(
            id="wh_private_001", url="https://h.example.com/", created_at=NOW, secret=new_secret()
        )
    )

    assert path.stat().st_mode & 0o777 == 0o600
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        assert not extra.exists() or extra.stat().st_mode & 0o777 == 0o600


def test_the_secret_is_kept_out_of_the_stored_document(tmp_path: Path) -> None:
    path = tmp_path / "webhooks.sqlite3"
    secret = new_secret()
    SqliteWebhookStore(path).put_endpoint(
        Endpoint(id="wh_private_001", url="https://h.example.com/", created_at=NOW, secret=secret)
    )

    with sqlite3.connect(path) as conn:
        (doc,) = conn.execute("SELECT doc FROM endpoints").fetchone()

    assert secret.get_secret_value() not in doc
    assert "secret" not in doc


def test_a_file_that_is_not_a_database_is_a_retryable_error_naming_the_file_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "private-folder" / "webhooks.sqlite3"
    path.parent.mkdir()
    path.write_bytes(b"this is not a database file at all" * 100)

    with pytest.raises(WebhookStoreUnavailableError) as caught:
        SqliteWebhookStore(path).get_event("evt_anything")

    assert caught.value.retryable
    assert caught.value.code == "webhook_store_unavailable"
    assert "webhooks.sqlite3" in caught.value.message
    assert "private-folder" not in caught.value.message
