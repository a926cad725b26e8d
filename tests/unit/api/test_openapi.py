"""GET /openapi.json: OpenAPI 3.1 from the route table and the pydantic models."""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH
from trendreel.api.routes import ROUTES


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
    assert len(routed) == 14


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
