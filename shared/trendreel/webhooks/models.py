"""Webhook endpoints, the events trendreel sends them, and what became of each delivery.

An ``Endpoint`` is either registered through the api (``kind="registered"``: its own secret,
generated at registration and shown once) or derived from a theme config's ``webhook_url``
(``kind="theme_config"``: a deterministic id from the URL, signed with the deployment's
``webhook_secret``, and sent only the events of the jobs whose config names it). An ``Event``
is small and self-contained: ids, states, codes and short messages, never a secret or a
server path. Its id is deterministic, so emitting the same event twice is the same event.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

EventType = Literal[
    "job.completed", "job.failed", "video.approved", "video.published", "publication.failed"
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)
EndpointKind = Literal["registered", "theme_config"]
#: What a WebhookTask accepts for either id (and the api's path parameters for endpoint ids).
ID_PATTERN = r"^[A-Za-z0-9_-]{6,64}$"
MAX_URL_LENGTH = 2048
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret): tells a pasted secret apart


def _all_events() -> list[EventType]:
    return list(EVENT_TYPES)


class Endpoint(BaseModel):
    """Where events go. ``secret`` is None for a theme-config endpoint: the deployment's
    ``webhook_secret`` signs those. The secret's repr and JSON form are masked by SecretStr."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    events: list[EventType] = Field(default_factory=_all_events, min_length=1)
    created_at: AwareDatetime
    description: str = Field(default="", max_length=200)
    secret: SecretStr | None = None
    kind: EndpointKind = "registered"

    def wants(self, event_type: EventType) -> bool:
        return event_type in self.events


class EventError(BaseModel):
    """Why a job or publication failed, as a receiver can act on it."""

    model_config = ConfigDict(extra="forbid")

    code: str
    message: str = Field(max_length=500)
    retryable: bool
    stage: str | None = None
    provider: str | None = None
    hint: str = ""


class EventPublication(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str
    status: str
    url: str | None = None
    remote_id: str | None = None
    error: EventError | None = None


class EventData(BaseModel):
    """The subject of an event: the job (whose id is also the video's), and for publication
    events the post on one platform."""

    model_config = ConfigDict(extra="forbid")

    job_id: str
    status: str  # the job's status
    stage: str
    theme: str = ""
    error: EventError | None = None
    video_id: str | None = None  # set once the job finished: a video exists
    review: str | None = None  # generated | approved | rejected
    publication: EventPublication | None = None


class Event(BaseModel):
    """What a receiver gets as the JSON body of every delivery, byte for byte the same on every
    attempt (only the signature headers change)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    type: EventType
    created_at: AwareDatetime
    data: EventData


DeliveryStatus = Literal["delivered", "undeliverable"]


class DeliveryRecord(BaseModel):
    """How delivering one event to one endpoint ended (a queue has no dead-letter: this is it)."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(pattern=ID_PATTERN)
    endpoint_id: str = Field(pattern=ID_PATTERN)
    status: DeliveryStatus
    attempts: int = Field(ge=1)
    last_status: int | None = None  # the receiver's HTTP status, if it answered
    reason: str = Field(default="", max_length=300)
    at: AwareDatetime


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def event_id(job_id: str, event_type: EventType, generation: int, scope: str = "") -> str:
    """The one id of an event: the same job, type, generation (a retry's run, a publication's
    request) and scope (the platform of a publication event) always give the same id."""
    return f"evt_{_digest(job_id, event_type, str(generation), scope)[:32]}"


def new_endpoint_id() -> str:
    return f"wh_{secrets.token_hex(12)}"


def new_secret() -> SecretStr:
    return SecretStr(f"{SECRET_PREFIX}{secrets.token_urlsafe(32)}")


def config_endpoint(url: str, now: datetime) -> Endpoint:
    """The endpoint a theme config's ``webhook_url`` names: the same URL, the same id."""
    return Endpoint(
        id=f"whc_{_digest('theme_config', url)[:24]}",
        url=url,
        created_at=now,
        description="webhook_url of a theme config",
        kind="theme_config",
    )
