"""Sentence embeddings: the port theme fit measures meaning with, and the text it embeds.

Two embedders implement it: ``minilm.MiniLmEmbedder`` (offline, all-MiniLM-L6-v2 on
onnxruntime) and ``gemini_embedder.GeminiEmbedder`` (Gemini's embedding model). Cosine
similarities are not comparable between models, so each says from which similarity on a trend
counts as related to a theme.
"""

from __future__ import annotations

import re
from typing import Protocol

import numpy as np
import numpy.typing as npt

from trendreel.models.trends import ScoredTrendItem
from trendreel.providers.base import UsageLog
from trendreel.providers.llm.offline_text import split_compound
from trendreel.providers.llm.trend_stats import normalise_hashtag

Vectors = npt.NDArray[np.float32]
_INLINE_TAG = re.compile(r"#\w+")
_WORD = re.compile(r"[a-z]+")


class Embedder(Protocol):
    name: str
    #: Cosine similarity from which a trend counts as related to a theme, for this model.
    related_similarity: float

    def embed(self, texts: list[str], usage: UsageLog) -> Vectors:
        """One unit-length row per text, in order."""
        ...


def unit_rows(vectors: npt.NDArray[np.floating]) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    scaled: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return scaled


def known_words(items: list[ScoredTrendItem]) -> set[str]:
    """Words the collection writes out, for splitting run-together hashtags."""
    return {w for item in items for w in _WORD.findall(f"{item.title} {item.description}".lower())}


def trend_text(item: ScoredTrendItem, known: set[str]) -> str:
    """What a trend is about, as a sentence model reads it best: the title without its
    inline hashtags, then the hashtags as words (``#highprotein`` -> "high protein").

    Descriptions are left out: measured on the bundled trends they blur short titles
    (similarities to the right theme drop by about 0.04) and double the embedding time.
    """
    title = _INLINE_TAG.sub("", item.title).strip()
    tags = [normalise_hashtag(t) for t in item.hashtags]
    words = [" ".join(split_compound(t, known)) or t for t in tags if t]
    return f"{title}. {' '.join(words)}" if words else title
