"""Gemini's embedding model as the embedder theme fit measures meaning with.

Texts go in batches of ``BATCH`` (the API's limit per batchEmbedContents request) with task
type SEMANTIC_SIMILARITY, at ``DIMENSIONS`` dimensions (Matryoshka-truncated, so rescaled to
unit length here). Usage is the answer's token count when it carries one, otherwise estimated
at four characters a token, and priced with ``EMBEDDING_PRICE_PER_MILLION_TOKENS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import numpy as np
from google.genai import types

from trendreel.errors import ProviderResponseError
from trendreel.providers.base import UsageLog
from trendreel.providers.llm.embeddings import Vectors, unit_rows
from trendreel.providers.llm.gemini_client import PROVIDER, GeminiJson
from trendreel.settings import Settings

BATCH = 100
DIMENSIONS = 768
TASK_TYPE = "SEMANTIC_SIMILARITY"
#: USD per 1M input tokens (Gemini API paid tier, 2025); unknown models are estimated at 0.
EMBEDDING_PRICE_PER_MILLION_TOKENS: dict[str, float] = {"gemini-embedding-001": 0.15}
CHARS_PER_TOKEN = 4
#: Not yet calibrated on live answers: this model scores even unrelated short texts about 0.7,
#: so "related" starts well above that. Compare TRENDREEL_ANALYZER=offline's 0.30 (MiniLM).
RELATED_SIMILARITY = 0.80


class GeminiEmbedder:
    name = PROVIDER
    related_similarity = RELATED_SIMILARITY

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._gemini = GeminiJson(settings, transport=transport, sleep=sleep)
        self._model = settings.gemini_embedding_model

    def embed(self, texts: list[str], usage: UsageLog) -> Vectors:
        rows: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            rows += self._batch(texts[start : start + BATCH], usage)
        return unit_rows(np.array(rows, dtype=np.float32).reshape(len(texts), -1 if rows else 0))

    def _batch(self, texts: list[str], usage: UsageLog) -> list[list[float]]:
        config = types.EmbedContentConfig(task_type=TASK_TYPE, output_dimensionality=DIMENSIONS)
        response = self._gemini.embed(self._model, texts, config)
        vectors = [e.values for e in response.embeddings or [] if e.values]
        if len(vectors) != len(texts) or len({len(v) for v in vectors}) > 1:
            raise ProviderResponseError(
                PROVIDER, f"embed: {len(vectors)} usable embeddings for {len(texts)} texts"
            )
        self._record(texts, response, usage)
        return vectors

    def _record(
        self, texts: list[str], response: types.EmbedContentResponse, usage: UsageLog
    ) -> None:
        meta = response.usage_metadata
        counted = meta.prompt_token_count if meta is not None else None
        tokens = counted or -(-sum(len(t) for t in texts) // CHARS_PER_TOKEN)  # rounded up
        price = EMBEDDING_PRICE_PER_MILLION_TOKENS.get(self._model.removeprefix("models/"), 0.0)
        unit = "tokens" if counted else "tokens_estimated"
        usage.record(PROVIDER, "embed", tokens, unit, tokens * price / 1e6)
