"""The script check: a count in the hook is delivered point by point; every scene says what it
shows. Failures name the scene and the broken promise."""

from __future__ import annotations

import pytest

from trendreel.models import Scene, Script
from trendreel.models.content import VisualIntent
from trendreel.quality import check_script
from trendreel.quality.promises import count_promises, is_point

SceneSpec = tuple[VisualIntent, str, str]  # intent, narration, on-screen text
CTA: SceneSpec = ("cta", "Follow for more trends like this.", "")


def _script(*scenes: SceneSpec, hook: str = "Phone battery", cta: str = "Follow") -> Script:
    return Script(
        title="Phone battery",
        hook=hook,
        scenes=[
            Scene(index=n, visual_intent=intent, narration=narration, on_screen_text=screen)
            for n, (intent, narration, screen) in enumerate(scenes)
        ],
        call_to_action=cta,
        description="",
        hashtags=[],
        target_seconds=30,
    )


def _problems(script: Script) -> list[str]:
    return [problem.message for problem in check_script(script).problems]


def test_a_kept_count_passes_and_is_reported() -> None:
    script = _script(
        ("hook", "Three tips for a phone battery that lasts.", ""),
        ("list", "First, turn down the screen brightness.", "Screen brightness"),
        ("explain", "Second, close nothing: closing apps costs battery.", "Closing apps"),
        ("stat", "Number three. Charge to 80 percent, not 100.", "80%, not 100%"),
        CTA,
        hook="3 tips for your battery",
    )
    report = check_script(script)
    assert report.passed, report.problems
    assert report.point_scenes == [1, 2, 3]
    assert [(p.scene_index, p.source, p.count, p.noun) for p in report.promises] == [
        (0, "hook", 3, "tips"),
        (0, "narration", 3, "tips"),
    ]


def test_a_word_count_the_script_does_not_deliver_fails_naming_scene_and_promise() -> None:
    script = _script(
        ("hook", "Here are three reasons phone battery is blowing up!", ""),
        ("stat", "Phone battery videos gain 204 thousand reactions an hour.", "204K reactions"),
        ("list", "The first wave of videos gets the most reach.", "First wave"),
        CTA,
    )
    assert _problems(script) == ["scene 0 promises 3 reasons, the script gives 1 (scene 2)"]
    report = check_script(script)
    assert not report.passed
    assert [p.rule for p in report.problems] == ["count_promise"]


def test_a_digit_count_on_the_screen_hook_is_a_promise_too() -> None:
    script = _script(
        ("hook", "Two things about phone battery.", ""),
        ("stat", "Phone battery videos are rising.", ""),
        ("explain", "It is on TikTok and YouTube.", ""),
        CTA,
        hook="2 things about Phone Battery",
    )
    assert _problems(script) == [
        "scene 0 promises 2 things, the script gives 0 (no scene is a numbered point or a "
        "'list' scene)"
    ]


def test_top_n_and_several_points() -> None:
    points: list[SceneSpec] = [("list", f"Tip {n}: turn off feature {n}.", "") for n in (1, 2)]
    script = _script(("hook", "Top 5 phone battery tricks, go.", ""), *points, CTA)
    assert _problems(script) == ["scene 0 promises 5 tricks, the script gives 2 (scenes 1, 2)"]
    bare = _script(("hook", "My phone battery top 5, right now.", ""), *points, CTA)
    assert _problems(bare) == ["scene 0 promises a top 5, the script gives 2 (scenes 1, 2)"]


def test_two_different_counts_in_the_hook_cannot_both_be_kept() -> None:
    script = _script(
        ("hook", "Three things you need to know about phone battery.", "3 things"),
        ("list", "First, dim the screen.", ""),
        ("list", "Second, skip the fast charger.", ""),
        CTA,
        hook="2 things about phone battery",
    )
    assert _problems(script) == [
        "scene 0 promises 3 things, the script gives 2 (scenes 1, 2)",
        "scene 0 shows the hook '2 things about phone battery' but its narration never says '2'",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Here are three reasons phone battery is blowing up!",
        "3 simple takeaways from the trend",
        "5 hidden iPhone settings that save your battery",
        "Top 10",
        "twelve mistakes everyone makes",
    ],
)
def test_promises(text: str) -> None:
    assert len(count_promises(text)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Two seconds decide whether a clip is worth it.",
        "Nine posts are riding this wave.",
        "204 thousand reactions an hour.",
        "One thing is clear.",
        "Across three platforms, this is no fluke.",
        "Try 3K tips",
        "Over 100 tips inside",
    ],
)
def test_not_promises(text: str) -> None:
    assert count_promises(text) == []


@pytest.mark.parametrize(
    ("narration", "screen"),
    [
        ("First, dim the screen.", ""),
        ("Secondly: skip the fast charger.", ""),
        ("And third tip, update the phone.", ""),
        ("Number four. Turn off the widgets.", ""),
        ("No. 5 is the big one.", ""),
        ("Turn off the widgets.", "#2 Widgets"),
        ("2. Widgets drain it.", ""),
        ("Reason number four is heat.", ""),
        ("Finally, keep it cool.", ""),
        ("Last but not least, keep it cool.", ""),
    ],
)
def test_numbered_scenes_are_points(narration: str, screen: str) -> None:
    assert is_point(Scene(index=1, narration=narration, visual_intent="explain",
                          on_screen_text=screen))  # fmt: skip


@pytest.mark.parametrize(
    ("intent", "narration"),
    [
        ("explain", "First wave of videos gets the reach."),
        ("explain", "Second to none, this trend."),
        ("explain", "No one saw it coming."),
        ("explain", "Number crunching says it is rising."),
        ("story", "5 hidden iPhone settings save your battery."),
        ("stat", "1.2 million views an hour."),
        ("hook", "First, a question."),
        ("cta", "Finally, follow for more."),
    ],
)
def test_other_scenes_are_not_points(intent: VisualIntent, narration: str) -> None:
    assert not is_point(Scene(index=1, narration=narration, visual_intent=intent))


def test_counts_outside_the_hook_promise_nothing() -> None:
    script = _script(
        ("hook", "Phone battery is blowing up.", ""),
        (
            "story",
            "Top clip: 5 hidden iPhone settings that save your battery.",
            "5 hidden settings",
        ),
        CTA,
    )
    assert check_script(script).passed


def test_screen_text_the_narration_never_says_fails_naming_scene_and_words() -> None:
    script = _script(
        ("hook", "Phone battery is blowing up.", ""),
        ("stat", "Phone battery videos are rising.", ""),
        ("explain", "It is on TikTok.", "TikTok"),
        ("list", "Your battery life doubled last year.", "Battery life doubles"),
        CTA,
    )
    assert _problems(script) == [
        "scene 3 shows 'Battery life doubles' but its narration never says 'doubles'"
    ]
    assert [p.rule for p in check_script(script).problems] == ["screen_text_spoken"]


def test_a_number_shown_must_be_said_with_the_same_value() -> None:
    def stat(narration: str) -> Script:
        scene: SceneSpec = ("stat", narration, "204K reactions an hour")
        return _script(("hook", "Phone battery.", ""), scene, CTA)

    assert check_script(stat("It pulls 204 thousand reactions every hour.")).passed
    assert _problems(stat("It pulls about 200 thousand reactions every hour.")) == [
        "scene 1 shows '204K reactions an hour' but its narration never says '204K'"
    ]
    assert _problems(stat("It pulls 204 reactions an hour.")) == [
        "scene 1 shows '204K reactions an hour' but its narration never says '204K'"
    ]


@pytest.mark.parametrize(
    ("screen", "narration"),
    [
        ("1.2M views", "It has 1.2 million views."),
        ("3 tips", "Here are three tips."),
        ("2,000 LIKES", "Two thousand likes already."),
        ("Phone Batteries", "Every phone battery drains."),
        ("Google + TikTok & YouTube", "It is on Google search, TikTok and YouTube."),
        ("Creators' own spin 🔥", "Creators put their own spin on it."),
    ],
)
def test_spoken_forms_plurals_case_and_symbols_match(screen: str, narration: str) -> None:
    script = _script(("hook", "Phone battery.", ""), ("stat", narration, screen), CTA)
    assert check_script(script).passed, _problems(script)


def test_the_hook_and_call_to_action_cards_are_said_in_their_scenes() -> None:
    script = _script(
        ("hook", "The phone battery trend is blowing up right now!", ""),
        ("stat", "Phone battery videos are rising.", ""),
        ("cta", "Follow for more.", ""),
        hook="Phone Battery is everywhere",
        cta="Link in bio",
    )
    assert _problems(script) == [
        "scene 0 shows the hook 'Phone Battery is everywhere' but its narration never says "
        "'everywhere'",
        "scene 2 shows the call to action 'Link in bio' but its narration never says 'Link', 'bio'",
    ]
