"""OfflineScriptWriter: narration planned to the word budget, in the config's voice."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from trendreel.config import apply_overrides, load_default_config
from trendreel.models import Script, ThemeConfig, TrendCollection, TrendReport
from trendreel.models.trends import ScoredTrendItem
from trendreel.providers.base import NARRATION_WPM, ScriptWriter, UsageLog
from trendreel.providers.llm.offline_analyzer import OfflineAnalyzer
from trendreel.providers.llm.offline_writer import OfflineScriptWriter, body_scene_count
from trendreel.providers.trends.bundled import BundledTrendSource

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
INTENTS = {"explain", "list", "stat", "contrast", "story"}
EMOJI_OR_SYMBOL = re.compile(r"[^\x00-\x7f]|[#@/\\<>{}\[\]*_~|^%$€£&=+]")


@cache
def _collection() -> TrendCollection:
    items = BundledTrendSource().collect(NOW, 50, UsageLog())
    scored = [
        ScoredTrendItem(**i.model_dump(), engagement_velocity_per_hour=i.engagement_velocity(NOW))
        for i in items
    ]
    return TrendCollection(collected_at=NOW, items=scored, sources=[])


def _report(config: ThemeConfig) -> TrendReport:
    return OfflineAnalyzer().analyze(_collection(), config, NOW, UsageLog())


def _write(seconds: int = 30, config: ThemeConfig | None = None, **overrides: Any) -> Script:
    config = config or load_default_config()
    if overrides:
        config = apply_overrides(config, **overrides)
    return OfflineScriptWriter().write(_report(config), config, seconds, UsageLog())


def _budget(seconds: int) -> float:
    return seconds * NARRATION_WPM / 60


def test_satisfies_the_script_writer_protocol() -> None:
    writer: ScriptWriter = OfflineScriptWriter()
    assert writer.name == "offline"


@pytest.mark.parametrize("seconds", [15, 30, 60, 120])
def test_word_count_lands_within_ten_percent_of_the_budget(seconds: int) -> None:
    script = _write(seconds)
    assert abs(script.word_count() - _budget(seconds)) <= 0.1 * _budget(seconds)
    assert script.target_seconds == seconds
    assert script.writer == "offline"


@pytest.mark.parametrize("style", ["energetic", "calm", "informative", "playful", "dramatic"])
@pytest.mark.parametrize("seconds", [15, 45, 90])
def test_every_style_fits_the_budget(style: str, seconds: int) -> None:
    script = _write(seconds, style=style)
    assert abs(script.word_count() - _budget(seconds)) <= 0.1 * _budget(seconds)


@pytest.mark.parametrize("seconds", [15, 30, 60, 120])
def test_scenes_open_with_a_hook_and_close_with_a_cta(seconds: int) -> None:
    scenes = _write(seconds).scenes
    assert scenes[0].visual_intent == "hook"
    assert scenes[-1].visual_intent == "cta"
    assert {s.visual_intent for s in scenes[1:-1]} <= INTENTS
    assert 2 <= len(scenes) - 2 <= 5
    assert [s.index for s in scenes] == list(range(len(scenes)))


def test_body_scene_count_scales_with_duration() -> None:
    counts = [len(_write(seconds).scenes) - 2 for seconds in (15, 30, 60)]
    assert counts[0] < counts[1] < counts[2]
    assert [body_scene_count(s) for s in (5, 15, 30, 36, 60, 180)] == [2, 2, 3, 4, 5, 5]


def test_all_talking_points_are_used_in_order_at_sixty_seconds() -> None:
    config = load_default_config()
    narration = _write(60, config).narration_text().lower()
    positions = [narration.find(point.lower().rstrip(".")) for point in config.talking_points()]
    assert -1 not in positions
    assert positions == sorted(positions)


def test_narration_is_speakable() -> None:
    for seconds in (15, 30, 120):
        for scene in _write(seconds).scenes:
            text = scene.narration
            assert not EMOJI_OR_SYMBOL.search(text), text
            assert "http" not in text
            assert "www" not in text
            assert not re.search(r"\d,\d|\d\.\d\d", text), text
            assert text[-1] in ".!?"
            assert text[0].isupper()


def test_narration_states_real_facts() -> None:
    config = load_default_config()
    report = _report(config)
    narration = _write(30, config).narration_text().lower()
    assert report.chosen_topic.label.lower() in narration
    assert "thousand" in narration or "million" in narration
    assert "creators and small teams" in narration


def test_short_texts_fit_their_limits() -> None:
    for seconds in (15, 60):
        script = _write(seconds)
        assert len(script.title) <= 60
        assert len(script.hook) <= 40
        assert len(script.call_to_action) <= 40
        assert 1 <= len(script.hashtags) <= 8
        assert len(set(script.hashtags)) == len(script.hashtags)
        assert all(re.fullmatch(r"[a-z0-9]+", tag) for tag in script.hashtags)
        for scene in script.scenes:
            assert 0 < len(scene.on_screen_text) <= 32
            assert 2 <= len(scene.keywords) <= 4


def test_description_and_hashtags_use_the_report_and_theme() -> None:
    config = load_default_config()
    report = _report(config)
    script = _write(30, config)
    assert report.chosen_topic.supporting_titles[0] in script.description
    assert report.chosen_topic.hashtags[0] in script.hashtags
    assert "trendreel" in script.hashtags
    assert script.call_to_action == config.config.tagline


def test_style_changes_the_wording() -> None:
    texts = {style: _write(30, style=style).narration_text() for style in ("energetic", "calm")}
    texts["informative"] = _write(30, style="informative").narration_text()
    assert len(set(texts.values())) == 3


def test_same_input_gives_the_same_script() -> None:
    assert _write(45).model_dump() == _write(45).model_dump()


def test_records_usage_in_words() -> None:
    config = load_default_config()
    usage = UsageLog()
    script = OfflineScriptWriter().write(_report(config), config, 30, usage)
    assert len(usage.calls) == 1
    call = usage.calls[0]
    assert (call.provider, call.unit_name, call.units) == ("offline", "words", script.word_count())
    assert usage.total_cost() == 0


def test_minimal_config_without_product_audience_or_points() -> None:
    config = ThemeConfig.model_validate({"config": {"theme": "healthy recipes", "style": "calm"}})
    for seconds in (15, 60):
        script = _write(seconds, config)
        assert abs(script.word_count() - _budget(seconds)) <= 0.1 * _budget(seconds)
        assert script.scenes[-1].narration
        assert "healthyrecipes" in script.hashtags


def test_long_talking_points_are_trimmed_by_whole_sentences() -> None:
    long_point = "This talking point is deliberately very long " * 4 + "and it ends here"
    config = ThemeConfig.model_validate(
        {
            "config": {"theme": "everyday tech tips"},
            "content_references": [
                {"ref_id": "x", "title": "Long", "talking_points": [long_point] * 3}
            ],
        }
    )
    script = _write(15, config)
    assert abs(script.word_count() - _budget(15)) <= 0.1 * _budget(15)
    for scene in script.scenes:
        assert scene.narration[-1] in ".!?"


def test_works_with_a_report_that_has_no_clusters() -> None:
    config = load_default_config()
    report = _report(config)
    chosen = report.chosen_topic.model_copy(update={"label": "AI pins", "supporting_items": []})
    bare = report.model_copy(update={"clusters": [], "chosen_topic": chosen})
    script = OfflineScriptWriter().write(bare, config, 30, UsageLog())
    assert "AI pins" in script.narration_text()
    assert abs(script.word_count() - _budget(30)) <= 0.1 * _budget(30)
