"""The channel's own results: a topic like one whose video did well on the channel scores
higher, and the why says so.

A published video "did well" when its views at their latest reading are at least ``DID_WELL``
times the median of the theme's videos that have been read (at least ``MIN_VIDEOS`` of them, or
there is nothing to compare with). Among the analyzer's topics, the first in its own order of
preference that is like such a topic (the same label, half its trends, or half its keywords)
is preferred to the proposal, as long as it fits the theme at least as well: results never
pull a video off its theme. The repeat check runs after this, so a topic used within
``topic_repeat_days`` is still not made again, however well it did.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from trendreel.models.trends import (
    ScoredTrendItem,
    TopicCluster,
    TopicRecord,
    TrendReport,
    UsedTopic,
    by_preference,
)
from trendreel.providers.llm.topic_reason import chosen_from

DID_WELL = 1.5
MIN_VIDEOS = 2


@dataclass(frozen=True)
class Success:
    """A past topic whose video did well."""

    used: UsedTopic
    views: int
    median: float

    def describe(self) -> str:
        ratio = self.views / self.median
        return (
            f" The channel's video on '{self.used.topic.label}' (job {self.used.job_id}) reached "
            f"{self.views:,} views, {ratio:.1f}x the theme's median of {self.median:,.0f}, so "
            "topics like it score higher."
        )


def successes(history: list[UsedTopic]) -> list[Success]:
    """Past topics whose videos did well, best first."""
    read = [(u, u.result.views) for u in history if u.result is not None]
    if len(read) < MIN_VIDEOS:
        return []
    median = statistics.median(views for _, views in read)
    if median <= 0:
        return []
    good = [Success(u, views, median) for u, views in read if views >= DID_WELL * median]
    return sorted(good, key=lambda s: -s.views)


def favour_results(
    report: TrendReport,
    theme: str,
    items: dict[str, ScoredTrendItem],
    history: list[UsedTopic],
) -> TrendReport:
    """The report with its chosen topic moved to one like a past success, where one fits."""
    good = successes(history)
    if not good:
        return report
    ranked = by_preference(report.clusters)
    proposed = next((c for c in ranked if c.label == report.chosen_topic.label), None)
    for cluster in ranked:
        success = next((s for s in good if _alike(cluster, s.used.topic)), None)
        if success is None:
            continue
        if proposed is not None and proposed.related and not cluster.related:
            return report  # the theme comes first
        note = success.describe()
        if cluster is proposed:
            chosen = report.chosen_topic
            return report.model_copy(
                update={"chosen_topic": chosen.model_copy(update={"reason": chosen.reason + note})}
            )
        chosen = chosen_from(theme, cluster, ranked, items, note)
        return report.model_copy(update={"chosen_topic": chosen})
    return report


def _alike(cluster: TopicCluster, record: TopicRecord) -> bool:
    if cluster.label.casefold().strip() == record.label.casefold().strip():
        return True
    return _half(cluster.item_ids, record.item_ids) or _half(
        [k.casefold() for k in cluster.keywords], [k.casefold() for k in record.keywords]
    )


def _half(mine: list[str], theirs: list[str]) -> bool:
    smaller = min(len(set(mine)), len(set(theirs)))
    return smaller > 0 and len(set(mine) & set(theirs)) * 2 >= smaller
