"""WebhookStore on Firestore (gcp). Layout, under a prefix (``{firestore_collection}_webhooks``)::

    {prefix}_endpoints/{endpoint_id}
        id, kind, created_at (timestamp), secret (the signing secret; null for theme-config
        endpoints), endpoint (the Endpoint as JSON, without its secret)
    {prefix}_events/{event_id}
        id, type, created_at, expire_at (a TTL policy may delete it after that), event (JSON)
    {prefix}_deliveries/{event_id}~{endpoint_id}
        event_id, endpoint_id, status, expire_at, record (JSON)

First-wins writes use ``create`` (AlreadyExists: read what is there). Deleting an endpoint is
one precondition write (``exists=True``), so of two concurrent deletes one reports True. A
``delivered`` record is final: an ``undeliverable`` one is written in a transaction that reads
it first. Listing filters on one field only (``kind``) and orders in memory: no composite index.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from google.api_core.exceptions import AlreadyExists, NotFound
from google.auth.exceptions import DefaultCredentialsError
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.transaction import Transaction

from trendreel.adapters.gcp_errors import GOOGLE_ERRORS, missing_credentials, translate
from trendreel.errors import ConfigError
from trendreel.settings import Settings
from trendreel.webhooks.models import DeliveryRecord, Endpoint, Event
from trendreel.webhooks.ports import MAX_ENDPOINTS

_T = TypeVar("_T")
SERVICE = "firestore"
#: How long events and delivery records are kept, for a Firestore TTL policy on ``expire_at``.
RETENTION = timedelta(days=30)
_PREFIX = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_AUTH_HINT = "The runtime service account needs roles/datastore.user on the project."


def _storable(doc_id: str) -> bool:
    # "__x__" ids are reserved by Firestore: such an endpoint or event cannot exist.
    return bool(doc_id) and not (doc_id.startswith("__") and doc_id.endswith("__"))


def _endpoint_doc(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "kind": endpoint.kind,
        "created_at": endpoint.created_at,
        "secret": endpoint.secret.get_secret_value() if endpoint.secret is not None else None,
        "endpoint": endpoint.model_dump(mode="json", exclude={"secret"}),
    }


def _endpoint(doc: dict[str, Any] | None) -> Endpoint:
    if doc is None or "endpoint" not in doc:
        raise ValueError("not a trendreel webhook endpoint document")
    return Endpoint.model_validate({**doc["endpoint"], "secret": doc.get("secret")})


class FirestoreWebhookStore:
    def __init__(self, client: firestore.Client, prefix: str = "jobs_webhooks") -> None:
        if not _PREFIX.match(prefix):
            raise ConfigError(f"invalid Firestore collection prefix {prefix!r}", field="prefix")
        self.client = client
        self.prefix = prefix
        self._endpoints = client.collection(f"{prefix}_endpoints")
        self._events = client.collection(f"{prefix}_events")
        self._deliveries = client.collection(f"{prefix}_deliveries")

    @classmethod
    def from_settings(
        cls, settings: Settings, client: firestore.Client | None = None
    ) -> FirestoreWebhookStore:
        """Next to the jobs (``{firestore_collection}_webhooks_*``); ``client`` may be the job
        store's, else one is made from Application Default Credentials."""
        if client is None:
            try:
                client = firestore.Client(
                    project=settings.gcp_project, database=settings.firestore_database
                )
            except DefaultCredentialsError as exc:
                raise missing_credentials(SERVICE, exc) from exc
        return cls(client, f"{settings.firestore_collection}_webhooks")

    def __repr__(self) -> str:
        return f"FirestoreWebhookStore(project={self.client.project!r}, {self.prefix!r})"

    def _call(self, action: str, call: Callable[[], _T]) -> _T:
        try:
            return call()
        except (AlreadyExists, NotFound):
            raise  # what a create or a precondition says: the caller's to read
        except GOOGLE_ERRORS as exc:
            raise translate(SERVICE, action, exc, auth_hint=_AUTH_HINT) from exc

    def _create_or_get(self, ref: Any, doc: dict[str, Any], action: str) -> dict[str, Any]:
        """Create ``doc`` at ``ref`` unless it exists; the stored document either way."""
        try:
            self._call(action, lambda: ref.create(doc))
        except AlreadyExists:
            stored: dict[str, Any] = self._call(action, lambda: ref.get().to_dict()) or {}
            return stored
        return doc

    # -- endpoints -----------------------------------------------------------------------------

    def put_endpoint(self, endpoint: Endpoint) -> Endpoint:
        ref = self._endpoints.document(endpoint.id)
        doc = self._create_or_get(ref, _endpoint_doc(endpoint), f"put endpoint {endpoint.id}")
        return _endpoint(doc)

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None:
        if not _storable(endpoint_id):
            return None
        snap = self._call("get endpoint", self._endpoints.document(endpoint_id).get)
        return _endpoint(snap.to_dict()) if snap.exists else None

    def list_endpoints(self) -> list[Endpoint]:
        query = self._endpoints.where(filter=FieldFilter("kind", "==", "registered"))
        snaps = self._call("list endpoints", lambda: list(query.limit(MAX_ENDPOINTS + 1).stream()))
        endpoints = [_endpoint(snap.to_dict()) for snap in snaps]
        return sorted(endpoints, key=lambda e: (e.created_at, e.id))

    def delete_endpoint(self, endpoint_id: str) -> bool:
        if not _storable(endpoint_id):
            return False
        ref = self._endpoints.document(endpoint_id)
        try:
            self._call("delete endpoint", lambda: ref.delete(self.client.write_option(exists=True)))
        except NotFound:
            return False
        return True

    # -- events and deliveries -----------------------------------------------------------------

    def put_event(self, event: Event) -> Event:
        doc = {
            "id": event.id,
            "type": event.type,
            "created_at": event.created_at,
            "expire_at": event.created_at + RETENTION,
            "event": event.model_dump(mode="json"),
        }
        stored = self._create_or_get(self._events.document(event.id), doc, f"put {event.id}")
        return Event.model_validate(stored["event"])

    def get_event(self, event_id: str) -> Event | None:
        if not _storable(event_id):
            return None
        snap = self._call("get event", self._events.document(event_id).get)
        return Event.model_validate(snap.get("event")) if snap.exists else None

    def _delivery_ref(self, event_id: str, endpoint_id: str) -> Any:
        return self._deliveries.document(f"{event_id}~{endpoint_id}")

    def record_delivery(self, record: DeliveryRecord) -> None:
        ref = self._delivery_ref(record.event_id, record.endpoint_id)
        doc = {
            "event_id": record.event_id,
            "endpoint_id": record.endpoint_id,
            "status": record.status,
            "expire_at": record.at + RETENTION,
            "record": record.model_dump(mode="json"),
        }
        if record.status == "delivered":
            self._call("record delivery", lambda: ref.set(doc))
            return

        @firestore.transactional
        def record_unless_delivered(tx: Transaction) -> None:
            snap = ref.get(transaction=tx)
            if not (snap.exists and snap.get("status") == "delivered"):
                tx.set(ref, doc)

        self._call("record delivery", lambda: record_unless_delivered(self.client.transaction()))

    def get_delivery(self, event_id: str, endpoint_id: str) -> DeliveryRecord | None:
        if not (_storable(event_id) and _storable(endpoint_id)):
            return None
        snap = self._call("get delivery", self._delivery_ref(event_id, endpoint_id).get)
        return DeliveryRecord.model_validate(snap.get("record")) if snap.exists else None

    def ping(self) -> None:
        self._call("ping", lambda: self._endpoints.document("_ping").get(timeout=10))
