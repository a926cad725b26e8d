"""The WebhookStore port: endpoints, events and delivery outcomes. Adapters: SQLite (local) and
Firestore (gcp), both held to ``tests/contract/test_webhook_store.py``.

Writes are first-wins where at-least-once callers repeat them: putting an event or endpoint
whose id exists returns the stored one unchanged, so the event a receiver de-duplicates on is
byte for byte the event of the first emission.
"""

from __future__ import annotations

from typing import Protocol

from trendreel.webhooks.models import DeliveryRecord, Endpoint, Event

#: Registered endpoints a deployment keeps (registration beyond it is refused).
MAX_ENDPOINTS = 100


class WebhookStore(Protocol):
    def put_endpoint(self, endpoint: Endpoint) -> Endpoint:
        """Insert ``endpoint`` unless its id exists; return the stored one (with its secret)."""
        ...

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None:
        """The endpoint with its secret; None if unknown or deleted."""
        ...

    def list_endpoints(self) -> list[Endpoint]:
        """Registered endpoints (not theme-config ones), oldest first, at most MAX_ENDPOINTS+1."""
        ...

    def delete_endpoint(self, endpoint_id: str) -> bool:
        """Delete; False if there was none. Deliveries still queued for it are then dropped."""
        ...

    def put_event(self, event: Event) -> Event:
        """Insert ``event`` unless its id exists; return the stored one."""
        ...

    def get_event(self, event_id: str) -> Event | None: ...

    def record_delivery(self, record: DeliveryRecord) -> None:
        """Record how delivering an event to an endpoint ended. The latest record wins, except
        that ``delivered`` is final: a late ``undeliverable`` from a duplicate delivery that
        failed does not hide that the receiver got the event."""
        ...

    def get_delivery(self, event_id: str, endpoint_id: str) -> DeliveryRecord | None: ...

    def ping(self) -> None:
        """Raise if the store cannot be reached (health check)."""
        ...
