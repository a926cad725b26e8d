"""Cloud Scheduler, as one job run: the HTTP request Cloud Scheduler sends for an HTTP target
with an OIDC token, built from a ``ScheduleSpec`` and sent to the spec's ``uri``.

    driver = SchedulerDriver(google)
    response = driver.run(infra.schedules["generate"])     # POST /generate, as the job would

What is sent, and where it is documented
(https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#HttpTarget):

- ``httpMethod``, ``uri`` and ``body`` as the job has them; "A request body is allowed only if
  the HTTP method is POST, PUT, or PATCH".
- the job's ``headers``, then what Cloud Scheduler sets itself: "User-Agent: This will be set
  to "Google-Cloud-Scheduler""; "X-CloudScheduler: This header will be set to true";
  "X-CloudScheduler-JobName: This header will contain the job name";
  "X-CloudScheduler-ScheduleTime: For Cloud Scheduler jobs specified in the unix-cron format,
  this header will contain the job schedule time in RFC3339 UTC "Zulu" format"; "If the job
  has a body and the following headers are not set by the user, Cloud Scheduler sets default
  values: Content-Type: This will be set to "application/octet-stream""; "Content-Length: This
  is computed by Cloud Scheduler".
- ``Authorization: Bearer <ID token>`` minted for ``oidcToken.serviceAccountEmail`` with
  ``oidcToken.audience``: "Audience to be used when generating OIDC token. If not specified,
  the URI specified in target will be used"
  (https://cloud.google.com/scheduler/docs/reference/rest/v1/projects.locations.jobs#OidcToken).
  The token carries the account's email, as the receiving services check it.

The request goes to the spec's ``uri``, the edge's internal URL: Cloud Scheduler is one of the
in-project sources that internal ingress admits. Not modelled: the schedule itself (``run`` is
one execution, at ``schedule_time``), retries (``retry_count``: the caller repeats ``run``, with
the same ``schedule_time`` for a retry of the same execution), and the job name's form (the
header carries ``spec.name`` as resolved from infra).
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.support.cloud_run.identity import GoogleIdentity
from tests.support.cloud_run.spec import ScheduleSpec

USER_AGENT = "Google-Cloud-Scheduler"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Set by Cloud Scheduler whatever the job says (the docs list them as ignored or replaced).
_SCHEDULER_OWNED = frozenset(
    {"host", "content-length", "user-agent", "x-cloudscheduler", "authorization"}
)


def schedule_time_header(when: datetime) -> str:
    """RFC 3339, UTC, "Zulu": 2026-05-01T06:00:00Z (fractional seconds only when present)."""
    if when.tzinfo is None:
        raise ValueError("schedule_time must be timezone-aware")
    utc = when.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def current_schedule_time() -> datetime:
    """The start of the current minute: unix-cron schedules fire on whole minutes."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


class SchedulerDriver:
    """Runs Cloud Scheduler jobs once, on demand, with the identity double's ID tokens."""

    def __init__(self, identity: GoogleIdentity, *, client: httpx.Client | None = None) -> None:
        self.identity = identity
        self._client = client

    def request(self, spec: ScheduleSpec, schedule_time: datetime | None = None) -> httpx.Request:
        """The request one execution of the job sends."""
        method = spec.http_method.upper()
        body = spec.body if method in _BODY_METHODS else b""
        headers = {k: v for k, v in spec.headers.items() if k.lower() not in _SCHEDULER_OWNED}
        if body and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = DEFAULT_CONTENT_TYPE
        when = schedule_time or current_schedule_time()
        headers |= {
            "User-Agent": USER_AGENT,
            "X-CloudScheduler": "true",
            "X-CloudScheduler-JobName": spec.name,
            "X-CloudScheduler-ScheduleTime": schedule_time_header(when),
        }
        if spec.oidc_service_account:
            audience = spec.oidc_audience or spec.uri
            token = self.identity.mint(spec.oidc_service_account, audience)
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Request(method, spec.uri, headers=headers, content=body)

    def run(self, spec: ScheduleSpec, schedule_time: datetime | None = None) -> httpx.Response:
        """Send one execution of the job; the response is read (the attempt deadline is
        ``spec.attempt_deadline_seconds``, after which httpx raises a timeout)."""
        request = self.request(spec, schedule_time)
        request.extensions["timeout"] = httpx.Timeout(
            float(spec.attempt_deadline_seconds)
        ).as_dict()
        if self._client is not None:
            return self._client.send(request)
        with httpx.Client() as client:
            return client.send(request)
