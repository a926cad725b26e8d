"""The OpenAPI 3.1 document, generated from the route table and the same pydantic models that
validate requests and build responses (so it cannot describe an api that does not exist)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from trendreel import __version__
from trendreel.api.routing import Route
from trendreel.api.schemas import (
    JOB_ID_PATTERN,
    REQUEST_HEADERS,
    ErrorResponse,
    GenerateRequest,
)
from trendreel.config import load_default_config
from trendreel.models import ThemeConfig

REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"<([a-z_]+)>")
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "description": "the API token"},
    "mediaSignature": {
        "type": "apiKey",
        "in": "query",
        "name": "sig",
        "description": "signed media URL from GET /videos/{video_id} (with its expires)",
    },
}
MEDIA_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"mediaSignature": []}]


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _component_schemas(routes: Sequence[Route]) -> dict[str, Any]:
    wanted: dict[type[BaseModel], JsonSchemaMode] = {ThemeConfig: "validation"}
    queries = {route.query for route in routes if route.query is not None}
    for route in routes:
        for model in (route.body, route.query):
            if model is not None:
                wanted[model] = "validation"
        if route.response is not None:
            wanted[route.response] = "serialization"
    wanted[ErrorResponse] = "serialization"
    _, definitions = models_json_schema(list(wanted.items()), ref_template=REF)
    schemas: dict[str, Any] = definitions.get("$defs", {})
    for query in queries:  # expanded into parameters; only the enums they use stay here
        schemas.pop(query.__name__, None)
    # The inline config is validated by trendreel.config (messages that name the field), so the
    # request model keeps it a plain object; the document still describes its real shape.
    config = schemas[GenerateRequest.__name__]["properties"]["config"]
    config["anyOf"] = [_ref(ThemeConfig), {"type": "null"}]
    # What POST /generate uses without a config: the dashboard's start form starts from it.
    schemas[ThemeConfig.__name__]["examples"] = [load_default_config().model_dump(mode="json")]
    return schemas


def _query_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema without pydantic's ``null`` branch: a query string has no
    null, only an absent parameter (which the model reads as None)."""
    schema = {k: v for k, v in schema.items() if k != "title"}
    if schema.get("default", ...) is None:
        del schema["default"]
    branches = schema.pop("anyOf", None)
    if branches is None:
        return schema
    kept = [b for b in branches if b != {"type": "null"}]
    return {**schema, **kept[0]} if len(kept) == 1 else {**schema, "anyOf": kept}


def _header(name: str, text: str) -> dict[str, Any]:
    """A header parameter with the schema of what the api accepts (schemas.REQUEST_HEADERS)."""
    known = REQUEST_HEADERS.get(name)
    schema = known.schema if known else {"type": "string"}
    description = f"{text}; {known.note}" if known and known.note else text
    return {"name": name, "in": "header", "required": False, "description": description,
            "schema": schema}  # fmt: skip


def _headers(route: Route) -> list[dict[str, Any]]:
    """The headers the route reads, each followed by those that travel with it."""
    params: list[dict[str, Any]] = []
    for name, text in route.headers:
        params.append(_header(name, text))
        known = REQUEST_HEADERS.get(name)
        params += [_header(*companion) for companion in (known.companions if known else ())]
    return params


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": JOB_ID_PATTERN},
        }
        for name in _PATH_PARAM.findall(route.path)
    ]
    if route.query is not None:
        properties = route.query.model_json_schema(ref_template=REF).get("properties", {})
        params += [
            {"name": name, "in": "query", "required": False, "schema": _query_schema(schema)}
            for name, schema in properties.items()
        ]
    return params + _headers(route)


def _json(schema: dict[str, Any], status: int) -> dict[str, Any]:
    return {
        "description": HTTPStatus(status).phrase,
        "content": {"application/json": {"schema": schema}},
    }


def _responses(route: Route) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if route.media_type is not None:
        binary = {route.media_type: {"schema": {"type": "string", "format": "binary"}}}
        for status in (200, 206):
            responses[str(status)] = {"description": HTTPStatus(status).phrase, "content": binary}
    else:
        schema = _ref(route.response) if route.response else {"type": "object"}
        for status in (route.status, *route.same_body_statuses):
            responses[str(status)] = _json(schema, status)
    codes = {*route.errors, 405} | ({401} if route.access != "public" else set())
    for status in sorted(codes):
        responses[str(status)] = _json(_ref(ErrorResponse), status)
    return responses


def _operation(route: Route) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": _parameters(route),
        "responses": _responses(route),
    }
    if route.body is not None:
        content = {"application/json": {"schema": _ref(route.body)}}
        operation["requestBody"] = {"required": False, "content": content}
    if route.access == "public":
        operation["security"] = []
    elif route.access == "media":
        operation["security"] = MEDIA_SECURITY
    return operation


def document(routes: Sequence[Route]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        path = _PATH_PARAM.sub(r"{\1}", route.path)
        paths.setdefault(path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "trendreel api",
            "version": __version__,
            "description": "Generate short vertical videos from trends; follow, retry and review "
            "the jobs. Errors are JSON: {error: {code, message, details?}}.",
        },
        "paths": paths,
        "components": {"schemas": _component_schemas(routes), "securitySchemes": SECURITY_SCHEMES},
        "security": [{"bearerAuth": []}],
    }
