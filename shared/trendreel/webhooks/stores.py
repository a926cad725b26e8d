"""Choosing the webhook store and the deployment's signing secret from a runtime's settings.

``build_webhook_store`` is what ``Runtime.webhooks()`` (bootstrap) builds once per process;
``runtime_store`` asks the runtime for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from trendreel.settings import Settings
from trendreel.webhooks.ports import WebhookStore

if TYPE_CHECKING:
    from trendreel.bootstrap import Runtime

STORE_FILE = "webhooks.sqlite3"


def build_webhook_store(settings: Settings, firestore_client: object | None = None) -> WebhookStore:
    """SQLite under ``home`` locally; Firestore next to the jobs on gcp (on the job store's
    client when given, so one process keeps one Firestore client)."""
    if settings.backend == "gcp":
        from google.cloud import firestore

        from trendreel.adapters.firestore_webhooks import FirestoreWebhookStore

        client = firestore_client if isinstance(firestore_client, firestore.Client) else None
        return FirestoreWebhookStore.from_settings(settings, client)
    from trendreel.adapters.sqlite_webhooks import SqliteWebhookStore

    settings.home.mkdir(parents=True, exist_ok=True)
    return SqliteWebhookStore(settings.home / STORE_FILE)


def runtime_store(rt: Runtime) -> WebhookStore:
    """The runtime's webhook store (built once per process, next to its job store)."""
    return rt.webhooks()


def deployment_secret(settings: Settings) -> SecretStr | None:
    """``TRENDREEL_WEBHOOK_SECRET``: what signs deliveries to theme-config ``webhook_url``s.
    None (nothing is sent there) when unset or empty."""
    secret = settings.webhook_secret
    return secret if secret is not None and secret.get_secret_value() else None
