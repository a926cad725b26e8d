"""One exception tree for trendreel.

Every error carries a stable ``code``, whether it is ``retryable`` and a ``hint`` that tells a
person what to do about it. Foreign exceptions are translated at the boundary with
``raise ... from exc`` so the cause stays attached.

::

    TrendreelError
    ├── ConfigError                     invalid theme config or settings (names the field)
    ├── ProviderError                   a trend/LLM/TTS/visual/music provider failed
    │   ├── ProviderNotConfiguredError  a real provider chosen without its credential/setting
    │   ├── ProviderAuthError           401/403 from the service
    │   ├── ProviderRateLimitError      429 after our own retries (retryable)
    │   ├── ProviderQuotaExceededError  a daily/upload quota ran out (not retryable until reset)
    │   ├── ProviderUnavailableError    5xx, timeouts, connection errors (retryable)
    │   └── ProviderResponseError       the service answered with something we cannot use
    ├── NoTrendsError                   every configured trend source failed or was empty
    ├── MediaError                      ffmpeg / synthesis / decoding failed
    ├── QCFailedError                   the rendered video failed its quality checks
    │   └── ScriptCheckFailedError      the script breaks a promise (a count, words on screen)
    ├── BlobNotFoundError               a stage input is missing from the blob store
    ├── InternalError                   an unexpected exception (a bug), wrapped with its type
    ├── JobNotFoundError                no job with that id
    ├── InvalidStateError               the job is not in a state that allows the request
    ├── LeaseHeldError                  another delivery holds a live lease on the stage
    ├── IdempotencyConflictError        an Idempotency-Key reused with a different request
    ├── TaskNotQueuedError              a job was saved but its stage task could not be queued
    └── StageError                      any of the above, attributed to a pipeline stage
"""

from __future__ import annotations


class TrendreelError(Exception):
    """Base of every error trendreel raises on purpose."""

    code = "internal_error"
    retryable = False
    hint = "See the logs for details."

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(TrendreelError):
    code = "invalid_config"
    hint = "Fix the named field in the theme config or settings and run again."

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        hint: str | None = None,
        problems: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.field = field
        # Every failing field ({field, message, type}), when validation found several.
        self.problems = problems or [{"field": field or "(root)", "message": message}]


class ProviderError(TrendreelError):
    code = "provider_error"

    def __init__(self, provider: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{provider}: {message}", hint=hint)
        self.provider = provider


class ProviderNotConfiguredError(ProviderError):
    code = "provider_not_configured"
    hint = "Set the named setting (environment variable) or choose the offline provider."

    def __init__(self, provider: str, setting: str) -> None:
        super().__init__(
            provider,
            f"missing required setting {setting}",
            hint=f"Set {setting}, or choose an offline provider for this capability.",
        )
        self.setting = setting


class ProviderAuthError(ProviderError):
    code = "provider_auth_failed"
    hint = "Check that the credential for this provider is valid and has access."


class ProviderRateLimitError(ProviderError):
    code = "provider_rate_limited"
    retryable = True
    hint = "The service is rate limiting; retry later or lower the request rate."


class ProviderQuotaExceededError(ProviderError):
    """A quota that does not come back within a retry's wait (YouTube's daily units, an
    upload limit): retrying now only spends attempts. The message names the quota and when it
    resets."""

    code = "quota_exceeded"
    hint = "Wait until the quota resets (the message says when), or ask the platform for more."


class ProviderUnavailableError(ProviderError):
    code = "provider_unavailable"
    retryable = True
    hint = "The service is unreachable or failing; retry later."


class ProviderResponseError(ProviderError):
    code = "provider_bad_response"
    hint = "The service answered with an unexpected body; check the provider version/settings."


class NoTrendsError(TrendreelError):
    code = "no_trends"
    retryable = True
    hint = "Every trend source failed or returned nothing; see the per-source errors."


class MediaError(TrendreelError):
    code = "media_error"
    hint = "Rendering failed; the message names the tool and its output."


class QCFailedError(TrendreelError):
    code = "qc_failed"
    hint = "The rendered video failed quality checks; the listed checks say which and why."

    def __init__(self, failed_checks: list[str]) -> None:
        super().__init__("quality checks failed: " + "; ".join(failed_checks))
        self.failed_checks = failed_checks


class ScriptCheckFailedError(QCFailedError):
    """The script itself is wrong, which no rerun of review or composition can repair."""

    code = "script_check_failed"
    hint = (
        "The script breaks a promise (the message names the scene): rerunning review does not "
        "rewrite it. Fix the writer or its prompt, then start a new job."
    )

    def __init__(self, problems: list[str], failed_checks: list[str]) -> None:
        super().__init__([*problems, *failed_checks])
        self.problems = problems


class BlobNotFoundError(TrendreelError):
    code = "blob_not_found"
    hint = "A previous stage's output is missing; rerun from that stage."

    def __init__(self, key: str) -> None:
        super().__init__(f"blob not found: {key}")
        self.key = key


class InternalError(TrendreelError):
    code = "internal_error"
    hint = "This is a bug in trendreel: report it with the job's manifest and logs."

    def __init__(self, exc: BaseException) -> None:
        super().__init__(f"unexpected {type(exc).__name__}: {exc}")


class JobNotFoundError(TrendreelError):
    code = "job_not_found"
    hint = "Check the job id (GET /jobs lists jobs)."

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job with id {job_id!r}")
        self.job_id = job_id


class InvalidStateError(TrendreelError):
    code = "invalid_state"
    hint = "The job or video is not in a state that allows this; GET it to see its state."

    def __init__(self, message: str, *, code: str = "invalid_state") -> None:
        super().__init__(message)
        self.code = code


class LeaseHeldError(TrendreelError):
    code = "stage_in_progress"
    retryable = True
    hint = "Another delivery is running this stage; the queue will retry after its lease."

    def __init__(self, stage: str, retry_after_seconds: int) -> None:
        super().__init__(f"stage {stage} is being run by another delivery")
        self.retry_after_seconds = retry_after_seconds


class IdempotencyConflictError(TrendreelError):
    code = "idempotency_key_reused"
    hint = "Use a new Idempotency-Key for a different request; repeat a request byte for byte."

    def __init__(self, key: str, job_id: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was already used for job {job_id} with a different "
            "request; nothing was created"
        )
        self.key = key
        self.job_id = job_id


class TaskNotQueuedError(TrendreelError):
    code = "queue_unavailable"
    retryable = True

    def __init__(self, job_id: str, stage: str, recovery: str) -> None:
        super().__init__(
            f"job {job_id} is saved but its {stage} task could not be queued; {recovery}",
            hint=recovery,
        )
        self.job_id = job_id
        self.stage = stage


class StageError(TrendreelError):
    """An error attributed to a pipeline stage (and provider, when one was involved)."""

    def __init__(self, stage: str, cause: TrendreelError) -> None:
        super().__init__(f"stage {stage} failed: {cause.message}", hint=cause.hint)
        self.stage = stage
        self.cause = cause
        self.code = cause.code
        self.retryable = cause.retryable
        self.provider: str | None = getattr(cause, "provider", None)
