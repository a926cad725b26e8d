"""OfflineAnalyzer: deterministic keywords, clusters, theme-weighted topic choice and format.

Theme fit by meaning on the bundled trends is in test_theme_fit.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.unit.providers.analysis_support import ANALYZER
from trendreel.config import apply_overrides, load_default_config
from trendreel.errors import NoTrendsError
from trendreel.models import Platform, ThemeConfig, TrendCollection, TrendReport
from trendreel.models.trends import ScoredTrendItem
from trendreel.providers.base import Analyzer, UsageLog
from trendreel.providers.llm.offline_analyzer import OfflineAnalyzer
from trendreel.providers.llm.trend_stats import hashtag_scores
from trendreel.providers.trends.bundled import BundledTrendSource

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _item(platform: str, ident: str, title: str, tags: list[str], **extra: Any) -> ScoredTrendItem:
    """A synthetic item posted 5 h ago; search trends get search volume instead of likes."""
    search = platform == "google_trends"
    likes = 0 if search else extra.pop("likes", 20_000)
    return ScoredTrendItem(
        platform=Platform(platform),
        external_id=ident,
        title=title,
        description=extra.pop("description", ""),
        hashtags=tags,
        views=extra.pop("views", 200_000 if search else 400_000),
        likes=likes,
        duration_seconds=None if search else extra.pop("duration_seconds", 30.0),
        posted_at=NOW - timedelta(hours=5),
        engagement_velocity_per_hour=likes / 5,
    )


def _collection(items: list[ScoredTrendItem]) -> TrendCollection:
    return TrendCollection(collected_at=NOW, items=items, sources=[])


def _config(theme: str = "gardening ideas", **overrides: Any) -> ThemeConfig:
    return ThemeConfig.model_validate({"config": {"theme": theme, **overrides}})


def _bundled() -> TrendCollection:
    items = BundledTrendSource().collect(NOW, 50, UsageLog())
    scored = [
        ScoredTrendItem(**i.model_dump(), engagement_velocity_per_hour=i.engagement_velocity(NOW))
        for i in items
    ]
    return _collection(scored)


def _analyze(collection: TrendCollection, config: ThemeConfig) -> TrendReport:
    return ANALYZER.analyze(collection, config, NOW, UsageLog())


def _kite_group() -> list[ScoredTrendItem]:
    """Three platforms, one topic: solar kites."""
    return [
        _item("tiktok", "k1", "Solar kite lights up the beach", ["solarkite", "kitesurf"]),
        _item("youtube", "k2", "Testing a solar kite at night", ["solarkite", "kitesurf"]),
        _item("google_trends", "k3", "solar kite", [], description="Related: solar kite price"),
    ]


def _slime_group(size: int = 4) -> list[ScoredTrendItem]:
    """One platform only, more items: slime videos."""
    return [
        _item("tiktok", f"s{n}", f"Crunchy slime mixing {n}", ["slimeasmr", "slime"])
        for n in range(size)
    ]


def _bread_group(likes: int) -> list[ScoredTrendItem]:
    return [
        _item(
            "tiktok", "b1", "Sourdough starter in one day", ["sourdough", "breadtok"], likes=likes
        ),
        _item(
            "youtube", "b2", "Sourdough starter mistakes", ["sourdough", "breadtok"], likes=likes
        ),
        _item("google_trends", "b3", "sourdough starter", [], description="Related: sourdough"),
    ]


def test_satisfies_the_analyzer_protocol() -> None:
    analyzer: Analyzer = OfflineAnalyzer()
    assert analyzer.name == "offline"


def test_same_input_gives_the_same_report() -> None:
    collection, config = _bundled(), load_default_config()
    assert _analyze(collection, config).model_dump() == _analyze(collection, config).model_dump()


def test_cross_platform_cluster_beats_a_bigger_single_platform_group() -> None:
    report = _analyze(_collection(_slime_group() + _kite_group()), _config())
    chosen = report.chosen_topic
    assert "solar kite" in chosen.label
    assert set(chosen.supporting_items) == {"tiktok:k1", "youtube:k2", "google_trends:k3"}
    by_label = {c.label: c for c in report.clusters}
    assert len(by_label[chosen.label].platforms) == 3
    slime = next(c for c in report.clusters if "tiktok:s0" in c.item_ids)
    assert len(slime.item_ids) == 4
    assert slime.score < by_label[chosen.label].score == 1.0


def test_theme_overlap_changes_the_chosen_topic() -> None:
    items = _kite_group() + _bread_group(likes=30_000)
    neutral = _analyze(_collection(items), _config("gardening ideas"))
    kites = _analyze(_collection(items), _config("kite surfing gear"))
    bread = _analyze(_collection(items), _config("sourdough baking at home"))
    assert "sourdough" in neutral.chosen_topic.label
    assert "kite" in kites.chosen_topic.label
    assert "sourdough" in bread.chosen_topic.label
    assert "kite" in kites.chosen_topic.reason


def test_theme_changes_the_topic_on_the_bundled_data() -> None:
    collection = _bundled()
    default = _analyze(collection, load_default_config())
    football = _analyze(collection, apply_overrides(load_default_config(), theme="football"))
    assert default.chosen_topic.label != football.chosen_topic.label
    assert "championsleague" in football.chosen_topic.hashtags


def test_reason_and_supporting_items_reference_real_items() -> None:
    collection = _bundled()
    report = _analyze(collection, load_default_config())
    by_id = {f"{i.platform.value}:{i.external_id}": i for i in collection.items}
    chosen = report.chosen_topic
    assert 1 <= len(chosen.supporting_items) <= 5
    assert [by_id[i].title for i in chosen.supporting_items] == chosen.supporting_titles
    velocities = [by_id[i].engagement_velocity_per_hour for i in chosen.supporting_items]
    assert velocities == sorted(velocities, reverse=True)
    cluster = next(c for c in report.clusters if c.label == chosen.label)
    assert set(chosen.supporting_items) <= set(cluster.item_ids)
    assert chosen.label in chosen.reason
    assert chosen.supporting_titles[0] in chosen.reason
    assert "theme" in chosen.reason


def test_clusters_are_well_formed() -> None:
    collection = _bundled()
    report = _analyze(collection, load_default_config())
    ids = {f"{i.platform.value}:{i.external_id}" for i in collection.items}
    assert report.clusters[0].score == 1.0
    scores = [c.score for c in report.clusters]
    assert scores == sorted(scores, reverse=True)
    for cluster in report.clusters:
        assert len(cluster.item_ids) >= 2
        assert set(cluster.item_ids) <= ids
        assert 2 <= len(cluster.label.split()) <= 3
        assert cluster.keywords
    multi = [c for c in report.clusters if len(c.platforms) >= 2]
    assert len(multi) >= 5


def test_keywords_hashtags_and_engagement() -> None:
    collection = _bundled()
    report = _analyze(collection, load_default_config())
    terms = [k.term for k in report.top_keywords]
    assert len(terms) == 15
    assert {"glasses", "battery", "cheese"} <= set(terms)
    assert not {"the", "fyp", "shorts", "video"} & set(terms)
    assert report.top_hashtags == hashtag_scores(collection.items)
    assert report.engagement.item_count == len(collection.items)


def test_recommended_format_respects_the_config() -> None:
    collection = _bundled()
    for seconds in (15, 30, 60):
        config = apply_overrides(load_default_config(), video_duration_seconds=seconds)
        fmt = _analyze(collection, config).recommended_format
        assert abs(fmt.duration_seconds - seconds) <= 0.15 * seconds + 0.5
        assert fmt.hook_style in {"question", "bold claim", "stat shock", "countdown"}
    calm = apply_overrides(load_default_config(), style="calm")
    calm_format = _analyze(collection, calm).recommended_format
    assert calm_format.hook_style != "stat shock"
    assert calm_format.pacing.startswith(("steady", "brisk"))


def test_records_usage() -> None:
    usage = UsageLog()
    collection = _bundled()
    ANALYZER.analyze(collection, load_default_config(), NOW, usage)
    embed, analyze = usage.calls
    assert (analyze.provider, analyze.unit_name) == ("offline", "items_analyzed")
    assert analyze.units == len(collection.items)
    # the theme and every trend, embedded once, on this machine
    assert (embed.provider, embed.operation, embed.unit_name) == ("minilm", "embed", "texts")
    assert embed.units == len(collection.items) + 1
    assert usage.total_cost() == 0


def test_empty_collection_raises_no_trends() -> None:
    with pytest.raises(NoTrendsError, match="empty"):
        _analyze(_collection([]), load_default_config())


def test_unrelated_items_still_give_a_topic() -> None:
    items = [
        _item("tiktok", "a", "Grandma rates my outfit", ["ootd"], likes=50_000),
        _item("youtube", "b", "Restoring a rusty motorbike", ["restoration"]),
    ]
    report = _analyze(_collection(items), _config())
    assert report.chosen_topic.supporting_items == ["tiktok:a"]
    assert report.chosen_topic.label
