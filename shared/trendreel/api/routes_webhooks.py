"""POST /webhooks, GET /webhooks, DELETE /webhooks/{webhook_id}: endpoints that get signed events.

The secret is generated here and answered once, in the 201 of the registration; no other
response, log line or repr shows it again (a lost secret means: delete and register again).
URLs follow ``webhooks.urls`` (https; no private addresses on gcp), checked here and again at
every delivery. ``ROUTES`` is registered in ``api.routes`` next to the others.
"""

from __future__ import annotations

from datetime import datetime

import flask
from pydantic import AwareDatetime, BaseModel, Field

from trendreel.api import inputs
from trendreel.api.errors import ApiError, bad_request, not_found
from trendreel.api.routing import Call, Route, respond
from trendreel.api.schemas import NoQuery, Strict
from trendreel.webhooks.errors import WebhookUrlError
from trendreel.webhooks.models import (
    EVENT_TYPES,
    MAX_URL_LENGTH,
    Endpoint,
    EventType,
    new_endpoint_id,
    new_secret,
)
from trendreel.webhooks.ports import MAX_ENDPOINTS
from trendreel.webhooks.stores import runtime_store
from trendreel.webhooks.urls import check_url


class WebhookRequest(Strict):
    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH, description="https:// receiver")
    events: list[EventType] = Field(
        default_factory=lambda: list(EVENT_TYPES), min_length=1, max_length=len(EVENT_TYPES)
    )
    description: str = Field(default="", max_length=200)


class WebhookView(BaseModel):
    id: str
    url: str
    events: list[EventType]
    description: str
    created_at: AwareDatetime

    @classmethod
    def of(cls, endpoint: Endpoint) -> WebhookView:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            events=endpoint.events,
            description=endpoint.description,
            created_at=endpoint.created_at,
        )


class WebhookCreated(WebhookView):
    secret: str = Field(description="signs every delivery; shown only in this response")


class WebhookList(BaseModel):
    count: int
    webhooks: list[WebhookView]


class WebhookDeleted(BaseModel):
    id: str
    deleted: bool


def _checked_url(call: Call, url: str) -> None:
    try:
        check_url(url, call.rt.settings.backend)
    except WebhookUrlError as exc:
        problem = {"field": "url", "message": exc.message, "type": exc.code}
        raise bad_request(exc.code, f"invalid body: field 'url': {exc.message}", [problem]) from exc
    except OSError as exc:
        problem = {"field": "url", "message": "the host does not resolve", "type": "unresolvable"}
        raise bad_request(
            "invalid_webhook_url", "the url's host does not resolve", [problem]
        ) from exc


def create_webhook(call: Call) -> flask.Response:
    body = inputs.parse_body(call.request, WebhookRequest, call.rt.settings.max_body_bytes)
    _checked_url(call, body.url)
    store = runtime_store(call.rt)
    if len(store.list_endpoints()) >= MAX_ENDPOINTS:
        raise ApiError(409, "too_many_webhooks", f"at most {MAX_ENDPOINTS} webhooks; delete one")
    created: datetime = call.rt.clock()
    endpoint = store.put_endpoint(
        Endpoint(
            id=new_endpoint_id(),
            url=body.url,
            events=list(dict.fromkeys(body.events)),
            created_at=created,
            description=body.description,
            secret=new_secret(),
        )
    )
    secret = endpoint.secret.get_secret_value() if endpoint.secret is not None else ""
    view = WebhookView.of(endpoint).model_dump()
    return respond(201, WebhookCreated(**view, secret=secret))


def list_webhooks(call: Call) -> flask.Response:
    inputs.parse_query(call.request, NoQuery)
    endpoints = runtime_store(call.rt).list_endpoints()[:MAX_ENDPOINTS]
    views = [WebhookView.of(endpoint) for endpoint in endpoints]
    return respond(200, WebhookList(count=len(views), webhooks=views))


def delete_webhook(call: Call) -> flask.Response:
    inputs.parse_query(call.request, NoQuery)
    webhook_id = inputs.job_id(call.params["webhook_id"])  # the same id alphabet as jobs
    store = runtime_store(call.rt)
    endpoint = store.get_endpoint(webhook_id)
    # A theme config's endpoint is not the api's to delete: it is the config's.
    if endpoint is None or endpoint.kind != "registered" or not store.delete_endpoint(webhook_id):
        raise not_found("webhook_not_found", f"no webhook with id {webhook_id!r}")
    return respond(200, WebhookDeleted(id=webhook_id, deleted=True))


ROUTES: list[Route] = [
    Route("POST", "/webhooks", create_webhook,
          "Register a webhook endpoint; the answer holds its signing secret, shown once",
          "webhooks", body=WebhookRequest, response=WebhookCreated, status=201,
          errors=(400, 409, 413, 503)),
    Route("GET", "/webhooks", list_webhooks, "List webhook endpoints (without secrets)",
          "webhooks", query=NoQuery, response=WebhookList, errors=(400,)),
    Route("DELETE", "/webhooks/<webhook_id>", delete_webhook,
          "Delete a webhook endpoint; deliveries still queued for it are dropped", "webhooks",
          query=NoQuery, response=WebhookDeleted, errors=(400, 404)),
]  # fmt: skip
