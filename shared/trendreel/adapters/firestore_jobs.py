"""JobStore on Firestore: one document per job, every state change a transaction.

Layout::

    {collection}/{job_id}
        id, status    copies of the job's fields that queries filter and order on
        updated_at    a Firestore timestamp (the sweeper's range query needs a real time)
        theme_key     the theme as topic history compares it (``models.job.theme_key``)
        topic_at      when the job chose its topic, a timestamp; absent until it has one, so
                      the topic-history query never reads jobs without one
        publications_due_at  when a publication next needs a look (a metrics reading, a
                      queued post to re-drive), a timestamp; absent when none does (the
                      collector's and the sweeper's range query)
        job           the whole Job as JSON (mode="json"), so every field and offset round-trips
    {collection}_idempotency/{sha256(key)}
        job_id, created_at

The idempotency document is written in the same transaction as the job, and the transaction
reads it first: two concurrent creates with one key serialize on it, so exactly one job exists
per key. ``update`` reads, applies the pure mutation and writes in one transaction; Firestore
retries it on contention, which is why mutations must not have side effects.

Within one process, transactions on the same job (or idempotency key) also take a striped
in-process lock first. Firestore transactions are pessimistic: two that read the same document
and both want to write it wait on each other until one is aborted and retried (the emulator
needs two seconds to break such a tie). The lock makes a Cloud Run instance serving concurrent
requests queue its own writers instead; the transaction still decides between instances.

Queries need the composite indexes in ``infra/firestore.indexes.json`` (the emulator does not
check them; ``tests/unit/adapters/test_firestore_indexes.py`` does).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.api_core.exceptions import Aborted, AlreadyExists
from google.auth.exceptions import DefaultCredentialsError
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.document import DocumentReference
from google.cloud.firestore_v1.transaction import Transaction

from trendreel.adapters.gcp_errors import GOOGLE_ERRORS, missing_credentials, translate
from trendreel.adapters.job_queries import ID_PATTERN, check_cursor, check_limit
from trendreel.errors import ConfigError, JobNotFoundError, ProviderUnavailableError
from trendreel.models import Job, JobStatus
from trendreel.models.job import theme_key
from trendreel.models.trends import UsedTopic
from trendreel.ports import Mutation
from trendreel.settings import Settings

_T = TypeVar("_T")

SERVICE = "firestore"
MAX_PAGE = 100
#: Transaction attempts on contention (the client retries Aborted commits without backoff,
#: keeping its place in line); a handful of racing deliveries stays well below this.
MAX_ATTEMPTS = 25
_LOCK_STRIPES = 64
_COLLECTION_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_AUTH_HINT = "The runtime service account needs roles/datastore.user on the project."


def _encode(job: Job) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the document, the job's JSON) for ``job``."""
    data = job.model_dump(mode="json")
    doc: dict[str, Any] = {
        "id": job.id,
        "status": job.status.value,
        "updated_at": job.updated_at,
        "theme_key": theme_key(job.theme),
        "job": data,
    }
    if job.topic is not None:
        doc["topic_at"] = job.topic.chosen_at
    if job.publications_due_at is not None:
        doc["publications_due_at"] = job.publications_due_at
    return doc, data


def _decode(doc: dict[str, Any] | None) -> Job:
    if doc is None or "job" not in doc:
        raise ValueError("not a trendreel job document")
    return Job.model_validate(doc["job"])


def _storable_id(job_id: object) -> bool:
    # Job ids that Firestore cannot use as document ids ("__x__" is reserved) cannot exist.
    return (
        isinstance(job_id, str)
        and ID_PATTERN.match(job_id) is not None
        and not (job_id.startswith("__") and job_id.endswith("__"))
    )


def _key_id(key: str) -> str:
    # Hashed: a client's key may hold characters a document id cannot ("/", "__x__").
    return hashlib.sha256(key.encode()).hexdigest()


class FirestoreJobStore:
    def __init__(self, client: firestore.Client, collection: str = "jobs") -> None:
        if not _COLLECTION_PATTERN.match(collection):
            raise ConfigError(
                f"invalid Firestore collection name {collection!r}", field="firestore_collection"
            )
        self.client = client
        self.collection = collection
        self._jobs = client.collection(collection)
        self._keys = client.collection(f"{collection}_idempotency")
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    @classmethod
    def from_settings(cls, settings: Settings) -> FirestoreJobStore:
        """Application Default Credentials; FIRESTORE_EMULATOR_HOST switches to the emulator."""
        try:
            client = firestore.Client(
                project=settings.gcp_project, database=settings.firestore_database
            )
        except DefaultCredentialsError as exc:
            raise missing_credentials(SERVICE, exc) from exc
        return cls(client, settings.firestore_collection)

    def __repr__(self) -> str:
        return f"FirestoreJobStore(project={self.client.project!r}, {self.collection!r})"

    # -- plumbing ------------------------------------------------------------------------------

    def _lock(self, name: str) -> threading.Lock:
        return self._locks[hash(name) % _LOCK_STRIPES]

    def _transaction(self) -> Transaction:
        return self.client.transaction(max_attempts=MAX_ATTEMPTS)

    def _failure(self, action: str, exc: Exception) -> Exception:
        """The trendreel error for a Firestore failure (``exc`` is raised from it)."""
        if isinstance(exc, ValueError) and isinstance(exc.__cause__, Aborted):
            # The client gave up after MAX_ATTEMPTS aborted commits (contention).
            return ProviderUnavailableError(
                SERVICE, f"{action}: transaction aborted {MAX_ATTEMPTS} times under contention"
            )
        return translate(SERVICE, action, exc, auth_hint=_AUTH_HINT)

    def _transact(self, lock: str, action: str, body: Callable[[Transaction], _T]) -> _T:
        """Run ``body`` in a transaction (retried on contention) under the in-process lock.

        Whatever ``body`` raises propagates unchanged; AlreadyExists from the commit too (only
        ``create`` can cause it); other Firestore failures become trendreel errors."""
        with self._lock(lock):
            try:
                result: _T = firestore.transactional(body)(self._transaction())
            except AlreadyExists:
                raise
            except ValueError as exc:
                if not isinstance(exc.__cause__, Aborted):
                    raise
                raise self._failure(action, exc) from exc
            except GOOGLE_ERRORS as exc:
                raise self._failure(action, exc) from exc
        return result

    # -- JobStore ------------------------------------------------------------------------------

    def create(self, job: Job) -> tuple[Job, bool]:
        if not _storable_id(job.id):
            raise ValueError(f"job id {job.id!r} is reserved in Firestore")
        key = job.idempotency_key
        key_ref = self._keys.document(_key_id(key)) if key is not None else None
        lock = f"key:{key}" if key is not None else f"job:{job.id}"
        try:
            return self._transact(lock, f"create job {job.id}", self._creator(job, key_ref))
        except AlreadyExists as exc:  # created between our read and commit by a non-transaction
            raise ValueError(f"a job with id {job.id!r} already exists") from exc

    def _creator(
        self, job: Job, key_ref: DocumentReference | None
    ) -> Callable[[Transaction], tuple[Job, bool]]:
        doc, _ = _encode(job)
        job_ref = self._jobs.document(job.id)

        def create_in(tx: Transaction) -> tuple[Job, bool]:
            used = key_ref.get(transaction=tx) if key_ref is not None else None
            if used is not None and used.exists:
                owner = self._jobs.document(used.get("job_id")).get(transaction=tx)
                if owner.exists:
                    return _decode(owner.to_dict()), False
            if job_ref.get(transaction=tx).exists:
                raise ValueError(f"a job with id {job.id!r} already exists")
            tx.create(job_ref, doc)
            if key_ref is not None:
                # set, not create: a key whose job was deleted is taken over by this one.
                tx.set(key_ref, {"job_id": job.id, "created_at": job.created_at})
            return job, True

        return create_in

    def get(self, job_id: str) -> Job | None:
        if not _storable_id(job_id):
            return None  # could never have been stored (and may not be a valid document id)
        try:
            snap = self._jobs.document(job_id).get()
        except GOOGLE_ERRORS as exc:
            raise self._failure(f"get job {job_id}", exc) from exc
        return _decode(snap.to_dict()) if snap.exists else None

    def update(self, job_id: str, mutate: Mutation) -> Job:
        if not _storable_id(job_id):
            raise JobNotFoundError(job_id)
        ref = self._jobs.document(job_id)

        def update_in(tx: Transaction) -> Job:
            snap = ref.get(transaction=tx)
            if not snap.exists:
                raise JobNotFoundError(job_id)
            stored = snap.to_dict() or {}
            result = mutate(_decode(stored))
            if not isinstance(result, Job):
                raise TypeError(f"mutation returned {type(result).__name__}, not a Job")
            if result.id != job_id:
                raise ValueError(f"mutation changed the job id from {job_id!r} to {result.id!r}")
            # model_copy(update=...) does not validate: round-trip so only valid documents land.
            new = Job.model_validate(result.model_dump(mode="json"))
            doc, data = _encode(new)
            if data != stored.get("job"):  # compare with what is stored: mutate may edit in place
                tx.set(ref, doc)
            return new

        return self._transact(f"job:{job_id}", f"update job {job_id}", update_in)

    def list_jobs(
        self, *, status: JobStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[Job], str | None]:
        check_limit(limit, MAX_PAGE)
        query = self._jobs.order_by("id", direction=firestore.Query.DESCENDING)
        if status is not None:
            query = query.where(filter=FieldFilter("status", "==", JobStatus(status).value))
        if cursor is not None:
            query = query.start_after({"id": check_cursor(cursor)})
        # One extra document tells whether another page exists.
        jobs = self._fetch(query.limit(limit + 1), "list jobs")
        page = jobs[:limit]
        return page, (page[-1].id if len(jobs) > limit else None)

    def stuck(self, *, updated_before: datetime, limit: int) -> list[Job]:
        check_limit(limit, None)
        if updated_before.utcoffset() is None:
            raise ValueError(f"timezone-aware datetime required, got {updated_before.isoformat()}")
        active = [JobStatus.PENDING.value, JobStatus.RUNNING.value]
        # Oldest first; ties fall back to the document id (= job id), Firestore's implicit order.
        query = (
            self._jobs.where(filter=FieldFilter("status", "in", active))
            .where(filter=FieldFilter("updated_at", "<", updated_before.astimezone(UTC)))
            .order_by("updated_at")
            .limit(limit)
        )
        return self._fetch(query, "find stuck jobs")

    def recent_topics(self, theme: str, *, since: datetime, limit: int) -> list[UsedTopic]:
        check_limit(limit, MAX_PAGE)
        if since.utcoffset() is None:
            raise ValueError(f"timezone-aware datetime required, got {since.isoformat()}")
        query = (
            self._jobs.where(filter=FieldFilter("theme_key", "==", theme_key(theme)))
            .where(filter=FieldFilter("topic_at", ">=", since.astimezone(UTC)))
            .order_by("topic_at", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        jobs = self._fetch(query, f"read recent topics for theme {theme!r}")
        return [used for job in jobs if (used := job.used_topic()) is not None]

    def publications_due(self, *, due_before: datetime, limit: int) -> list[Job]:
        check_limit(limit, MAX_PAGE)
        if due_before.utcoffset() is None:
            raise ValueError(f"timezone-aware datetime required, got {due_before.isoformat()}")
        # One field, range and order: served by Firestore's single-field index.
        query = (
            self._jobs.where(
                filter=FieldFilter("publications_due_at", "<=", due_before.astimezone(UTC))
            )
            .order_by("publications_due_at")
            .limit(limit)
        )
        return self._fetch(query, "find publications due a look")

    def ping(self) -> None:
        try:
            self._jobs.document("_ping").get(timeout=10)
        except GOOGLE_ERRORS as exc:
            raise self._failure("ping", exc) from exc

    def _fetch(self, query: firestore.Query, action: str) -> list[Job]:
        try:
            return [_decode(snap.to_dict()) for snap in query.stream()]
        except GOOGLE_ERRORS as exc:
            raise self._failure(action, exc) from exc
