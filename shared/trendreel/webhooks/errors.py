"""Webhook errors, in the one trendreel tree (``TrendreelError``): each with code, retryable and
hint. None of them ever carries a secret, a signature or a receiver's response body."""

from __future__ import annotations

from trendreel.errors import ConfigError, ProviderError, TrendreelError


class WebhookUrlError(ConfigError):
    """A webhook URL trendreel will not call: wrong scheme, credentials in it, or an address
    inside the deployment's network (SSRF)."""

    code = "invalid_webhook_url"
    hint = (
        "Use an https:// URL on a public host (locally, http://127.0.0.1 or http://localhost "
        "also work)."
    )

    def __init__(self, message: str, *, field: str = "url") -> None:
        super().__init__(message, field=field, hint=self.hint)


class WebhookSignatureError(TrendreelError):
    """A delivery whose signature does not verify. ``reason`` says which check failed:
    missing, malformed, stale or mismatch."""

    code = "invalid_signature"
    hint = (
        "Verify over the raw request body with the endpoint's secret, and keep the receiver's "
        "clock in sync (the timestamp must be within the tolerance)."
    )

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class WebhookStoreUnavailableError(TrendreelError):
    code = "webhook_store_unavailable"
    retryable = True
    hint = "The webhook store cannot be reached or used; retry later, or check its file/database."


class ReceiverError(ProviderError):
    """The receiver did not take the delivery: it answered non-2xx (``status``) or could not
    be reached (``status`` None). The queue retries it with backoff."""

    code = "webhook_receiver_failed"
    retryable = True
    hint = "The receiving endpoint must answer 2xx; trendreel retries with backoff until it does."

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: str | None = None
    ) -> None:
        super().__init__("webhooks", message)
        self.status = status
        self.retry_after = retry_after
