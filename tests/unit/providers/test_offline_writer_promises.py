"""OfflineScriptWriter keeps its promises: at every supported length, in every style, for every
theme and hook style its scripts pass the review's script check."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache

import pytest

from trendreel.config import apply_overrides, load_default_config
from trendreel.models import Script, ThemeConfig, TrendCollection, TrendReport
from trendreel.models.trends import ScoredTrendItem
from trendreel.providers.base import UsageLog
from trendreel.providers.llm.offline_analyzer import OfflineAnalyzer
from trendreel.providers.llm.offline_writer import OfflineScriptWriter
from trendreel.providers.trends.bundled import BundledTrendSource
from trendreel.quality import check_script

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
THEMES = ("everyday tech tips", "healthy recipes", "budget travel", "football highlights")
STYLES = ("energetic", "calm", "informative", "playful", "dramatic")
SECONDS = (5, 8, 15, 30, 60, 120, 180)
HOOK_STYLES = ("countdown", "question", "bold claim", "stat shock")
ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth")
NUMBERS = ("one", "two", "three", "four", "five")


@cache
def _collection() -> TrendCollection:
    items = BundledTrendSource().collect(NOW, 50, UsageLog())
    scored = [
        ScoredTrendItem(**i.model_dump(), engagement_velocity_per_hour=i.engagement_velocity(NOW))
        for i in items
    ]
    return TrendCollection(collected_at=NOW, items=scored, sources=[])


def _config(theme: str, style: str) -> ThemeConfig:
    return apply_overrides(load_default_config(), theme=theme, style=style)


@cache
def _analysis(theme: str, style: str) -> TrendReport:
    return OfflineAnalyzer().analyze(_collection(), _config(theme, style), NOW, UsageLog())


def _report(theme: str, style: str, hook_style: str | None = None) -> TrendReport:
    report = _analysis(theme, style)
    if hook_style is None:
        return report
    fmt = report.recommended_format.model_copy(update={"hook_style": hook_style})
    return report.model_copy(update={"recommended_format": fmt})


def _write(
    seconds: int, style: str, theme: str = THEMES[0], hook_style: str | None = None
) -> Script:
    report = _report(theme, style, hook_style)
    return OfflineScriptWriter().write(report, _config(theme, style), seconds, UsageLog())


def _assert_passes(script: Script) -> None:
    report = check_script(script)
    assert report.passed, [p.message for p in report.problems]


@pytest.mark.parametrize("seconds", SECONDS)
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("theme", THEMES)
def test_every_theme_style_and_length_passes_the_check(
    theme: str, style: str, seconds: int
) -> None:
    _assert_passes(_write(seconds, style, theme))


@pytest.mark.parametrize("seconds", SECONDS)
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("hook_style", HOOK_STYLES)
def test_every_hook_style_passes_the_check(hook_style: str, style: str, seconds: int) -> None:
    _assert_passes(_write(seconds, style, hook_style=hook_style))


@pytest.mark.parametrize("seconds", [15, 30, 60, 120, 180])
@pytest.mark.parametrize("style", STYLES)
def test_a_countdown_counts_its_body_scenes_and_numbers_each(style: str, seconds: int) -> None:
    script = _write(seconds, style, hook_style="countdown")
    report = check_script(script)
    body = script.scenes[1:-1]

    assert report.promises, script.hook
    assert {p.count for p in report.promises} == {len(body)}
    assert {p.source for p in report.promises} == {"hook", "narration", "on_screen_text"}
    assert report.point_scenes == [scene.index for scene in body]
    numbered = style in ("energetic", "playful")
    for n, scene in enumerate(body):
        lead = f"Number {NUMBERS[n]}." if numbered else f"{ORDINALS[n]},"
        assert scene.narration.startswith(lead), scene.narration


@pytest.mark.parametrize("seconds", [5, 8])
@pytest.mark.parametrize("style", STYLES)
def test_videos_too_short_for_a_list_promise_no_count(style: str, seconds: int) -> None:
    script = _write(seconds, style, hook_style="countdown")
    assert check_script(script).promises == []
    assert not re.search(r"\d", script.hook)
    assert len(script.scenes) <= 3


def test_the_twenty_second_default_keeps_its_promise() -> None:
    """The reported bug: "2 things about Phone Battery", then no two things."""
    script = _write(16, "energetic")  # a 20 s video's narration
    report = check_script(script)
    assert script.hook == "2 things about Phone Battery"
    assert {p.count for p in report.promises} == {2}
    assert report.point_scenes == [1, 2]
    assert script.scenes[1].narration.startswith("Number one.")
    assert script.scenes[2].narration.startswith("Number two.")


def test_the_stat_scene_says_the_number_it_shows() -> None:
    stat = next(s for s in _write(30, "calm").scenes if s.visual_intent == "stat")
    assert stat.on_screen_text == "204K reactions an hour"
    assert "204 thousand reactions" in stat.narration


@pytest.mark.parametrize("label", ["top 10 phone tricks", "5 AI tools"])
@pytest.mark.parametrize("hook_style", HOOK_STYLES)
def test_a_topic_naming_a_count_is_not_promised(label: str, hook_style: str) -> None:
    report = _report(THEMES[0], "energetic", hook_style)
    chosen = report.chosen_topic.model_copy(update={"label": label, "supporting_items": []})
    bare = report.model_copy(update={"clusters": [], "chosen_topic": chosen})
    script = OfflineScriptWriter().write(bare, load_default_config(), 30, UsageLog())
    _assert_passes(script)
    assert label not in script.scenes[0].narration.lower()
