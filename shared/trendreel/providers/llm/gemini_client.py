"""Structured JSON calls to Gemini through the google-genai SDK, with our retries and errors.

The SDK's own retries are switched off (``HttpRetryOptions(attempts=1)``; in google-genai 3.x an
explicit retry option also disables its implicit transport retries) so that
``settings.http_max_retries`` is the only retry budget. The API version is pinned to ``v1beta``,
where structured output (``responseSchema``) is available, instead of the SDK's default.
"""

from __future__ import annotations

import contextlib
import importlib
import time
from collections.abc import Callable
from typing import TypeVar

import httpx
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from pydantic import BaseModel, ValidationError

from trendreel.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotConfiguredError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from trendreel.providers.base import UsageLog
from trendreel.settings import Settings

PROVIDER = "gemini"
API_VERSION = "v1beta"

#: USD per 1M (input, output) tokens, Gemini API paid tier, text, prompts <= 200k tokens
#: (https://ai.google.dev/gemini-api/docs/pricing, 2025). Thinking tokens bill as output.
#: Matched by the longest prefix of the model name; unknown models are estimated at 0.
PRICE_PER_MILLION_TOKENS: dict[str, tuple[float, float]] = {
    "gemini-2.5-pro": (1.25, 10.00),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-flash-lite": (0.10, 0.40),
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-2.0-flash-lite": (0.075, 0.30),
}

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


def _transport_errors() -> tuple[type[Exception], ...]:
    """httpx errors, and those of the httpx2 fork the SDK uses when it is installed."""
    classes: list[type[Exception]] = [httpx.TransportError]
    with contextlib.suppress(ImportError, AttributeError):
        classes.append(importlib.import_module("httpx2").TransportError)
    return tuple(classes)


TRANSPORT_ERRORS = _transport_errors()


def model_prices(model: str) -> tuple[float, float]:
    name = model.removeprefix("models/")
    matches = [key for key in PRICE_PER_MILLION_TOKENS if name.startswith(key)]
    return PRICE_PER_MILLION_TOKENS[max(matches, key=len)] if matches else (0.0, 0.0)


def make_client(settings: Settings) -> genai.Client:
    if settings.gemini_api_key is None or not settings.gemini_api_key.get_secret_value():
        raise ProviderNotConfiguredError(PROVIDER, "TRENDREEL_GEMINI_API_KEY")
    options = types.HttpOptions(
        base_url=settings.gemini_base_url or None,
        api_version=API_VERSION,
        timeout=int(settings.http_timeout_seconds * 1000),
        retry_options=types.HttpRetryOptions(attempts=1),
    )
    return genai.Client(
        api_key=settings.gemini_api_key.get_secret_value(), vertexai=False, http_options=options
    )


class GeminiJson:
    """One ``generate_content`` call returning a validated pydantic model, or one
    ``embed_content`` call returning vectors."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: genai.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client if client is not None else make_client(settings)
        self._model = settings.gemini_model
        self._max_retries = settings.http_max_retries
        self._backoff = settings.http_backoff_seconds
        self._sleep = sleep
        key = settings.gemini_api_key
        self._secret = key.get_secret_value() if key is not None else ""

    def generate(
        self,
        operation: str,
        system: str,
        prompt: str,
        schema: type[M],
        temperature: float,
        usage: UsageLog,
    ) -> M:
        config = types.GenerateContentConfig(
            system_instruction=system,
            response_mime_type="application/json",
            response_schema=schema,
            temperature=temperature,
        )
        response = self._with_retries(lambda: self._call(prompt, config))
        self._record(operation, response, usage)
        return _validate(operation, response, schema)

    def embed(
        self, model: str, texts: list[str], config: types.EmbedContentConfig
    ) -> types.EmbedContentResponse:
        """One ``embed_content`` (batchEmbedContents) call, retried and translated like
        ``generate``; the caller checks the answer and records its usage."""
        return self._with_retries(lambda: self._embed_call(model, texts, config))

    def _with_retries(self, call: Callable[[], R]) -> R:
        attempt = 0
        while True:
            try:
                return call()
            except ProviderError as error:
                if not error.retryable or attempt >= self._max_retries:
                    raise
            self._sleep(self._backoff * (2**attempt))
            attempt += 1

    def _call(
        self, prompt: str, config: types.GenerateContentConfig
    ) -> types.GenerateContentResponse:
        try:
            return self._client.models.generate_content(
                model=self._model, contents=prompt, config=config
            )
        except (genai_errors.APIError, ValueError) as exc:
            raise self._translate("generateContent", exc) from exc
        except TRANSPORT_ERRORS as exc:
            raise self._translate("generateContent", exc) from exc

    def _embed_call(
        self, model: str, texts: list[str], config: types.EmbedContentConfig
    ) -> types.EmbedContentResponse:
        contents = [types.Content(parts=[types.Part(text=text)]) for text in texts]
        try:
            return self._client.models.embed_content(model=model, contents=contents, config=config)
        except (genai_errors.APIError, ValueError) as exc:
            raise self._translate("batchEmbedContents", exc) from exc
        except TRANSPORT_ERRORS as exc:
            raise self._translate("batchEmbedContents", exc) from exc

    def _translate(self, method: str, exc: Exception) -> ProviderError:
        if isinstance(exc, genai_errors.APIError):
            return _api_error(method, exc, self._redact)
        if isinstance(exc, ValueError):  # a 200 whose body is not JSON, or not a response at all
            detail = self._redact(str(exc))[:200]
            return ProviderResponseError(
                PROVIDER, f"{method} answered an undecodable body ({detail})"
            )
        return ProviderUnavailableError(PROVIDER, f"{method} failed: {type(exc).__name__}")

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def _record(
        self, operation: str, response: types.GenerateContentResponse, usage: UsageLog
    ) -> None:
        meta = response.usage_metadata
        if meta is None:
            return
        tokens_in = meta.prompt_token_count or 0
        tokens_out = (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0)
        price_in, price_out = model_prices(self._model)
        usage.record(
            PROVIDER, f"{operation}:input", tokens_in, "tokens", tokens_in * price_in / 1e6
        )
        usage.record(
            PROVIDER, f"{operation}:output", tokens_out, "tokens", tokens_out * price_out / 1e6
        )


def _api_error(
    method: str, exc: genai_errors.APIError, redact: Callable[[str], str]
) -> ProviderError:
    detail = redact(str(exc.message or exc.status or "no detail"))[:200]
    message = f"{method} answered HTTP {exc.code}: {detail}"
    if exc.code in (401, 403):
        return ProviderAuthError(PROVIDER, message)
    if exc.code == 429:
        return ProviderRateLimitError(PROVIDER, message)
    if exc.code >= 500 or exc.code == 408:
        return ProviderUnavailableError(PROVIDER, message)
    return ProviderResponseError(PROVIDER, message)


def _validate(operation: str, response: types.GenerateContentResponse, schema: type[M]) -> M:
    text = response.text
    if not text:
        raise ProviderResponseError(PROVIDER, f"{operation}: empty answer ({_why_empty(response)})")
    try:
        return schema.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ProviderResponseError(
            PROVIDER,
            f"{operation}: answer does not match {schema.__name__} "
            f"({exc.error_count()} errors; first at {where}: {first['msg']})",
        ) from exc


def _why_empty(response: types.GenerateContentResponse) -> str:
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        return f"prompt blocked: {feedback.block_reason}"
    if response.candidates and response.candidates[0].finish_reason is not None:
        return f"finish reason {response.candidates[0].finish_reason}"
    return "no candidates"
