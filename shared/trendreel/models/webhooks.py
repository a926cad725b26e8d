"""Webhook events and the task that delivers one event to one registered endpoint."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

WEBHOOKS = "webhooks"


class WebhookTask(BaseModel):
    """Deliver event ``event_id`` to endpoint ``endpoint_id``. The event's id is stable across
    every delivery attempt, so a receiver that sees it twice can act on it once."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(pattern=r"^[A-Za-z0-9_-]{6,80}$")
    endpoint_id: str = Field(pattern=r"^[A-Za-z0-9_-]{6,80}$")
    defer: int = Field(default=0, ge=0, le=0)  # webhook deliveries are never deferred

    @property
    def function(self) -> str:
        return WEBHOOKS
