"""How close in meaning each candidate topic is to the theme, with an embedder.

A topic is a group of trends. Its similarity is the cosine between the theme and the topic's
centroid (the mean of its trends' unit vectors, scaled to unit length): a group about the theme
scores high even when no single word matches, and a stray off-theme member pulls it down rather
than deciding it. One batch embeds the theme and every distinct trend once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trendreel.models.trends import ScoredTrendItem
from trendreel.providers.base import UsageLog
from trendreel.providers.llm.embeddings import Embedder, Vectors, known_words, trend_text
from trendreel.providers.llm.topic_reason import ident

NEAREST_SHOWN = 2
TITLE_CHARS = 48


@dataclass(frozen=True)
class Meaning:
    """A topic's similarity of meaning to the theme and its trends closest to it."""

    similarity: float
    nearest: list[str]
    threshold: float  # the embedder's similarity for "related"

    @property
    def related(self) -> bool:
        return self.similarity >= self.threshold

    def describe(self) -> str:
        shown = ", ".join(f"'{_short(t)}'" for t in self.nearest)
        if self.related:
            return f"related by meaning to {shown} (similarity {self.similarity:.2f})"
        return f"closest in meaning {shown} (similarity {self.similarity:.2f})"


def theme_meanings(
    theme: str,
    groups: list[list[ScoredTrendItem]],
    embedder: Embedder,
    usage: UsageLog,
) -> list[Meaning]:
    """One Meaning per group of trends, in order."""
    items = list({ident(i): i for group in groups for i in group}.values())
    known = known_words(items)
    vectors = embedder.embed([theme, *(trend_text(i, known) for i in items)], usage)
    theme_vector, rows = vectors[0], {ident(i): k + 1 for k, i in enumerate(items)}
    return [
        _meaning(group, vectors[[rows[ident(i)] for i in group]], theme_vector, embedder)
        for group in groups
    ]


def _meaning(
    group: list[ScoredTrendItem], members: Vectors, theme: Vectors, embedder: Embedder
) -> Meaning:
    if not group:
        return Meaning(0.0, [], embedder.related_similarity)
    centroid = members.mean(axis=0)
    similarity = float(centroid @ theme / max(float(np.linalg.norm(centroid)), 1e-12))
    closest = np.argsort(-(members @ theme), kind="stable")[:NEAREST_SHOWN]
    nearest = [group[k].title for k in closest]
    return Meaning(round(similarity, 4), nearest, embedder.related_similarity)


def _short(title: str) -> str:
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "…"
