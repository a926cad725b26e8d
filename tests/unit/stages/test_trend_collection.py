"""Stage 1: merging, de-duplicating and scoring items; per-source failures; output key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.stages.fakes import (
    JOB_ID,
    NOW,
    FakeTrendSource,
    make_ctx,
    make_item,
    make_job,
    providers,
)
from trendreel.errors import (
    ConfigError,
    NoTrendsError,
    ProviderAuthError,
    ProviderError,
    ProviderNotConfiguredError,
    ProviderUnavailableError,
    StageError,
)
from trendreel.models import Platform, Stage, TrendCollection
from trendreel.settings import Settings
from trendreel.stages import trend_collection
from trendreel.stages.common import execute
from trendreel.stages.context import StageContext, get_model

TRENDS_KEY = f"jobs/{JOB_ID}/trend_collection/trends.json"
STAGE_PREFIX = f"jobs/{JOB_ID}/trend_collection"


def _run(ctx: StageContext) -> TrendCollection:
    execute(Stage.TREND_COLLECTION, trend_collection.run, make_job(), ctx)
    return get_model(ctx.blobs, TRENDS_KEY, TrendCollection)


def test_output_key_is_deterministic() -> None:
    assert trend_collection.OUTPUT == "trends.json"
    expected = f"jobs/{JOB_ID}/{Stage.TREND_COLLECTION.value}/{trend_collection.OUTPUT}"
    assert expected == TRENDS_KEY


def test_items_from_several_sources_are_merged_deduplicated_and_sorted(tmp_path: Path) -> None:
    youtube = FakeTrendSource(
        "youtube",
        [
            make_item("a1", hours_ago=2, likes=100, comments=20, shares=30),  # 150 / 2 h = 75
            make_item("a2", hours_ago=10, likes=50),  # 5 / h
        ],
    )
    tiktok = FakeTrendSource(
        "tiktok",
        [
            make_item("t1", platform=Platform.TIKTOK, hours_ago=1 / 60, likes=10),  # floor: 100
            make_item("a1", platform=Platform.TIKTOK, hours_ago=4, likes=40),  # other platform
        ],
    )
    again = FakeTrendSource(
        "youtube-mirror", [make_item("a1", hours_ago=2, likes=1, title="duplicate copy")]
    )
    collection = _run(make_ctx(tmp_path, providers([youtube, tiktok, again])))

    keys = [(i.platform.value, i.external_id) for i in collection.items]
    assert sorted(keys) == sorted(
        [("youtube", "a1"), ("youtube", "a2"), ("tiktok", "t1"), ("tiktok", "a1")]
    )
    assert len(set(keys)) == len(keys)
    velocity = {
        (i.platform.value, i.external_id): i.engagement_velocity_per_hour for i in collection.items
    }
    assert velocity[("youtube", "a1")] == pytest.approx(75.0)  # (100 + 20 + 30) / 2 h
    assert velocity[("tiktok", "t1")] == pytest.approx(100.0)  # 10 / 0.1 h floor (1 min old)
    assert velocity[("tiktok", "a1")] == pytest.approx(10.0)
    assert velocity[("youtube", "a2")] == pytest.approx(5.0)
    ordered = [i.engagement_velocity_per_hour for i in collection.items]
    assert ordered == sorted(ordered, reverse=True)
    assert keys[0] == ("tiktok", "t1")
    assert collection.collected_at == NOW
    assert [(s.source, s.ok, s.item_count) for s in collection.sources] == [
        ("youtube", True, 2),
        ("tiktok", True, 2),
        ("youtube-mirror", True, 1),
    ]


def test_each_source_is_asked_for_at_most_trends_per_source_items(tmp_path: Path) -> None:
    source = FakeTrendSource("many", [make_item(f"m{n}", likes=n) for n in range(5)])
    settings = Settings(home=tmp_path / "home", trends_per_source=2)
    collection = _run(make_ctx(tmp_path, providers([source]), settings))
    assert len(collection.items) == 2


def test_a_failing_source_is_reported_and_the_others_still_count(tmp_path: Path) -> None:
    good = FakeTrendSource("bundled", [make_item("g1", likes=10), make_item("g2", likes=20)])
    bad = FakeTrendSource("youtube", error=ProviderAuthError("youtube", "API key rejected"))
    ctx = make_ctx(tmp_path, providers([bad, good]))
    result = execute(Stage.TREND_COLLECTION, trend_collection.run, make_job(), ctx)
    collection = get_model(ctx.blobs, TRENDS_KEY, TrendCollection)

    assert {i.external_id for i in collection.items} == {"g1", "g2"}
    failed, ok = collection.sources
    assert (failed.source, failed.ok, failed.item_count) == ("youtube", False, 0)
    assert failed.error_code == "provider_auth_failed"
    assert failed.error is not None
    assert "youtube: API key rejected" in failed.error
    assert failed.retryable is False
    assert (ok.source, ok.ok, ok.item_count, ok.error_code) == ("bundled", True, 2, None)
    assert result.summary["sources"] == {"youtube": "failed: provider_auth_failed", "bundled": 2}
    assert result.outputs == {"trends": TRENDS_KEY}


@pytest.mark.parametrize(
    ("errors", "retryable"),
    [
        (
            [
                ProviderUnavailableError("youtube", "HTTP 503 from the API"),
                ProviderAuthError("tiktok", "token expired"),
            ],
            True,
        ),
        (
            [
                ProviderAuthError("youtube", "HTTP 403 from the API"),
                ProviderNotConfiguredError("tiktok", "TRENDREEL_APIFY_TOKEN"),
            ],
            False,
        ),
    ],
)
def test_when_every_source_fails_the_stage_names_each_and_nothing_is_written(
    tmp_path: Path, errors: list[ProviderError], retryable: bool
) -> None:
    sources = [FakeTrendSource(e.provider, error=e) for e in errors]
    ctx = make_ctx(tmp_path, providers(sources))
    with pytest.raises(StageError) as caught:
        execute(Stage.TREND_COLLECTION, trend_collection.run, make_job(), ctx)
    err = caught.value
    assert isinstance(err.cause, NoTrendsError)
    assert err.stage == "trend_collection"
    assert err.code == "no_trends"
    assert err.retryable is retryable
    for error in errors:
        assert f"{error.provider}: {error.message}" in err.message
    assert not ctx.blobs.exists(TRENDS_KEY)
    assert ctx.blobs.list(f"jobs/{JOB_ID}") == []


def test_sources_that_return_nothing_fail_the_stage_not_retryable(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, providers([FakeTrendSource("quiet"), FakeTrendSource("silent")]))
    with pytest.raises(StageError) as caught:
        execute(Stage.TREND_COLLECTION, trend_collection.run, make_job(), ctx)
    assert caught.value.code == "no_trends"
    assert caught.value.retryable is False
    assert "quiet: returned no items" in caught.value.message
    assert "silent: returned no items" in caught.value.message
    assert not ctx.blobs.exists(TRENDS_KEY)


def test_a_config_error_from_a_source_is_reported_like_any_other(tmp_path: Path) -> None:
    bad = FakeTrendSource("file", error=ConfigError("bad trends file", field="trends_file"))
    good = FakeTrendSource("bundled", [make_item("g1", likes=1)])
    collection = _run(make_ctx(tmp_path, providers([bad, good])))
    assert collection.sources[0].error_code == "invalid_config"
    assert [i.external_id for i in collection.items] == ["g1"]


def test_a_second_run_overwrites_the_output_at_the_same_key(tmp_path: Path) -> None:
    source = FakeTrendSource("bundled", [make_item("first", likes=5)])
    ctx = make_ctx(tmp_path, providers([source]))
    first = _run(ctx)
    keys_after_first = ctx.blobs.list(STAGE_PREFIX)

    source.items = [make_item("second", likes=7), make_item("third", likes=9)]
    second = _run(ctx)

    assert [i.external_id for i in first.items] == ["first"]
    assert [i.external_id for i in second.items] == ["third", "second"]
    assert keys_after_first == [f"{STAGE_PREFIX}/result.json", TRENDS_KEY]
    assert ctx.blobs.list(STAGE_PREFIX) == keys_after_first
    assert ctx.blobs.list("jobs") == keys_after_first
