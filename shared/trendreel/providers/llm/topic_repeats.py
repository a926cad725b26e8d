"""No repeats: a topic that a job on the same theme chose within ``RepeatPolicy.days`` is not
chosen again, unless it has since grown ``RepeatPolicy.regrowth`` times over.

Trend analysis applies this to whatever the analyzer proposed: it keeps the proposal when it is
fresh, and otherwise takes the next topic in the analyzer's own order of preference (related
to the theme first), so three scheduled runs over the same trends make three videos. When every
candidate was used recently, the one used longest ago is chosen. The why names what was skipped.

Two topics are the same when their labels match (case aside) or when they share at least half
of the smaller one's trends: a label an LLM words differently each run still matches.
Growth compares the topic's combined engagement an hour (``total_velocity``) now and then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from trendreel.models.trends import (
    ChosenTopic,
    ScoredTrendItem,
    TopicCluster,
    TopicRecord,
    TrendReport,
    UsedTopic,
    by_preference,
)
from trendreel.providers.llm.topic_reason import chosen_from

#: Keywords and supporting trends a job keeps of its topic: enough to recognise it again.
RECORDED = 6


@dataclass(frozen=True)
class RepeatPolicy:
    days: float
    regrowth: float


@dataclass(frozen=True)
class Use:
    """A candidate's last use, and how much it has grown since."""

    label: str
    last: UsedTopic
    growth: float

    def regrown(self, policy: RepeatPolicy) -> bool:
        return self.growth >= policy.regrowth

    def describe(self, policy: RepeatPolicy) -> str:
        sign = "≥" if self.regrown(policy) else "<"
        return (
            f"'{self.label}' (used by job {self.last.job_id} on {self._day()}, "
            f"grown {self._times()}x {sign} {policy.regrowth:g}x)"
        )

    def returns(self, policy: RepeatPolicy) -> str:
        return (
            f" '{self.label}' was used by job {self.last.job_id} on {self._day()} but has grown "
            f"{self._times()}x since (≥ {policy.regrowth:g}x), so it may return."
        )

    def _day(self) -> str:
        return self.last.topic.chosen_at.date().isoformat()

    def _times(self) -> str:
        return "∞" if math.isinf(self.growth) else f"{self.growth:.1f}"


Candidate = tuple[TopicCluster | None, Use]  # None: the proposal, when it is no listed cluster


def avoid_repeats(
    report: TrendReport,
    theme: str,
    items: dict[str, ScoredTrendItem],
    history: list[UsedTopic],
    policy: RepeatPolicy,
) -> tuple[TrendReport, list[Use]]:
    """The report with a fresh chosen topic, and the uses that were skipped for it."""
    proposed = report.chosen_topic
    ranked = by_preference(report.clusters)
    own = _cluster_of(proposed, ranked)
    velocity = _velocity(own, proposed, items)
    use = _last_use(proposed.label, proposed.supporting_items, velocity, history)
    if use is None:
        return report, []
    if use.regrown(policy):
        return _with(report, _noted(proposed, use.returns(policy))), []
    tried: list[Candidate] = [(own, use)]
    for cluster in (c for c in ranked if c is not own):
        use = _last_use(cluster.label, cluster.item_ids, cluster.total_velocity, history)
        if use is None or use.regrown(policy):
            skipped = [u for _, u in tried]
            note = _skipped_note(skipped, policy) + (use.returns(policy) if use else "")
            return _with(report, chosen_from(theme, cluster, ranked, items, note)), skipped
        tried.append((cluster, use))
    return _least_recent(report, theme, items, ranked, tried, policy)


def record_of(
    topic: ChosenTopic, report: TrendReport, items: dict[str, ScoredTrendItem], now: datetime
) -> TopicRecord:
    """What the job keeps of its chosen topic (a few hundred bytes)."""
    own = _cluster_of(topic, report.clusters)
    return TopicRecord(
        label=topic.label,
        keywords=topic.keywords[:RECORDED],
        item_ids=topic.supporting_items[:RECORDED],
        total_velocity=round(_velocity(own, topic, items), 2),
        chosen_at=now,
    )


def _least_recent(
    report: TrendReport,
    theme: str,
    items: dict[str, ScoredTrendItem],
    ranked: list[TopicCluster],
    tried: list[Candidate],
    policy: RepeatPolicy,
) -> tuple[TrendReport, list[Use]]:
    """Everything was used recently: the topic used longest ago (the first on ties)."""
    cluster, use = min(tried, key=lambda candidate: candidate[1].last.topic.chosen_at)
    note = (
        f" Every candidate topic was used in the last {policy.days:g} days; this one longest "
        f"ago: {use.describe(policy)}."
    )
    if cluster is None:
        chosen = _noted(report.chosen_topic, note)
    else:
        chosen = chosen_from(theme, cluster, ranked, items, note)
    return _with(report, chosen), [u for _, u in tried if u is not use]


def _last_use(
    label: str, item_ids: list[str], velocity: float, history: list[UsedTopic]
) -> Use | None:
    """The newest use of the topic in ``history`` (newest first), with its growth since."""
    for used in history:
        if _same(label, item_ids, used.topic):
            then = used.topic.total_velocity
            growth = velocity / then if then > 0 else (math.inf if velocity > 0 else 1.0)
            return Use(label, used, growth)
    return None


def _same(label: str, item_ids: list[str], record: TopicRecord) -> bool:
    if label.casefold().strip() == record.label.casefold().strip():
        return True
    shared = len(set(item_ids) & set(record.item_ids))
    smaller = min(len(set(item_ids)), len(set(record.item_ids)))
    return smaller > 0 and shared * 2 >= smaller


def _cluster_of(topic: ChosenTopic, clusters: list[TopicCluster]) -> TopicCluster | None:
    return next((c for c in clusters if c.label == topic.label), None)


def _velocity(
    cluster: TopicCluster | None, topic: ChosenTopic, items: dict[str, ScoredTrendItem]
) -> float:
    if cluster is not None:
        return cluster.total_velocity
    return sum(items[i].engagement_velocity_per_hour for i in topic.supporting_items if i in items)


def _skipped_note(skipped: list[Use], policy: RepeatPolicy) -> str:
    return " Skipped " + "; ".join(u.describe(policy) for u in skipped) + "."


def _noted(topic: ChosenTopic, note: str) -> ChosenTopic:
    return topic.model_copy(update={"reason": topic.reason + note})


def _with(report: TrendReport, chosen: ChosenTopic) -> TrendReport:
    return report.model_copy(update={"chosen_topic": chosen})
