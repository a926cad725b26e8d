"""The script prompt, the answer schema Gemini fills in, and the checks the script must pass.

The prompt asks for the promises the review stage's script check (``trendreel.quality``)
enforces: a count in the hook is delivered scene by scene, and every word on screen is said.
The check itself runs in review, on this writer's scripts as on any other's.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, Field, ValidationError

from trendreel.errors import ProviderResponseError
from trendreel.models import Scene, Script, ThemeConfig, TrendReport
from trendreel.models.content import VisualIntent
from trendreel.providers.base import NARRATION_WPM
from trendreel.providers.llm.trend_stats import normalise_hashtag

PROVIDER = "gemini"
#: The narration may be this far (as a fraction) from the planned word count.
WORD_TOLERANCE = 0.25
SECONDS_PER_SCENE = 5.0

SYSTEM = (
    "You write scripts for vertical short videos (TikTok, YouTube Shorts, Reels): a strong hook, "
    "one idea per scene, spoken narration, and a clear call to action. Answer only with JSON "
    "matching the schema."
)


class SceneDraft(BaseModel):
    narration: str = Field(description="what the voiceover says in this scene")
    visual_intent: VisualIntent
    on_screen_text: str = Field(
        description="at most 6 words shown on screen, every one of them said in this narration"
    )
    keywords: list[str] = Field(description="2-4 concrete nouns to search stock footage with")


class ScriptDraft(BaseModel):
    title: str = Field(description="at most 100 characters")
    hook: str = Field(
        description="on-screen hook text shown over the first scene, at most 100 characters; "
        "the first scene's narration says its words"
    )
    scenes: list[SceneDraft]
    call_to_action: str = Field(
        description="shown over the last scene, at most 100 characters; its narration says it"
    )
    description: str = Field(description="post description, at most 300 characters")
    hashtags: list[str] = Field(description="3 to 8 hashtags without spaces")


PROMISES = (
    "Keep every promise the video makes. If the hook (on screen or spoken) counts something "
    "('3 tips', 'five reasons', 'Top 5'), deliver exactly that many points, one scene per "
    "point, each with visual_intent 'list' and narration that opens with its number ('First,', "
    "'Second,' or 'Number three.'); use 'list' for no other scene. If there is no room for that "
    "many points, put no number in the hook. Every word shown on screen is said in that "
    "scene's narration (a number may be shortened: '204K' for '204 thousand'): the hook text "
    "is shown during the first scene and the call_to_action during the last, so they say "
    "them too."
)


def target_words(target_seconds: int) -> float:
    return target_seconds * NARRATION_WPM / 60.0


def scene_range(target_seconds: int) -> tuple[int, int]:
    planned = max(3, round(target_seconds / SECONDS_PER_SCENE))
    return max(3, planned - 1), min(20, planned + 2)


def script_prompt(report: TrendReport, config: ThemeConfig, target_seconds: int) -> str:
    words = round(target_words(target_seconds))
    low, high = scene_range(target_seconds)
    topic = report.chosen_topic.model_dump(exclude={"supporting_items"})
    refs = [r.model_dump(exclude={"ref_id"}) for r in config.content_references]
    return (
        f"Theme config: {json.dumps(config.config.model_dump(exclude={'auto_post'}))}\n"
        f"Content references: {json.dumps(refs)}\n"
        f"Chosen trending topic: {json.dumps(topic)}\n"
        f"Recommended format: {json.dumps(report.recommended_format.model_dump())}\n\n"
        f"Write a script for a {target_seconds}-second video. The narration is read at "
        f"{NARRATION_WPM:.0f} words per minute, so all scenes' narration together must total "
        f"about {words} words (between {round(words * 0.9)} and {round(words * 1.1)}). "
        f"Use {low} to {high} scenes. The first scene's visual_intent must be 'hook' and the "
        "last scene's must be 'cta'; the last scene says the call to action. Tie the trend to "
        "the theme and use the talking points where they fit; do not invent facts.\n"
        f"{PROMISES}"
    )


def build_script(draft: ScriptDraft, target_seconds: int, writer: str) -> Script:
    try:
        script = Script(
            title=draft.title.strip(),
            hook=draft.hook.strip(),
            scenes=[
                Scene(
                    index=i,
                    narration=" ".join(s.narration.split()),
                    visual_intent=s.visual_intent,
                    on_screen_text=s.on_screen_text.strip(),
                    keywords=[k.strip() for k in s.keywords if k.strip()],
                )
                for i, s in enumerate(draft.scenes)
            ],
            call_to_action=draft.call_to_action.strip(),
            description=draft.description.strip(),
            hashtags=_hashtags(draft.hashtags),
            target_seconds=target_seconds,
            writer=writer,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ProviderResponseError(
            PROVIDER,
            f"script is not usable ({exc.error_count()} errors; first at {where}: {first['msg']})",
        ) from exc
    check_script(script)
    return script


def check_script(script: Script) -> None:
    """First scene is the hook, last is the call to action, length fits the target."""
    intents = [scene.visual_intent for scene in script.scenes]
    if intents[0] != "hook" or intents[-1] != "cta":
        raise ProviderResponseError(
            PROVIDER,
            f"script scenes must start with 'hook' and end with 'cta', got {intents[0]!r} "
            f"... {intents[-1]!r}",
        )
    target = target_words(script.target_seconds)
    low, high = target * (1 - WORD_TOLERANCE), target * (1 + WORD_TOLERANCE)
    count = script.word_count()
    if not low <= count <= high:
        raise ProviderResponseError(
            PROVIDER,
            f"script narration has {count} words; {script.target_seconds}s at "
            f"{NARRATION_WPM:.0f} wpm needs {target:.0f} ±{WORD_TOLERANCE:.0%} "
            f"({low:.0f}-{high:.0f})",
        )


def _hashtags(tags: list[str]) -> list[str]:
    """'#tag' form, lowercase, no spaces, deduplicated, at most 30."""
    cleaned = (normalise_hashtag(t).replace(" ", "") for t in tags)
    return list(dict.fromkeys(f"#{t}" for t in cleaned if t))[:30]
