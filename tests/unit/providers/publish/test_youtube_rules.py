"""The pure rules behind the YouTube publisher: metadata limits and the quota reset clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.fakes.youtube_harness import request_for
from tests.support.fakes.youtube_videos import tags_length
from trendreel.errors import ConfigError
from trendreel.providers.publish.youtube_quota import next_midnight_by_us_rule, next_quota_reset
from trendreel.providers.publish.youtube_resource import (
    clean_description,
    clean_title,
    fit_tags,
    video_resource,
)

PACIFIC = ZoneInfo("America/Los_Angeles")


def test_titles_lose_angle_brackets_and_keep_to_100_characters() -> None:
    assert clean_title("  A <b>bold</b>   claim ") == "A bbold/b claim"
    long = clean_title("word " * 40)
    assert len(long) <= 100
    assert long.endswith("…")
    assert "  " not in long
    with pytest.raises(ConfigError):
        clean_title("<>")


def test_descriptions_keep_to_5000_bytes_without_splitting_a_character() -> None:
    cut = clean_description("é" * 3000)  # 6000 bytes
    assert len(cut.encode()) <= 5000
    assert set(cut) == {"é"}


def test_tags_fit_youtubes_500_character_count() -> None:
    tags = fit_tags(["#octopus", "Octopus", "deep sea"] + [f"tag {i:03d}" for i in range(100)])
    assert tags[:2] == ["octopus", "deep sea"]  # hash dropped, duplicate dropped
    assert tags_length(tags) <= 500
    assert tags_length(tags) + len("tag 999") + 3 > 500  # the next one would not have fit


def test_the_resource_discloses_synthetic_media_and_the_asked_privacy(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    resource = video_resource(request_for(video, made_for_kids=True))
    assert resource["status"] == {
        "privacyStatus": "unlisted",
        "selfDeclaredMadeForKids": True,
        "containsSyntheticMedia": True,
    }
    assert resource["snippet"]["categoryId"] == "22"


@pytest.mark.parametrize(
    "now",
    [
        datetime(2025, 3, 9, 9, 59, tzinfo=UTC),  # 01:59 PST, a minute before DST starts
        datetime(2025, 3, 9, 10, 0, tzinfo=UTC),  # 03:00 PDT
        datetime(2025, 11, 2, 8, 59, tzinfo=UTC),  # 01:59 PDT, before DST ends
        datetime(2025, 11, 2, 9, 0, tzinfo=UTC),  # 01:00 PST again
        datetime(2025, 12, 31, 23, 0, tzinfo=UTC),  # 15:00 PST on New Year's Eve
        datetime(2025, 6, 30, 7, 0, tzinfo=UTC),  # midnight PDT exactly
    ],
)
def test_the_quota_resets_at_the_next_pacific_midnight(now: datetime) -> None:
    reset = next_quota_reset(now)
    local = reset.astimezone(PACIFIC)
    assert (local.hour, local.minute) == (0, 0)
    assert now < reset <= now + timedelta(hours=24)
    assert next_midnight_by_us_rule(now) == reset  # the fallback without a tz database agrees
    assert next_midnight_by_us_rule(now).tzname() == reset.tzname()
