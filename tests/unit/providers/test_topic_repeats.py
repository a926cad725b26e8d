"""No repeats: the topic check trend analysis applies to the analyzer's proposal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.unit.stages.fakes import make_report
from trendreel.models import Platform
from trendreel.models.trends import (
    ScoredTrendItem,
    ThemeFit,
    TopicCluster,
    TopicRecord,
    TrendReport,
    UsedTopic,
    by_preference,
)
from trendreel.providers.llm.topic_reason import chosen_from
from trendreel.providers.llm.topic_repeats import RepeatPolicy, avoid_repeats, record_of

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
THEME = "everyday tech tips"
POLICY = RepeatPolicy(days=7, regrowth=2.0)


def item(ident: str, velocity: float) -> ScoredTrendItem:
    return ScoredTrendItem(
        platform=Platform.TIKTOK,
        external_id=ident,
        title=f"trend {ident}",
        likes=int(velocity),
        posted_at=NOW - timedelta(hours=1),
        engagement_velocity_per_hour=velocity,
    )


ITEMS = {f"tiktok:{i}": item(i, v) for i, v in [("a1", 900), ("a2", 100), ("b1", 400), ("c1", 800)]}


def cluster(label: str, ids: list[str], score: float, related: bool) -> TopicCluster:
    fit = ThemeFit(related=related, boost=2.0 if related else 1.0, relation=f"{label} relation")
    velocity = sum(ITEMS[f"tiktok:{i}"].engagement_velocity_per_hour for i in ids)
    return TopicCluster(
        label=label,
        keywords=[label],
        hashtags=[],
        item_ids=[f"tiktok:{i}" for i in ids],
        platforms=[Platform.TIKTOK],
        score=score,
        total_velocity=velocity,
        fit=fit,
    )


def report() -> TrendReport:
    """Two related topics (battery, then glasses) and a stronger unrelated one (final)."""
    clusters = [
        cluster("phone battery", ["a1", "a2"], 1.0, related=True),
        cluster("football final", ["c1"], 0.9, related=False),
        cluster("smart glasses", ["b1"], 0.6, related=True),
    ]
    ranked = by_preference(clusters)
    chosen = chosen_from(THEME, ranked[0], ranked, ITEMS)
    return make_report(NOW).model_copy(update={"clusters": clusters, "chosen_topic": chosen})


def used(label: str, ids: list[str], velocity: float, days_ago: float, job: str) -> UsedTopic:
    record = TopicRecord(
        label=label,
        keywords=[],
        item_ids=[f"tiktok:{i}" for i in ids],
        total_velocity=velocity,
        chosen_at=NOW - timedelta(days=days_ago),
    )
    return UsedTopic(job_id=job, topic=record)


def test_a_fresh_proposal_is_kept_as_it_is() -> None:
    proposed = report()
    checked, skipped = avoid_repeats(proposed, THEME, ITEMS, [], POLICY)
    assert checked == proposed
    assert skipped == []


def test_a_topic_used_recently_is_skipped_for_the_next_related_one() -> None:
    history = [used("phone battery", ["a1", "a2"], 1000, days_ago=2, job="job-1")]
    checked, skipped = avoid_repeats(report(), THEME, ITEMS, history, POLICY)
    chosen = checked.chosen_topic
    assert chosen.label == "smart glasses"
    assert chosen.supporting_items == ["tiktok:b1"]
    assert [u.label for u in skipped] == ["phone battery"]
    assert chosen.reason.startswith(f"{THEME} theme: smart glasses relation.")
    assert chosen.reason.endswith(
        " Skipped 'phone battery' (used by job job-1 on 2025-03-12, grown 1.0x < 2x)."
    )


def test_when_every_related_topic_was_used_strength_decides_among_the_rest() -> None:
    history = [
        used("smart glasses", ["b1"], 400, days_ago=1, job="job-2"),
        used("phone battery", ["a1", "a2"], 1000, days_ago=2, job="job-1"),
    ]
    checked, skipped = avoid_repeats(report(), THEME, ITEMS, history, POLICY)
    chosen = checked.chosen_topic
    assert chosen.label == "football final"
    assert chosen.reason.startswith(
        f"No topic related to the {THEME} theme is left to choose, so trend strength decided"
    )
    assert [u.label for u in skipped] == ["phone battery", "smart glasses"]
    assert "'smart glasses' (used by job job-2 on 2025-03-13, grown 1.0x < 2x)" in chosen.reason


def test_a_topic_that_has_grown_enough_may_return() -> None:
    history = [used("phone battery", ["a1", "a2"], 500, days_ago=2, job="job-1")]  # now 1000
    checked, skipped = avoid_repeats(report(), THEME, ITEMS, history, POLICY)
    assert checked.chosen_topic.label == "phone battery"
    assert skipped == []
    assert checked.chosen_topic.reason.endswith(
        "'phone battery' was used by job job-1 on 2025-03-12 but has grown 2.0x since (≥ 2x), "
        "so it may return."
    )


def test_growth_short_of_the_factor_keeps_it_skipped() -> None:
    history = [used("phone battery", ["a1", "a2"], 501, days_ago=2, job="job-1")]
    checked, _ = avoid_repeats(report(), THEME, ITEMS, history, POLICY)
    assert checked.chosen_topic.label == "smart glasses"
    assert "grown 2.0x < 2x" in checked.chosen_topic.reason  # 1.996, shown rounded


def test_a_reworded_label_is_still_the_same_topic_by_its_trends() -> None:
    history = [used("Battery saving hacks", ["a1", "zz"], 1000, days_ago=1, job="job-1")]
    checked, _ = avoid_repeats(report(), THEME, ITEMS, history, POLICY)
    assert checked.chosen_topic.label == "smart glasses"


def test_a_regrown_alternative_is_taken_and_said_so() -> None:
    history = [
        used("smart glasses", ["b1"], 100, days_ago=1, job="job-2"),  # 400 now: grown 4x
        used("phone battery", ["a1", "a2"], 1000, days_ago=2, job="job-1"),
    ]
    checked, skipped = avoid_repeats(report(), THEME, ITEMS, history, POLICY)
    assert checked.chosen_topic.label == "smart glasses"
    assert [u.label for u in skipped] == ["phone battery"]
    assert "'smart glasses' was used by job job-2" in checked.chosen_topic.reason


def test_when_everything_was_used_the_one_used_longest_ago_returns() -> None:
    history = [
        used("football final", ["c1"], 800, days_ago=1, job="job-3"),
        used("smart glasses", ["b1"], 400, days_ago=3, job="job-2"),
        used("phone battery", ["a1", "a2"], 1000, days_ago=5, job="job-1"),
    ]
    checked, skipped = avoid_repeats(report(), THEME, ITEMS, history, POLICY)
    chosen = checked.chosen_topic
    assert chosen.label == "phone battery"
    assert chosen.reason.endswith(
        "Every candidate topic was used in the last 7 days; this one longest ago: 'phone "
        "battery' (used by job job-1 on 2025-03-09, grown 1.0x < 2x)."
    )
    assert sorted(u.label for u in skipped) == ["football final", "smart glasses"]


def test_the_record_keeps_what_recognises_the_topic_again() -> None:
    checked = report()
    record = record_of(checked.chosen_topic, checked, ITEMS, NOW)
    assert record.label == "phone battery"
    assert record.item_ids == ["tiktok:a1", "tiktok:a2"]
    assert record.total_velocity == 1000
    assert record.chosen_at == NOW
    assert len(record.model_dump_json()) < 1000  # Job documents stay small
