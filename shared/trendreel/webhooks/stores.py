"""Choosing the webhook store and the deployment's signing secret from a runtime's settings.

``build_webhook_store`` is what ``Runtime.webhooks()`` (bootstrap) builds once per process.
``runtime_store`` asks the runtime for it and, on a runtime without that accessor, builds one
from the settings for the call (cheap on SQLite; on gcp it makes a Firestore client per call,
which is why the runtime should keep one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

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
    """The runtime's webhook store (``Runtime.webhooks()``), or one built for this call."""
    accessor = getattr(rt, "webhooks", None)
    if callable(accessor):
        return cast(WebhookStore, accessor())
    return build_webhook_store(rt.settings, getattr(rt.store, "client", None))


def deployment_secret(settings: Settings) -> SecretStr | None:
    """``TRENDREEL_WEBHOOK_SECRET``: what signs deliveries to theme-config ``webhook_url``s.
    None (nothing is sent there) when unset or empty."""
    secret = getattr(settings, "webhook_secret", None)
    if isinstance(secret, SecretStr) and secret.get_secret_value():
        return secret
    return None
