"""What a route is (method, path, access, models) and what a handler receives (``Call``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import flask
from pydantic import BaseModel

from trendreel.api import inputs
from trendreel.api.auth import Authenticator
from trendreel.api.errors import not_found
from trendreel.bootstrap import Runtime
from trendreel.http import json_response
from trendreel.models import Job

#: public: no credential; bearer: the API token; media: the token or a signed URL.
Access = Literal["public", "bearer", "media"]


@dataclass(frozen=True)
class Call:
    request: flask.Request
    rt: Runtime
    params: dict[str, str]
    auth: Authenticator
    caller: str | None = None  # who authenticated: an email, api-key or local-token

    def job(self, param: str = "job_id") -> Job:
        """The job named by a path parameter, or 404."""
        job_id = inputs.job_id(self.params[param])
        job = self.rt.store.get(job_id)
        if job is None:
            raise not_found("job_not_found", f"no job with id {job_id!r}")
        return job

    def url(self, path: str) -> str:
        """A URL for ``path`` on this api, wherever it is mounted."""
        return self.request.script_root + path


Handler = Callable[[Call], flask.Response]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # werkzeug rule syntax, e.g. /jobs/<job_id>
    handler: Handler
    summary: str
    tag: str
    access: Access = "bearer"
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()  # answered with an ErrorResponse
    same_body_statuses: tuple[int, ...] = ()  # other statuses answered with ``response``
    headers: tuple[tuple[str, str], ...] = ()  # request headers it reads: (name, description)
    media_type: str | None = None  # a binary response (streamed media) instead of JSON

    @property
    def name(self) -> str:
        return self.handler.__name__


def respond(status: int, model: BaseModel, headers: dict[str, str] | None = None) -> flask.Response:
    return json_response(status, model.model_dump(mode="json"), headers)
