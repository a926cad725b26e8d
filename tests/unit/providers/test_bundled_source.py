"""BundledTrendSource: the offline sample, re-dated against ``now`` on every call."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

from trendreel.models import Platform
from trendreel.providers.base import TrendSource, UsageLog
from trendreel.providers.trends.bundled import BundledTrendSource

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ALL = 1000


def _raw() -> list[dict[str, Any]]:
    text = resources.files("trendreel.data").joinpath("trends_bundled.json").read_text("utf-8")
    items: list[dict[str, Any]] = json.loads(text)["items"]
    return items


def test_satisfies_the_trend_source_protocol() -> None:
    source: TrendSource = BundledTrendSource()
    assert source.name == "bundled"


def test_dataset_size_and_platform_mix() -> None:
    items = BundledTrendSource().collect(NOW, ALL, UsageLog())
    counts = Counter(i.platform for i in items)
    assert len(items) >= 72
    assert counts[Platform.YOUTUBE] >= 24
    assert counts[Platform.TIKTOK] >= 24
    assert counts[Platform.GOOGLE_TRENDS] >= 12
    assert len({(i.platform, i.external_id) for i in items}) == len(items)
    assert {i.source for i in items} == {"bundled"}


def test_raw_entries_are_realistic() -> None:
    for raw in _raw():
        assert 0.5 <= raw["posted_hours_ago"] <= 72
        assert raw["url"].startswith("https://")
        assert raw["thumbnail_url"].startswith("https://")
        if raw["platform"] == "google_trends":
            assert raw["duration_seconds"] is None
            assert raw["likes"] == raw["comments"] == raw["shares"] == 0
            assert raw["views"] > 0
        else:
            assert 0 < raw["likes"] < raw["views"]
            assert raw["comments"] < raw["likes"]
            assert raw["duration_seconds"] > 0


def test_topics_recur_across_platforms() -> None:
    tags_by_platform: dict[str, set[str]] = {}
    for raw in _raw():
        tags_by_platform.setdefault(raw["platform"], set()).update(raw["hashtags"])
    shared = tags_by_platform["tiktok"] & tags_by_platform["youtube"]
    assert len(shared) >= 10


def test_items_are_redated_against_now() -> None:
    later = NOW + timedelta(hours=30)
    first = {i.external_id: i for i in BundledTrendSource().collect(NOW, ALL, UsageLog())}
    second = {i.external_id: i for i in BundledTrendSource().collect(later, ALL, UsageLog())}
    for ident, item in first.items():
        assert item.posted_at.tzinfo is not None
        assert item.posted_at < NOW
        assert second[ident].posted_at - item.posted_at == timedelta(hours=30)


def test_velocity_depends_on_now() -> None:
    items = BundledTrendSource().collect(NOW, ALL, UsageLog())
    social = [i for i in items if i.platform != Platform.GOOGLE_TRENDS]
    assert all(i.engagement_velocity(NOW) > 0 for i in social)
    for item in social:
        assert item.engagement_velocity(NOW + timedelta(hours=12)) < item.engagement_velocity(NOW)


def test_ordered_by_velocity_descending() -> None:
    items = BundledTrendSource().collect(NOW, ALL, UsageLog())
    velocities = [i.engagement_velocity(NOW) for i in items]
    assert velocities == sorted(velocities, reverse=True)


def test_limit_keeps_the_platform_mix_and_order() -> None:
    items = BundledTrendSource().collect(NOW, 20, UsageLog())
    counts = Counter(i.platform for i in items)
    assert len(items) == 20
    assert counts[Platform.GOOGLE_TRENDS] >= 3
    assert counts[Platform.TIKTOK] >= 6
    velocities = [i.engagement_velocity(NOW) for i in items]
    assert velocities == sorted(velocities, reverse=True)
    everything = BundledTrendSource().collect(NOW, ALL, UsageLog())
    assert items[0] == everything[0]


def test_limit_zero_returns_nothing() -> None:
    assert BundledTrendSource().collect(NOW, 0, UsageLog()) == []


def test_records_usage() -> None:
    usage = UsageLog()
    items = BundledTrendSource().collect(NOW, 30, usage)
    assert len(usage.calls) == 1
    call = usage.calls[0]
    assert (call.provider, call.unit_name, call.units) == ("bundled", "items", len(items))
    assert usage.total_cost() == 0


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        BundledTrendSource().collect(datetime(2025, 3, 1), 10, UsageLog())
