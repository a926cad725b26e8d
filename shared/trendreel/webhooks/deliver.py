"""One delivery of one event to one endpoint, and what to answer the queue.

    200  delivered (the receiver answered 2xx), or nothing to do: the event or endpoint is gone,
         the endpoint no longer wants this type, it was delivered before
    200  given up and recorded ``undeliverable``: the queue's last attempt failed, the URL is
         refused (SSRF rules, checked again now), or there is no secret to sign with
    503  the receiver answered non-2xx or could not be reached: the queue retries with backoff
         (its status is in the body, never its response body; its Retry-After is passed on)

The POST goes through the one outbound-call policy (``ServiceClient``) with ``retries=0``: the
queue does the retrying, with backoff that outlasts a receiver's outage. Each attempt is signed
anew (fresh timestamp); the body is the stored event, byte for byte the same every time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from trendreel import __version__
from trendreel.delivery import Outcome, TaskDelivery
from trendreel.errors import ProviderError
from trendreel.models.webhooks import WebhookTask
from trendreel.providers.http import ServiceClient
from trendreel.settings import Settings
from trendreel.tasks import WEBHOOK_TIMEOUT_SECONDS
from trendreel.webhooks.errors import ReceiverError, WebhookUrlError
from trendreel.webhooks.models import DeliveryRecord, DeliveryStatus, Endpoint, Event
from trendreel.webhooks.ports import WebhookStore
from trendreel.webhooks.signing import signature_headers
from trendreel.webhooks.stores import deployment_secret
from trendreel.webhooks.transport import PinnedTransport
from trendreel.webhooks.urls import Resolver, Target, resolve_target, system_resolver

log = logging.getLogger(__name__)
MAX_RETRY_AFTER_SECONDS = 3600
TransportFor = Callable[[Target], httpx.BaseTransport]


def pinned(target: Target) -> httpx.BaseTransport:
    return PinnedTransport(target.addresses)


def _classify(provider: str, response: httpx.Response) -> ProviderError:
    # Any non-2xx (a redirect included: they are not followed) is the receiver saying no.
    return ReceiverError(
        f"the receiver answered HTTP {response.status_code}",
        status=response.status_code,
        retry_after=response.headers.get("Retry-After"),
    )


def _retry_after(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit() or len(value.strip()) > 9:
        return None
    return min(int(value.strip()), MAX_RETRY_AFTER_SECONDS)


@dataclass
class Deliverer:
    settings: Settings
    store: WebhookStore
    clock: Callable[[], datetime]
    resolve: Resolver = system_resolver
    transport_for: TransportFor = pinned

    def deliver(self, d: TaskDelivery[WebhookTask]) -> Outcome:
        found = self._pending(d.payload)
        if isinstance(found, Outcome):
            return found
        event, endpoint = found
        secret = endpoint.secret or deployment_secret(self.settings)
        if secret is None:
            return self._give_up(d, "refused", "no TRENDREEL_WEBHOOK_SECRET to sign with")
        try:
            target = resolve_target(endpoint.url, self.settings.backend, self.resolve)
            status = self._post(target, event, secret.get_secret_value())
        except WebhookUrlError as exc:
            return self._give_up(d, "refused", exc.message)
        except OSError as exc:  # DNS may be back by the next attempt
            return self._failed(
                d, ReceiverError(f"the host did not resolve ({type(exc).__name__})")
            )
        except ReceiverError as exc:
            return self._failed(d, exc)
        self._record(d, "delivered", status, f"HTTP {status}")
        log.info("event %s delivered to %s (HTTP %d)", event.id, endpoint.id, status)
        return Outcome(200, {"result": "delivered", "receiver_status": status})

    def _pending(self, task: WebhookTask) -> tuple[Event, Endpoint] | Outcome:
        """The event and endpoint to deliver, or the 200 that says there is nothing to do."""
        event = self.store.get_event(task.event_id)
        endpoint = self.store.get_endpoint(task.endpoint_id)
        if event is None or endpoint is None:
            gone = "event" if event is None else "endpoint"
            return Outcome(200, {"result": "dropped", "reason": f"no such {gone}"})
        if endpoint.kind == "registered" and not endpoint.wants(event.type):
            return Outcome(200, {"result": "dropped", "reason": f"not subscribed to {event.type}"})
        done = self.store.get_delivery(event.id, endpoint.id)
        if done is not None and done.status == "delivered":
            return Outcome(200, {"result": "already delivered"})
        return event, endpoint

    def _post(self, target: Target, event: Event, secret: str) -> int:
        body = event.model_dump_json().encode()
        headers = signature_headers(
            secret, event_id=event.id, event_type=event.type, body=body, now=self.clock()
        )
        headers["Content-Type"] = "application/json"
        headers["User-Agent"] = f"trendreel-webhooks/{__version__}"
        # Shorter than the task's dispatch deadline, so the function always gets to answer.
        timeout = min(self.settings.http_timeout_seconds, WEBHOOK_TIMEOUT_SECONDS / 2)
        client = ServiceClient.from_settings(
            "webhooks",
            target.url,
            self.settings,
            timeout=timeout,
            transport=self.transport_for(target),
            classify=_classify,
            # Scrubbed from whatever the client says: the URL may itself be a capability.
            secrets=[secret, target.url],
        )
        try:
            response = client.request(
                "POST", target.url, retries=0, content=body, headers=headers, follow_redirects=False
            )
        except ReceiverError:
            raise
        except ProviderError as exc:  # timeouts, refused connections, TLS failures
            # The cause's type only: its message would name the URL, which may be a capability.
            cause = type(exc.__cause__).__name__ if exc.__cause__ else exc.code
            raise ReceiverError(f"the receiver could not be reached ({cause})") from exc
        finally:
            client.close()
        return response.status_code

    def _failed(self, d: TaskDelivery[WebhookTask], exc: ReceiverError) -> Outcome:
        attempt = d.retry_count + 1
        if attempt >= self.settings.task_max_attempts:
            return self._give_up(d, "undeliverable", exc.message, exc.status)
        log.warning("event %s: attempt %d failed: %s", d.payload.event_id, attempt, exc.message)
        body: dict[str, Any] = {"result": "retry", "reason": exc.message}
        body["receiver_status"] = exc.status
        return Outcome(503, body, _retry_after(exc.retry_after))

    def _give_up(
        self, d: TaskDelivery[WebhookTask], result: str, reason: str, status: int | None = None
    ) -> Outcome:
        self._record(d, "undeliverable", status, reason)
        log.error(
            "event %s to %s undeliverable after %d attempt(s): %s",
            d.payload.event_id,
            d.payload.endpoint_id,
            d.retry_count + 1,
            reason,
        )
        return Outcome(200, {"result": result, "reason": reason, "receiver_status": status})

    def _record(
        self,
        d: TaskDelivery[WebhookTask],
        status: DeliveryStatus,
        receiver_status: int | None,
        reason: str,
    ) -> None:
        record = DeliveryRecord(
            event_id=d.payload.event_id,
            endpoint_id=d.payload.endpoint_id,
            status=status,
            attempts=d.retry_count + 1,
            last_status=receiver_status,
            reason=reason[:300],
            at=self.clock(),
        )
        self.store.record_delivery(record)
