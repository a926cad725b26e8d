"""The one outbound-call policy every real provider goes through.

``ServiceClient`` (``client``) sends each call with a connect and a read timeout (``timeouts``),
retries 408/429/5xx, timeouts and connection errors with truncated exponential backoff and
jitter, honouring ``Retry-After`` in both its forms up to a cap (``retry``), maps what is left to
the ProviderError tree after the provider's own ``classify`` hook (``status``), and scrubs every
secret it was given or sees in the request from every message, log line and error
(``redact``). One budget for all of it: ``settings.http_max_retries``,
``http_backoff_seconds`` and ``http_timeout_seconds`` (``ServiceClient.from_settings``).
SDKs that build their own requests are put under the same policy with ``PolicyTransport``.

No provider module retries, backs off or maps statuses on its own
(tests/unit/providers/test_outbound_policy.py checks).
"""

from trendreel.providers.http.client import ServiceClient
from trendreel.providers.http.redact import Redactor, secrets_in
from trendreel.providers.http.retry import (
    JITTER,
    MAX_BACKOFF_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    Backoff,
    retry_after,
)
from trendreel.providers.http.status import (
    Classifier,
    answered,
    decode_json,
    error_detail,
    google_reasons,
    status_error,
)
from trendreel.providers.http.timeouts import CONNECT_TIMEOUT_SECONDS, Timeouts, timeouts
from trendreel.providers.http.transport import PolicyTransport

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "JITTER",
    "MAX_BACKOFF_SECONDS",
    "MAX_RETRY_AFTER_SECONDS",
    "Backoff",
    "Classifier",
    "PolicyTransport",
    "Redactor",
    "ServiceClient",
    "Timeouts",
    "answered",
    "decode_json",
    "error_detail",
    "google_reasons",
    "retry_after",
    "secrets_in",
    "status_error",
    "timeouts",
]
