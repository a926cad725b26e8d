"""The table renderer on its own: alignment, cutting to a width, colour, ages, odd cells."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from trendreel.cli_tables import Column, age, display_width, parse_time, render, wants_colour
from trendreel.cli_videos import duration, publications

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
COLUMNS = (
    Column("ID"),
    Column("STATUS", colours={"failed": "31"}),
    Column("THEME", shrinkable=True),
    Column("N", align="right"),
)
ROWS = [["job-1", "failed", "a long theme about phones", "7"], ["job-22", "ok", "short", "100"]]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_left_and_right_alignment() -> None:
    assert render(COLUMNS, ROWS, width=200) == [
        "ID      STATUS  THEME                        N",
        "job-1   failed  a long theme about phones    7",
        "job-22  ok      short                      100",
    ]


def test_shrinkable_columns_are_cut_with_an_ellipsis_to_fit() -> None:
    lines = render(COLUMNS, ROWS, width=30)

    assert lines == [
        "ID      STATUS  THEME        N",
        "job-1   failed  a long t…    7",
        "job-22  ok      short      100",
    ]
    assert max(len(line) for line in lines) <= 30


def test_the_widest_shrinkable_column_gives_way_first() -> None:
    columns = (Column("A", shrinkable=True), Column("B", shrinkable=True))

    lines = render(columns, [["x" * 20, "y" * 6]], width=20)

    assert lines == ["A" + " " * 13 + "B", "x" * 11 + "…  yyyyyy"]


def test_columns_that_may_not_shrink_run_past_a_tiny_terminal() -> None:
    lines = render(COLUMNS, ROWS, width=10)

    assert lines == [
        "ID      STATUS  TH…    N",
        "job-1   failed  a …    7",  # cut as far as it goes, the ellipsis kept
        "job-22  ok      sh…  100",
    ]


def test_wide_characters_take_two_cells() -> None:
    columns = (Column("THEME", shrinkable=True), Column("AGE", align="right"))
    rows = [["東京ラーメン巡り", "3m"], ["ramen", "2h"]]

    lines = render(columns, rows, width=15)

    assert [display_width(line) for line in lines] == [15, 15, 15]
    assert lines[1] == "東京ラー…    3m"
    assert lines[2] == "ramen" + " " * 8 + "2h"


def test_colour_paints_the_text_and_keeps_the_alignment() -> None:
    plain = render(COLUMNS, ROWS, width=200)
    painted = render(COLUMNS, ROWS, width=200, colour=True)

    assert "\x1b[31mfailed\x1b[0m" in painted[1]
    assert ANSI.search(painted[0]) is None  # headers plain
    assert ANSI.search(painted[2]) is None  # "ok" has no colour
    assert [ANSI.sub("", line) for line in painted] == plain


def test_control_characters_are_blanked() -> None:
    lines = render((Column("THEME"),), [["red\x1b[31m\ttab\nline"]], width=80)

    assert lines[1] == "red [31m tab line"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_for_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert wants_colour(_Terminal())
    assert not wants_colour(io.StringIO())
    monkeypatch.setenv("TERM", "dumb")
    assert not wants_colour(_Terminal())
    monkeypatch.delenv("TERM")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(_Terminal())


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0s"), (59, "59s"), (60, "1m"), (3 * 60 + 59, "3m"), (3600, "1h"),
        (2 * 3600 + 59 * 60, "2h"), (47 * 3600, "1d"), (5 * 86400, "5d"),
        (400 * 86400, "1y"), (-30, "0s"),
    ],
)  # fmt: skip
def test_ages_in_the_largest_whole_unit(seconds: int, shown: str) -> None:
    assert age(NOW - timedelta(seconds=seconds), NOW) == shown


def test_timestamps_are_read_aware_and_garbage_is_no_age() -> None:
    assert parse_time("2025-03-14T11:57:00Z") == NOW - timedelta(minutes=3)
    assert parse_time("2025-03-14T13:57:00+02:00") == NOW - timedelta(minutes=3)
    assert parse_time("2025-03-14T11:57:00") == NOW - timedelta(minutes=3)  # the api writes UTC
    assert parse_time("yesterday") is None
    assert parse_time(1_741_953_600) is None
    assert age(parse_time(None), NOW) == "-"


def test_video_cells_read_both_shapes() -> None:
    assert duration(None) == "-"
    assert duration(True) == "-"
    assert duration(9.4) == "9s"
    assert duration(180) == "3m00s"
    assert publications(None) == "-"
    assert publications([]) == "-"
    # The job document keys publications by platform: a dict of them reads the same.
    assert publications({"youtube": {"platform": "youtube", "status": "failed"}}) == (
        "youtube:failed"
    )
    assert publications([{"platform": "tiktok"}, "junk"]) == "tiktok:-"
