"""The offline default analyzer: keyword scoring, topic clustering and topic choice, no API.

* keywords — TF-IDF-like: Σ over items of (term frequency / item length) × log(1 + velocity),
  times log(1 + N / document frequency); terms used by one item only are left out when enough
  shared terms exist, so one viral post cannot fill the list on its own.
* clusters — see ``offline_clusters``; score = Σ member weight × (1 + 0.5 per extra platform),
  normalised so the strongest cluster scores 1.0.
* candidates — the strongest ``MAX_CLUSTERS`` clusters of two or more trends, plus any smaller
  or weaker cluster (a single trend too) that is related to the theme, so "pets" can find the
  one cat video among unrelated groups.
* topic — among the candidates related to the theme by words or meaning (``offline_fit``),
  the best score × fit; when none is related, the strongest, and the why says so.
* format — ``offline_format``.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime

from trendreel.errors import NoTrendsError
from trendreel.models import (
    KeywordScore,
    ThemeConfig,
    TopicCluster,
    TrendCollection,
    TrendReport,
)
from trendreel.models.trends import ThemeFit, by_preference
from trendreel.providers.base import UsageLog
from trendreel.providers.llm.embeddings import Embedder
from trendreel.providers.llm.minilm import MiniLmEmbedder
from trendreel.providers.llm.offline_clusters import (
    Cluster,
    ItemTerms,
    cluster_hashtags,
    cluster_items,
    distinctive_terms,
    document_frequency,
    extract_terms,
)
from trendreel.providers.llm.offline_fit import theme_fit
from trendreel.providers.llm.offline_format import recommend_format
from trendreel.providers.llm.offline_labels import cluster_label
from trendreel.providers.llm.offline_relevance import ThemeProfile
from trendreel.providers.llm.offline_text import Vocabulary
from trendreel.providers.llm.theme_meaning import theme_meanings
from trendreel.providers.llm.topic_reason import chosen_from, ident
from trendreel.providers.llm.trend_stats import engagement_stats, hashtag_scores

CROSS_PLATFORM_BONUS = 0.5
MAX_CLUSTERS = 8
#: Related clusters listed beyond the strongest MAX_CLUSTERS (candidates for later jobs too).
MAX_RELATED_EXTRA = 4
TOP_KEYWORDS = 15
CLUSTER_KEYWORDS = 6


class OfflineAnalyzer:
    """Deterministic trend analysis: the same collection and config give the same report."""

    name = "offline"

    def __init__(self, embedder: Embedder | None = None) -> None:
        self._embedder: Embedder = embedder if embedder is not None else MiniLmEmbedder()

    def analyze(
        self, collection: TrendCollection, config: ThemeConfig, now: datetime, usage: UsageLog
    ) -> TrendReport:
        items = collection.items
        if not items:
            raise NoTrendsError("no trend items to analyze: the collection is empty")
        terms, vocab = extract_terms(items)
        df = document_frequency(terms)
        candidates, grouped = _candidates(cluster_items(terms))
        fits = self._fits(candidates, config, vocab, usage)
        listed = _listed(candidates, grouped, fits)
        top_raw = candidates[0].raw_strength(CROSS_PLATFORM_BONUS)
        models = [_describe(candidates[k], df, vocab, len(terms), top_raw, fits[k]) for k in listed]
        ranked = by_preference(models)
        best = next(k for k, model in zip(listed, models, strict=True) if model is ranked[0])
        stats = engagement_stats(items)
        members = [m.item for m in candidates[best].members]
        usage.record(self.name, "analyze", len(items), "items_analyzed", 0.0)
        return TrendReport(
            generated_at=now,
            analyzer=self.name,
            top_hashtags=hashtag_scores(items),
            top_keywords=_keyword_scores(terms, df, vocab),
            clusters=sorted(models, key=lambda m: -m.score),
            engagement=stats,
            recommended_format=recommend_format(members, stats, config),
            chosen_topic=chosen_from(
                config.config.theme, ranked[0], ranked, {ident(i): i for i in items}
            ),
        )

    def _fits(
        self, candidates: list[Cluster], config: ThemeConfig, vocab: Vocabulary, usage: UsageLog
    ) -> list[ThemeFit]:
        profile = ThemeProfile(config)
        groups = [[m.item for m in c.members] for c in candidates]
        meanings = theme_meanings(config.config.theme, groups, self._embedder, usage)
        return [
            theme_fit(profile.relevance(c), meaning, vocab)
            for c, meaning in zip(candidates, meanings, strict=True)
        ]


def _candidates(clusters: list[Cluster]) -> tuple[list[Cluster], int]:
    """Every cluster, strongest first with clusters of two or more trends ahead of single
    trends; and how many have two or more."""

    def key(cluster: Cluster) -> tuple[bool, float, str]:
        single = len(cluster.members) < 2
        return (single, -cluster.raw_strength(CROSS_PLATFORM_BONUS), cluster.by_velocity()[0].ident)

    ordered = sorted(clusters, key=key)
    return ordered, sum(len(c.members) >= 2 for c in ordered)


def _listed(candidates: list[Cluster], grouped: int, fits: list[ThemeFit]) -> list[int]:
    """Indexes of the clusters the report lists: the strongest groups (single trends only when
    nothing grouped), then related clusters beyond them."""
    shown = list(range(min(grouped or len(candidates), MAX_CLUSTERS)))
    extra = [k for k in range(len(candidates)) if k not in shown and fits[k].related]
    return shown + extra[:MAX_RELATED_EXTRA]


def _describe(
    cluster: Cluster,
    df: Counter[str],
    vocab: Vocabulary,
    total: int,
    top_raw: float,
    fit: ThemeFit,
) -> TopicCluster:
    keywords = distinctive_terms(cluster, df, total)[:CLUSTER_KEYWORDS]
    members = cluster.by_velocity()
    return TopicCluster(
        label=cluster_label(cluster, df, total, vocab),
        keywords=[vocab.display(k) for k in keywords],
        hashtags=cluster_hashtags(cluster),
        item_ids=[m.ident for m in members],
        platforms=cluster.platforms,
        score=round(cluster.raw_strength(CROSS_PLATFORM_BONUS) / (top_raw or 1.0), 4),
        total_velocity=round(sum(m.item.engagement_velocity_per_hour for m in members), 2),
        fit=fit,
    )


def _keyword_scores(
    terms: list[ItemTerms], df: Counter[str], vocab: Vocabulary
) -> list[KeywordScore]:
    weight: dict[str, float] = {}
    for item_terms in terms:
        length = sum(item_terms.words.values()) or 1
        for term, count in item_terms.words.items():
            idf = math.log1p(len(terms) / df[term])
            weight[term] = weight.get(term, 0.0) + count / length * item_terms.weight * idf
    shared = [t for t in weight if df[t] >= 2]
    pool = shared if len(shared) >= TOP_KEYWORDS else list(weight)
    ranked = sorted(pool, key=lambda t: (-weight[t], t))[:TOP_KEYWORDS]
    total = sum(weight.values()) or 1.0
    return [
        KeywordScore(term=vocab.display(t), count=df[t], score=round(weight[t] / total, 5))
        for t in ranked
    ]
