"""Structured JSON calls to Gemini through the google-genai SDK, under the outbound-call policy.

The SDK builds the requests and reads the answers; every request it sends goes through our
``ServiceClient`` (``PolicyTransport``), so Gemini has the same timeouts, retries, error mapping
and key redaction as every other provider, and ``settings.http_max_retries`` is the only retry
budget (the SDK's own retries are off: ``HttpRetryOptions(attempts=1)``, which in google-genai
3.x also disables its implicit transport retries). The API version is pinned to ``v1beta``,
where structured output (``responseSchema``) is available, instead of the SDK's default.
Error bodies follow https://ai.google.dev/gemini-api/docs/troubleshooting (429
RESOURCE_EXHAUSTED, 503 UNAVAILABLE ...), which the policy maps like any Google API's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import httpx
from google import genai
from google.genai import types
from pydantic import BaseModel, SecretStr, ValidationError

from trendreel.errors import ProviderNotConfiguredError, ProviderResponseError
from trendreel.providers.base import UsageLog
from trendreel.providers.http import PolicyTransport, ServiceClient
from trendreel.settings import Settings

PROVIDER = "gemini"
API_VERSION = "v1beta"
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"

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


def model_prices(model: str) -> tuple[float, float]:
    name = model.removeprefix("models/")
    matches = [key for key in PRICE_PER_MILLION_TOKENS if name.startswith(key)]
    return PRICE_PER_MILLION_TOKENS[max(matches, key=len)] if matches else (0.0, 0.0)


def api_key(settings: Settings) -> SecretStr:
    key = settings.gemini_api_key
    if key is None or not key.get_secret_value():
        raise ProviderNotConfiguredError(PROVIDER, "TRENDREEL_GEMINI_API_KEY")
    return key


def make_client(settings: Settings, http: ServiceClient) -> genai.Client:
    """A google-genai client whose every request is sent by ``http`` (the policy)."""
    options = types.HttpOptions(
        base_url=settings.gemini_base_url or None,
        api_version=API_VERSION,
        timeout=int(settings.http_timeout_seconds * 1000),  # also sent as X-Server-Timeout
        retry_options=types.HttpRetryOptions(attempts=1),
        httpx_client=httpx.Client(transport=PolicyTransport(http)),
    )
    key = api_key(settings).get_secret_value()
    return genai.Client(api_key=key, vertexai=False, http_options=options)


class GeminiJson:
    """One ``generate_content`` call returning a validated pydantic model, or one
    ``embed_content`` call returning vectors."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        key = api_key(settings)
        self._http = ServiceClient.from_settings(
            PROVIDER,
            settings.gemini_base_url or DEFAULT_BASE_URL,
            settings,
            transport=transport,
            sleep=sleep,
            secrets=[key],
        )
        self._client = make_client(settings, self._http)
        self._model = settings.gemini_model

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
        response = self._call(
            "generateContent",
            lambda: self._client.models.generate_content(
                model=self._model, contents=prompt, config=config
            ),
        )
        self._record(operation, response, usage)
        return _validate(operation, response, schema)

    def embed(
        self, model: str, texts: list[str], config: types.EmbedContentConfig
    ) -> types.EmbedContentResponse:
        """One ``embed_content`` (batchEmbedContents) call, under the same policy as
        ``generate``; the caller checks the answer and records its usage."""
        contents = [types.Content(parts=[types.Part(text=text)]) for text in texts]
        return self._call(
            "batchEmbedContents",
            lambda: self._client.models.embed_content(
                model=model, contents=contents, config=config
            ),
        )

    def _call(self, method: str, call: Callable[[], R]) -> R:
        """Failures arrive as the policy's ProviderErrors; what is left is an answer the SDK
        cannot read (a 200 whose body is not JSON, or not a response at all)."""
        try:
            return call()
        except ValueError as exc:
            detail = self._http.redact(str(exc))[:200]
            raise ProviderResponseError(
                PROVIDER, f"{method} answered an undecodable body ({detail})"
            ) from exc

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
