"""The channel's own results in trend analysis: a topic like one whose video did well scores
higher and the why says so; results never pull a video off its theme, and never override the
repeat check."""

from __future__ import annotations

from tests.unit.providers.test_topic_repeats import ITEMS, POLICY, THEME, report, used
from trendreel.models.trends import UsedTopic, VideoResult
from trendreel.providers.llm.channel_results import favour_results, successes
from trendreel.providers.llm.topic_repeats import avoid_repeats


def with_views(topic: UsedTopic, views: int) -> UsedTopic:
    result = VideoResult(platform="youtube", checkpoint="24h", views=views, likes=1, comments=0)
    return topic.model_copy(update={"result": result})


def history(glasses_views: int, other_views: int = 1000, days_ago: float = 12) -> list[UsedTopic]:
    return [
        with_views(used("smart glasses", ["b1"], 400, days_ago, "job-glasses"), glasses_views),
        with_views(used("desk setup", ["zz"], 100, 13, "job-desk"), other_views),
        with_views(used("cable tidy", ["yy"], 100, 14, "job-cables"), other_views),
    ]


def test_a_topic_like_one_that_did_well_is_preferred_and_the_why_says_so() -> None:
    favoured = favour_results(report(), THEME, ITEMS, history(glasses_views=5000))

    assert favoured.chosen_topic.label == "smart glasses"
    assert "job-glasses" in favoured.chosen_topic.reason
    assert "5,000 views, 5.0x the theme's median of 1,000" in favoured.chosen_topic.reason


def test_ordinary_results_change_nothing() -> None:
    proposed = report()
    assert favour_results(proposed, THEME, ITEMS, history(glasses_views=1200)) == proposed
    assert successes(history(glasses_views=1200)) == []


def test_one_video_is_nothing_to_compare_with() -> None:
    only = [with_views(used("smart glasses", ["b1"], 400, 12, "job-glasses"), 9000)]
    assert favour_results(report(), THEME, ITEMS, only) == report()


def test_results_never_pull_a_video_off_its_theme() -> None:
    final = with_views(used("football final", ["c1"], 800, 12, "job-final"), 50_000)
    past = [final, *history(glasses_views=1000)[1:], *history(glasses_views=1000)[1:]]
    assert favour_results(report(), THEME, ITEMS, past).chosen_topic.label == "phone battery"


def test_a_success_used_within_the_repeat_window_is_still_not_repeated() -> None:
    recent = history(glasses_views=5000, days_ago=2)
    favoured = favour_results(report(), THEME, ITEMS, recent)
    checked, skipped = avoid_repeats(favoured, THEME, ITEMS, recent, POLICY)

    assert favoured.chosen_topic.label == "smart glasses"
    assert checked.chosen_topic.label != "smart glasses"
    assert [use.label for use in skipped] == ["smart glasses"]
