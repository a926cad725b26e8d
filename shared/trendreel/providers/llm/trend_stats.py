"""Deterministic statistics over collected trends, shared by every analyzer."""

from __future__ import annotations

import statistics
from collections import Counter

from trendreel.models import EngagementStats, KeywordScore
from trendreel.models.trends import ScoredTrendItem


def normalise_hashtag(tag: str) -> str:
    return tag.strip().lstrip("#").lower()


def engagement_stats(items: list[ScoredTrendItem]) -> EngagementStats:
    if not items:
        raise ValueError("engagement_stats needs at least one item")
    velocities = sorted(i.engagement_velocity_per_hour for i in items)
    rates = [(i.likes + i.comments + i.shares) / i.views for i in items if i.views > 0]
    durations = [i.duration_seconds for i in items if i.duration_seconds]
    p90_index = min(len(velocities) - 1, round(0.9 * (len(velocities) - 1)))
    return EngagementStats(
        item_count=len(items),
        by_platform=dict(sorted(Counter(i.platform.value for i in items).items())),
        median_views=float(statistics.median(i.views for i in items)),
        mean_engagement_rate=round(statistics.fmean(rates), 5) if rates else 0.0,
        median_velocity=round(statistics.median(velocities), 3),
        p90_velocity=round(velocities[p90_index], 3),
        median_duration_seconds=float(statistics.median(durations)) if durations else None,
    )


def hashtag_scores(items: list[ScoredTrendItem], top: int = 15) -> list[KeywordScore]:
    """Hashtags by how often they occur, weighted by the velocity of the items using them."""
    counts: Counter[str] = Counter()
    weight: dict[str, float] = {}
    for item in items:
        for tag in {normalise_hashtag(t) for t in item.hashtags if normalise_hashtag(t)}:
            counts[tag] += 1
            weight[tag] = weight.get(tag, 0.0) + item.engagement_velocity_per_hour
    total = sum(weight.values()) or 1.0
    ranked = sorted(counts, key=lambda t: (-weight[t], -counts[t], t))[:top]
    return [
        KeywordScore(term=t, count=counts[t], score=round(weight[t] / total, 5)) for t in ranked
    ]
