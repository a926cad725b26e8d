"""FileTrendSource: local JSON/CSV files and gs:// objects through an injected reader."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from trendreel.errors import ConfigError, ProviderNotConfiguredError
from trendreel.models import Platform
from trendreel.providers.base import TrendSource, UsageLog
from trendreel.providers.trends.file_source import FileTrendSource
from trendreel.settings import Settings

FIXTURES = Path(__file__).parents[2] / "fixtures" / "trends"
NOW = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)

ITEM: dict[str, Any] = {
    "platform": "tiktok",
    "external_id": "7469000000000000555",
    "title": "Three-ingredient cookies",
    "hashtags": ["#baking", "cookies"],
    "views": 90000,
    "likes": 8000,
    "comments": 150,
    "shares": 250,
    "posted_at": "2025-02-10T10:00:00Z",
}


def _source(location: str | None, **kwargs: Any) -> FileTrendSource:
    return FileTrendSource(Settings(trends_file=location), **kwargs)


def _write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_satisfies_the_trend_source_protocol(tmp_path: Path) -> None:
    source: TrendSource = _source(_write(tmp_path, "t.json", []))
    assert source.name == "file"


def test_reads_a_json_list(tmp_path: Path) -> None:
    aged = {**ITEM, "external_id": "2", "posted_hours_ago": 4}
    del aged["posted_at"]
    items = _source(_write(tmp_path, "t.json", [ITEM, aged])).collect(NOW, 10, UsageLog())

    first, second = items
    assert first.platform is Platform.TIKTOK
    assert first.source == "file"
    assert first.hashtags == ["baking", "cookies"]
    assert first.posted_at == datetime(2025, 2, 10, 10, 0, tzinfo=UTC)
    assert first.engagement_velocity(NOW) == pytest.approx((8000 + 150 + 250) / 2)
    assert second.posted_at == NOW - timedelta(hours=4)
    assert second.engagement_velocity(NOW) == pytest.approx((8000 + 150 + 250) / 4)


def test_reads_an_items_object_and_honours_the_limit(tmp_path: Path) -> None:
    rows = [{**ITEM, "external_id": str(n)} for n in range(5)]
    location = _write(tmp_path, "t.json", {"items": rows})

    items = _source(location).collect(NOW, 3, UsageLog())

    assert [i.external_id for i in items] == ["0", "1", "2"]


def test_reads_csv_with_separated_hashtags() -> None:
    source = _source(str(FIXTURES / "trends.csv"))

    desk, meals = source.collect(NOW, 10, UsageLog())

    assert desk.platform is Platform.TIKTOK
    assert desk.hashtags == ["desksetup", "wfh", "productivity", "tech"]
    assert (desk.views, desk.likes, desk.comments, desk.shares) == (250000, 30000, 900, 1200)
    assert desk.duration_seconds == 21.5
    assert desk.creator == "setup.sam"
    assert desk.engagement_velocity(NOW) == pytest.approx((30000 + 900 + 1200) / 3)
    # empty cells fall back to the defaults; posted_hours_ago is relative to now
    assert meals.platform is Platform.YOUTUBE
    assert meals.description == ""
    assert (meals.shares, meals.duration_seconds) == (0, None)
    assert meals.hashtags == ["mealprep", "budget"]
    assert meals.posted_at == NOW - timedelta(hours=6)
    assert {desk.source, meals.source} == {"file"}


def test_json_file_without_suffix_is_sniffed(tmp_path: Path) -> None:
    items = _source(_write(tmp_path, "trends", [ITEM])).collect(NOW, 10, UsageLog())
    assert [i.external_id for i in items] == [ITEM["external_id"]]


def test_an_invalid_csv_row_rejects_the_file_naming_row_and_field(tmp_path: Path) -> None:
    text = (
        "platform,external_id,title,views,posted_at\n"
        "youtube,a,Fine,10,2025-02-10T10:00:00Z\n"
        "youtube,b,Negative,-5,2025-02-10T10:00:00Z\n"
    )
    source = _source(_write(tmp_path, "t.csv", text))

    with pytest.raises(ConfigError, match=r"row 2, field views") as caught:
        source.collect(NOW, 10, UsageLog())
    assert caught.value.field == "views"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"posted_at": "2025-02-10T10:00:00"}, "posted_at"),  # naive time
        ({"posted_at": None}, "posted_at"),
        ({"platform": "myspace"}, "platform"),
        ({"title": ""}, "title"),
        ({"followers": 10}, "followers"),  # unknown fields are not silently dropped
        ({"posted_hours_ago": 2}, "posted_at"),  # both given
        ({"posted_hours_ago": "soon"}, "posted_hours_ago"),
        ({"posted_hours_ago": -1}, "posted_hours_ago"),
    ],
)
def test_an_invalid_json_item_names_row_and_field(
    tmp_path: Path, change: dict[str, Any], field: str
) -> None:
    rows = [ITEM, {**ITEM, **change}]
    source = _source(_write(tmp_path, "t.json", rows))

    with pytest.raises(ConfigError, match=f"row 2.*{field}") as caught:
        source.collect(NOW, 10, UsageLog())
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("t.json", "[{", "not valid JSON"),
        ("t.json", '{"trends": []}', "must be a list"),
        ("t.json", "[1]", "row 1 is not a JSON object"),
        ("t.csv", "platform,title\ntiktok,x,extra\n", "row 1 has more cells"),
    ],
)
def test_malformed_files_are_config_errors(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        _source(_write(tmp_path, name, content)).collect(NOW, 10, UsageLog())
    assert caught.value.field == "trends_file"


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.json")

    with pytest.raises(ConfigError, match="does not exist") as caught:
        _source(missing).collect(NOW, 10, UsageLog())
    assert caught.value.field == "trends_file"
    assert missing in str(caught.value)


def test_an_empty_file_has_no_items(tmp_path: Path) -> None:
    assert _source(_write(tmp_path, "t.csv", "")).collect(NOW, 10, UsageLog()) == []


@pytest.mark.parametrize("location", [None, ""])
def test_missing_setting_names_the_env_var(location: str | None) -> None:
    with pytest.raises(ProviderNotConfiguredError, match="TRENDREEL_TRENDS_FILE"):
        _source(location)


def test_reads_gcs_objects_through_the_injected_reader() -> None:
    calls: list[tuple[str, str]] = []

    def reader(bucket: str, name: str) -> bytes:
        calls.append((bucket, name))
        return (FIXTURES / "trends.csv").read_bytes()

    source = _source("gs://trend-inputs/daily/2025-02-10.csv", gcs_reader=reader)
    items = source.collect(NOW, 10, UsageLog())

    assert calls == [("trend-inputs", "daily/2025-02-10.csv")]
    assert [i.title for i in items] == ["Desk setup tour", "Cheap meal prep"]


def test_a_missing_gcs_object_is_a_config_error() -> None:
    def reader(bucket: str, name: str) -> bytes:
        raise FileNotFoundError(f"gs://{bucket}/{name}")

    source = _source("gs://trend-inputs/missing.json", gcs_reader=reader)
    with pytest.raises(ConfigError, match="does not exist") as caught:
        source.collect(NOW, 10, UsageLog())
    assert caught.value.field == "trends_file"


def test_a_gcs_uri_without_object_is_a_config_error() -> None:
    def reader(bucket: str, name: str) -> bytes:
        raise AssertionError("must not be called")

    with pytest.raises(ConfigError, match="gs://bucket/object"):
        _source("gs://trend-inputs", gcs_reader=reader).collect(NOW, 10, UsageLog())
