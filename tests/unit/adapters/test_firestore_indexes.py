"""Every query FirestoreJobStore makes has its composite index in infra/firestore.indexes.json.

The emulator runs any query, indexed or not; production Firestore rejects one that needs a
missing composite index (FAILED_PRECONDITION). So the adapter's real queries are captured here,
without a server, and checked against the index file with Firestore's rules: equality (and
``in``) fields first, in any order, then the ordered fields with their directions, the
inequality field ordered first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1 import query as query_module
from google.cloud.firestore_v1.types import StructuredQuery

from trendreel.adapters.firestore_jobs import FirestoreJobStore
from trendreel.models import JobStatus
from trendreel.settings import Settings

INDEX_FILE = Path(__file__).resolve().parents[3] / "infra" / "firestore.indexes.json"
COLLECTION = Settings.model_fields["firestore_collection"].default
EQUALITY = {"EQUAL", "IN", "ARRAY_CONTAINS", "ARRAY_CONTAINS_ANY"}

Field = tuple[str, str]  # (field path, ASCENDING | DESCENDING)


def captured_queries(monkeypatch: pytest.MonkeyPatch) -> list[StructuredQuery]:
    """Run every query-making method with each option, recording the queries sent."""
    sent: list[StructuredQuery] = []

    def stream(self: query_module.Query, *args: Any, **kwargs: Any) -> Iterator[Any]:
        sent.append(self._to_protobuf())
        return iter(())

    monkeypatch.setattr(query_module.Query, "stream", stream)
    client = firestore.Client(project="index-check", credentials=AnonymousCredentials())
    store = FirestoreJobStore(client, COLLECTION)
    for status in [None, *JobStatus]:
        for cursor in (None, "20240501T120000-abcd1234"):
            store.list_jobs(status=status, limit=10, cursor=cursor)
    store.stuck(updated_before=datetime(2024, 5, 1, tzinfo=UTC), limit=10)
    store.recent_topics("healthy cooking", since=datetime(2024, 5, 1, tzinfo=UTC), limit=10)
    return sent


def _filters(where: StructuredQuery.Filter) -> Iterator[StructuredQuery.FieldFilter]:
    if "composite_filter" in where:
        for child in where.composite_filter.filters:
            yield from _filters(child)
    elif "field_filter" in where:
        yield where.field_filter
    elif "unary_filter" in where:
        raise AssertionError("unary filters (IS NULL / IS NAN) are not handled by this check")


def required_index(query: StructuredQuery) -> tuple[frozenset[str], tuple[Field, ...]] | None:
    """(equality fields, ordered fields) of the composite index the query needs, or None when
    Firestore's automatic single-field indexes serve it."""
    equality: set[str] = set()
    inequality: list[str] = []
    if "where" in query:
        for f in _filters(query.where):
            op = StructuredQuery.FieldFilter.Operator(f.op).name
            if op in EQUALITY:
                equality.add(f.field.field_path)
            else:
                inequality.append(f.field.field_path)
    ordered: list[Field] = [
        (o.field.field_path, StructuredQuery.Direction(o.direction).name)
        for o in query.order_by
        if o.field.field_path != "__name__"
    ]
    for field in inequality:  # Firestore orders by the inequality field first
        if field not in [name for name, _ in ordered]:
            ordered.insert(0, (field, "ASCENDING"))
    if not ordered or len(equality | {name for name, _ in ordered}) <= 1:
        return None
    return frozenset(equality - {name for name, _ in ordered}), tuple(ordered)


def index_serves(index: dict[str, Any], need: tuple[frozenset[str], tuple[Field, ...]]) -> bool:
    equality, ordered = need
    fields = [(f["fieldPath"], f["order"]) for f in index["fields"]]
    head, tail = fields[: len(equality)], fields[len(equality) :]
    return {name for name, _ in head} == equality and tuple(tail) == ordered


@pytest.fixture
def index_file() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(INDEX_FILE.read_text())
    return data


def test_every_query_has_a_composite_index(
    monkeypatch: pytest.MonkeyPatch, index_file: dict[str, Any]
) -> None:
    queries = captured_queries(monkeypatch)
    assert len(queries) == 2 * (len(JobStatus) + 1) + 2
    indexes = [i for i in index_file["indexes"] if i["collectionGroup"] == COLLECTION]
    for query in queries:
        assert [c.collection_id for c in query.from_] == [COLLECTION]
        need = required_index(query)
        if need is not None:
            assert any(index_serves(i, need) for i in indexes), f"no index for {need}:\n{query}"


def test_every_declared_index_is_used(
    monkeypatch: pytest.MonkeyPatch, index_file: dict[str, Any]
) -> None:
    needs = [n for q in captured_queries(monkeypatch) if (n := required_index(q)) is not None]
    for index in index_file["indexes"]:
        assert index["queryScope"] == "COLLECTION"
        assert any(index_serves(index, n) for n in needs), f"unused index {index}"


def test_queries_avoid_fields_exempt_from_indexing(
    monkeypatch: pytest.MonkeyPatch, index_file: dict[str, Any]
) -> None:
    exempt = {o["fieldPath"] for o in index_file["fieldOverrides"] if o["indexes"] == []}
    assert "job" in exempt  # the whole Job map: never queried, so not indexed (cheaper writes)
    for query in captured_queries(monkeypatch):
        used = [o.field.field_path for o in query.order_by]
        if "where" in query:
            used += [f.field.field_path for f in _filters(query.where)]
        assert not any(u == e or u.startswith(f"{e}.") for u in used for e in exempt), used


def test_the_check_itself_catches_a_missing_index() -> None:
    client = firestore.Client(project="index-check", credentials=AnonymousCredentials())
    jobs = client.collection(COLLECTION)
    by_trigger = jobs.where(filter=firestore.FieldFilter("trigger", "==", "cli")).order_by("id")
    need = required_index(by_trigger._to_protobuf())
    assert need == (frozenset({"trigger"}), (("id", "ASCENDING"),))
    assert required_index(jobs.order_by("id")._to_protobuf()) is None
    status_only = jobs.where(filter=firestore.FieldFilter("status", "==", "failed"))
    assert required_index(status_only._to_protobuf()) is None
