"""The offline default analyzer: keyword scoring, topic clustering and topic choice, no API.

* keywords — TF-IDF-like: Σ over items of (term frequency / item length) × log(1 + velocity),
  times log(1 + N / document frequency); terms used by one item only are left out when enough
  shared terms exist, so one viral post cannot fill the list on its own.
* clusters — see ``offline_clusters``; score = Σ member weight × (1 + 0.5 per extra platform),
  normalised so the strongest cluster scores 1.0.
* topic — the cluster with the best score × theme boost (``offline_relevance``).
* format — ``offline_format``.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime

from trendreel.errors import NoTrendsError
from trendreel.models import (
    ChosenTopic,
    KeywordScore,
    ThemeConfig,
    TopicCluster,
    TrendCollection,
    TrendReport,
)
from trendreel.providers.base import UsageLog
from trendreel.providers.llm.offline_clusters import (
    Cluster,
    ItemTerms,
    cluster_hashtags,
    cluster_items,
    distinctive_terms,
    document_frequency,
    extract_terms,
)
from trendreel.providers.llm.offline_format import recommend_format
from trendreel.providers.llm.offline_labels import cluster_label
from trendreel.providers.llm.offline_relevance import Relevance, ThemeProfile
from trendreel.providers.llm.offline_text import Vocabulary
from trendreel.providers.llm.trend_stats import engagement_stats, hashtag_scores

CROSS_PLATFORM_BONUS = 0.5
MAX_CLUSTERS = 8
TOP_KEYWORDS = 15
CLUSTER_KEYWORDS = 6
SUPPORTING_ITEMS = 5
PLATFORM_NAMES = {"youtube": "YouTube", "tiktok": "TikTok", "google_trends": "Google Trends"}


class OfflineAnalyzer:
    """Deterministic trend analysis: the same collection and config give the same report."""

    name = "offline"

    def analyze(
        self, collection: TrendCollection, config: ThemeConfig, now: datetime, usage: UsageLog
    ) -> TrendReport:
        items = collection.items
        if not items:
            raise NoTrendsError("no trend items to analyze: the collection is empty")
        terms, vocab = extract_terms(items)
        df = document_frequency(terms)
        ranked = _rank_clusters(cluster_items(terms))
        top_raw = ranked[0].raw_strength(CROSS_PLATFORM_BONUS)
        models = [_describe(c, df, vocab, len(terms), top_raw) for c in ranked[:MAX_CLUSTERS]]
        profile = ThemeProfile(config)
        relevances = [profile.relevance(c) for c in ranked[:MAX_CLUSTERS]]
        best = max(range(len(models)), key=lambda k: (models[k].score * relevances[k].boost, -k))
        stats = engagement_stats(items)
        members = [m.item for m in ranked[best].members]
        usage.record(self.name, "analyze", len(items), "items_analyzed", 0.0)
        return TrendReport(
            generated_at=now,
            analyzer=self.name,
            top_hashtags=hashtag_scores(items),
            top_keywords=_keyword_scores(terms, df, vocab),
            clusters=models,
            engagement=stats,
            recommended_format=recommend_format(members, stats, config),
            chosen_topic=_chosen(models[best], ranked[best], relevances[best], vocab, len(models)),
        )


def _rank_clusters(clusters: list[Cluster]) -> list[Cluster]:
    """Strongest first; clusters of one item only when nothing grouped at all."""
    grouped = [c for c in clusters if len(c.members) >= 2] or clusters

    def key(cluster: Cluster) -> tuple[float, str]:
        return (-cluster.raw_strength(CROSS_PLATFORM_BONUS), cluster.by_velocity()[0].ident)

    return sorted(grouped, key=key)


def _describe(
    cluster: Cluster, df: Counter[str], vocab: Vocabulary, total: int, top_raw: float
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


def _chosen(
    model: TopicCluster, cluster: Cluster, relevance: Relevance, vocab: Vocabulary, count: int
) -> ChosenTopic:
    supporting = cluster.by_velocity()[:SUPPORTING_ITEMS]
    platforms = ", ".join(PLATFORM_NAMES[p.value] for p in model.platforms)
    theme_part = _theme_part(relevance, vocab)
    reason = (
        f"'{model.label}' has the best theme-weighted score of {count} topic clusters "
        f"({model.score:.2f} × {relevance.boost:.2f} = {model.score * relevance.boost:.2f}): "
        f"{len(model.item_ids)} trends on {platforms} with about "
        f"{model.total_velocity:,.0f} likes, comments and shares an hour combined; {theme_part}. "
        f"Fastest: '{supporting[0].item.title}'."
    )
    return ChosenTopic(
        label=model.label,
        keywords=model.keywords,
        hashtags=model.hashtags,
        reason=reason,
        supporting_items=[m.ident for m in supporting],
        supporting_titles=[m.item.title for m in supporting],
    )


def _theme_part(relevance: Relevance, vocab: Vocabulary) -> str:
    """Which theme and context words the topic shares with the config, in words."""
    if not relevance.matched:
        return "it shares no words with the theme, so it won on trend strength alone"
    parts = []
    if relevance.theme_matched:
        parts.append(
            "the theme words " + ", ".join(vocab.display(t) for t in relevance.theme_matched)
        )
    if relevance.context_matched:
        shown = relevance.context_matched[:4]
        parts.append("the context words " + ", ".join(vocab.display(t) for t in shown))
    return f"it matches {' and '.join(parts)} (theme boost ×{relevance.boost:.2f})"
