"""Google Cloud client errors translated into trendreel errors, in one place for every gcp adapter.

The adapters catch :data:`GOOGLE_ERRORS` around each call and ``raise translate(...) from exc``,
so callers (the runner, the api) only ever see the trendreel tree: transient failures are
retryable ``ProviderUnavailableError``/``ProviderRateLimitError``, permission problems are
``ProviderAuthError`` with a hint naming the missing role, anything else is
``ProviderResponseError``. Adapter-specific meanings (NotFound → BlobNotFoundError, AlreadyExists
→ success) are handled by the adapter before it gets here.
"""

from __future__ import annotations

from google.api_core import exceptions as api
from google.auth import exceptions as auth

from trendreel.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotConfiguredError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderUnavailableError,
)

#: What a Google Cloud client call can raise besides programming errors.
GOOGLE_ERRORS: tuple[type[Exception], ...] = (
    api.GoogleAPICallError,
    api.RetryError,
    auth.GoogleAuthError,
)

_TRANSIENT: tuple[type[Exception], ...] = (
    api.ServiceUnavailable,
    api.DeadlineExceeded,
    api.InternalServerError,
    api.BadGateway,
    api.GatewayTimeout,
    api.Aborted,
    api.RetryError,  # the client's own retries ran out on transient errors
    auth.TransportError,  # could not reach the token endpoint
)


def _detail(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, api.GoogleAPICallError) else str(exc)
    return f"{type(exc).__name__}: {text}".strip()


def translate(
    service: str, action: str, exc: BaseException, *, auth_hint: str | None = None
) -> ProviderError:
    """The trendreel error for ``exc``, raised while ``action`` ran against ``service``."""
    message = f"{action} failed ({_detail(exc)})"
    if isinstance(exc, api.TooManyRequests):  # ResourceExhausted is a subclass
        return ProviderRateLimitError(service, message)
    if isinstance(exc, _TRANSIENT):
        return ProviderUnavailableError(service, message)
    if isinstance(exc, api.Forbidden | api.Unauthorized | auth.RefreshError):
        return ProviderAuthError(service, message, hint=auth_hint)
    return ProviderResponseError(service, message)


def missing_credentials(service: str, exc: auth.DefaultCredentialsError) -> ProviderError:
    """No Application Default Credentials: say how to provide them."""
    error = ProviderNotConfiguredError(service, "GOOGLE_APPLICATION_CREDENTIALS")
    error.message = f"{service}: no Google Cloud credentials found ({exc})"
    error.hint = (
        "On Cloud Run the service account is used automatically; locally run "
        "`gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS, "
        "or use an emulator (FIRESTORE_EMULATOR_HOST, STORAGE_EMULATOR_HOST, "
        "CLOUD_TASKS_EMULATOR_HOST)."
    )
    error.args = (error.message,)
    return error
