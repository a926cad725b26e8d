"""GET /openapi.json: OpenAPI 3.1 from the route table and the pydantic models."""

from __future__ import annotations

import importlib.util
import re
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH
from tests.unit.api.fakes import FakeJobStore, FakeTaskQueue, finished_job, make_job
from trendreel.api.routes import ROUTES
from trendreel.api.schemas import JOB_ID_PATTERN
from trendreel.models import JobStatus


@pytest.fixture
def doc(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json", headers=AUTH)
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_the_document_needs_the_token(client: FlaskClient) -> None:
    assert client.get("/openapi.json").status_code == 401


def test_every_route_is_documented_and_nothing_else(doc: dict[str, Any]) -> None:
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    routed = {(r.method, re.sub(r"<([a-z_]+)>", r"{\1}", r.path)) for r in ROUTES}

    assert doc["openapi"] == "3.1.0"
    assert documented == routed
    assert len(routed) == 19


def test_security_is_bearer_except_health(doc: dict[str, Any]) -> None:
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "the API token",
    }  # fmt: skip
    assert doc["security"] == [{"bearerAuth": []}]
    assert doc["paths"]["/health"]["get"]["security"] == []
    video = doc["paths"]["/videos/{video_id}/video.mp4"]["get"]
    assert {"bearerAuth": []} in video["security"]
    assert "security" not in doc["paths"]["/jobs"]["get"]  # the global requirement applies
    assert "401" in doc["paths"]["/jobs"]["get"]["responses"]
    assert "401" not in doc["paths"]["/health"]["get"]["responses"]


def test_schemas_come_from_the_pydantic_models(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    generate = doc["paths"]["/generate"]["post"]

    body_ref = generate["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref == "#/components/schemas/GenerateRequest"
    assert schemas["GenerateRequest"]["additionalProperties"] is False
    assert {"$ref": "#/components/schemas/ThemeConfig"} in (
        schemas["GenerateRequest"]["properties"]["config"]["anyOf"]
    )
    accepted = generate["responses"]["202"]["content"]["application/json"]["schema"]
    assert accepted == {"$ref": "#/components/schemas/GenerateAccepted"}
    assert set(schemas["JobStatusView"]["required"]) >= {"id", "status", "progress_pct"}
    limit = next(p for p in doc["paths"]["/jobs"]["get"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 100)
    params = doc["paths"]["/jobs/{job_id}"]["get"]["parameters"]
    assert {"name": "job_id", "in": "path", "required": True}.items() <= params[0].items()


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    names = set(doc["components"]["schemas"])
    refs = _refs(doc)

    assert refs
    assert all(r.startswith("#/components/schemas/") for r in refs)
    assert {r.rsplit("/", 1)[1] for r in refs} <= names


def test_every_operation_has_an_id_and_responses(doc: dict[str, Any]) -> None:
    operations = [op for ops in doc["paths"].values() for op in ops.values()]
    ids = [op["operationId"] for op in operations]

    assert len(ids) == len(set(ids))
    assert all(op["responses"] and op["summary"] for op in operations)


@pytest.mark.skipif(
    importlib.util.find_spec("openapi_spec_validator") is None,
    reason="openapi-spec-validator is not installed in this environment",
)
def test_the_document_passes_openapi_spec_validator(doc: dict[str, Any]) -> None:
    from openapi_spec_validator import validate  # type: ignore[import-not-found,unused-ignore]

    validate(doc)


# --- documented parameters are what the api enforces -----------------------------------------

#: The codes the api answers when a parameter in that place is not what the document says.
REFUSALS = {
    "path": {"invalid_id"},
    "query": {"invalid_query", "invalid_cursor"},
    "header": {"invalid_idempotency_key", "reserved_idempotency_key", "invalid_scheduler_headers"},
}
#: Values to try for every parameter whose schema constrains it: the document decides, for each,
#: whether it is valid; the api must agree.
SAMPLES: dict[str, list[str]] = {
    "job_id": ["job-0002", "A" * 64, "ab_-12", "abcde", "A" * 65, "job 0002", "job.0002", "jöb-02"],
    "video_id": ["vid-0001", "A" * 64, "abcde", "A" * 65, "vid 0001", "vid~0001"],
    "webhook_id": ["hook-0001", "A" * 64, "abcde", "A" * 65, "hook 0001", "hook~0001"],
    "cursor": ["job-0002", "A" * 64, "", "abcde", "A" * 65, "a.b:c~d=e", "job 0002"],
    "limit": ["1", "20", "100", "200", "0", "101", "201", "-1", "abc", "1.5", ""],
    "status": ["pending", "failed", "completed", "generated", "approved", "published", "nope",
               ""],
    "platform": ["youtube", "tiktok", "google_trends", "myspace", ""],
    "expires": ["0", "1741953600", "253402300799", "253402300800", "-1", "abc", "9" * 30],
    "sig": ["", "a" * 128, "a" * 129],
    "Idempotency-Key": [
        "k", "nightly-2025-03-14", "~" * 200, "a:b/c?d", "schedule:x",
        "", "has space", "x" * 201, "naïve", "tab\there", "scheduler:nightly", "SCHEDULER:x",
    ],
    "X-CloudScheduler-JobName": [
        "nightly", "projects/p/locations/l/jobs/nightly", "has space", "naïve", "x" * 189,
    ],
    "X-CloudScheduler-ScheduleTime": [
        "2025-03-14T12:00:00Z", "2025-03-14T12:00:00.000000Z", "whenever",
        "next tuesday", "naïve", "x" * 189,
    ],
}  # fmt: skip
#: Jobs the api knows, so a cursor the document accepts is one this api could have handed out.
KNOWN_IDS = ["job-0002", "A" * 64]
#: The rest of a request that sends one parameter under test.
PATH_DEFAULTS = {"job_id": "job-0002", "video_id": "vid-0001", "webhook_id": "hook-0001"}
HEADER_DEFAULTS = {
    "X-CloudScheduler-JobName": "nightly",
    "X-CloudScheduler-ScheduleTime": "2025-03-14T12:00:00Z",
}
CONSTRAINTS = {"pattern", "not", "enum", "minimum", "maximum", "minLength", "maxLength", "$ref"}


def _parameters(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, param)
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
        for param in operation["parameters"]
    ]


def _valid(doc: dict[str, Any], schema: dict[str, Any], value: str) -> bool:
    from jsonschema import Draft202012Validator

    instance: Any = value
    if schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]+", value):
        instance = int(value)  # what the query string means
    # "#/components/..." refs resolve in the root schema, so the components travel along.
    root = {**schema, "components": doc["components"]}
    return Draft202012Validator(root).is_valid(instance)


def _send(client: FlaskClient, method: str, path: str, param: dict[str, Any], value: str) -> Any:
    headers = dict(AUTH)
    url = path
    for name, default in PATH_DEFAULTS.items():
        url = url.replace(
            f"{{{name}}}", quote(value, safe="") if name == param["name"] else default
        )
    if param["in"] == "query":
        url += "?" + urlencode({param["name"]: value})
    if param["in"] == "header":
        headers.update(HEADER_DEFAULTS if param["name"] in HEADER_DEFAULTS else {})
        headers[param["name"]] = value
    return client.open(url, method=method.upper(), headers=headers)


def _known_jobs(store: FakeJobStore) -> None:
    store.create(finished_job("vid-0001"))
    for job_id in KNOWN_IDS:
        store.create(make_job(job_id, status=JobStatus.FAILED, completed=1))


def test_every_constrained_parameter_has_samples(doc: dict[str, Any]) -> None:
    constrained = {p["name"] for _, _, p in _parameters(doc) if CONSTRAINTS & set(p["schema"])}
    assert constrained == set(SAMPLES)


def test_the_documented_parameter_schemas_are_what_the_api_accepts(
    client: FlaskClient, doc: dict[str, Any], store: FakeJobStore
) -> None:
    _known_jobs(store)
    disagreements = []
    for method, path, param in _parameters(doc):
        for value in SAMPLES.get(param["name"], []):
            valid = _valid(doc, param["schema"], value)
            response = _send(client, method, path, param, value)
            body = response.get_json(silent=True) or {}
            code = body.get("error", {}).get("code")
            refused = response.status_code == 400 and code in REFUSALS[param["in"]]
            if valid == refused:
                said = "accepts" if valid else "rejects"
                disagreements.append(
                    f"{method.upper()} {path} {param['name']}={value[:40]!r}: the document "
                    f"{said} it, the api answered {response.status_code} {code}"
                )
    assert not disagreements, "\n".join(disagreements)


def test_a_value_the_document_rejects_is_a_400(
    client: FlaskClient, doc: dict[str, Any], store: FakeJobStore, queue: FakeTaskQueue
) -> None:
    # ... and changes nothing.
    _known_jobs(store)
    jobs, tasks = dict(store.jobs), dict(queue.tasks)
    for method, path, param in _parameters(doc):
        for value in SAMPLES.get(param["name"], []):
            if not _valid(doc, param["schema"], value):
                response = _send(client, method, path, param, value)
                assert response.status_code == 400, (method, path, param["name"], value[:40])
    assert (store.jobs, queue.tasks) == (jobs, tasks)


def test_the_cursor_is_documented_as_a_job_id(doc: dict[str, Any]) -> None:
    cursor = next(p for p in doc["paths"]["/jobs"]["get"]["parameters"] if p["name"] == "cursor")
    assert cursor["schema"] == {"type": "string", "pattern": JOB_ID_PATTERN}


def test_the_headers_the_api_reads_are_documented(doc: dict[str, Any]) -> None:
    generate = {p["name"]: p for p in doc["paths"]["/generate"]["post"]["parameters"]}

    key = generate["Idempotency-Key"]
    assert key["schema"]["pattern"] == r"^[\x21-\x7e]{1,200}$"
    assert "'scheduler:' (in any case) are reserved" in key["description"]
    for name in ("X-CloudScheduler", "X-CloudScheduler-JobName", "X-CloudScheduler-ScheduleTime"):
        assert generate[name]["in"] == "header"
        assert generate[name]["schema"]["type"] == "string"
