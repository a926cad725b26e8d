"""Every scene's narration supports what the scene shows.

What a scene shows: its on_screen_text; the first scene also shows the script's hook and the
last its call to action (the compositor lays those cards over them). Each content word of a shown
text (every word but function words) must be said in that scene's narration, compared as
``quality.words`` reads them: case, plural and possessive endings ignored, numbers by value in any
written form ("204K" = "204 thousand", "3" = "three"). Symbols and emoji are not words.
"""

from __future__ import annotations

from trendreel.models.content import Scene, Script
from trendreel.models.reports import ScriptProblem
from trendreel.quality.words import unsaid


def shown_texts(script: Script) -> list[tuple[Scene, str, str]]:
    """``(scene, what, text)`` for every text on screen, each scene's duplicates left out."""
    first, last = script.scenes[0], script.scenes[-1]
    shown = [(first, "the hook ", script.hook)]
    shown += [(last, "the call to action ", script.call_to_action)]
    shown += [(scene, "", scene.on_screen_text) for scene in script.scenes]
    seen: set[tuple[int, str]] = set()
    unique = []
    for scene, what, text in sorted(shown, key=lambda s: s[0].index):
        if text.strip() and (scene.index, text.strip().casefold()) not in seen:
            seen.add((scene.index, text.strip().casefold()))
            unique.append((scene, what, text.strip()))
    return unique


def screen_problems(script: Script) -> list[ScriptProblem]:
    problems = []
    for scene, what, text in shown_texts(script):
        missing = unsaid(text, scene.narration)
        if missing:
            words = ", ".join(f"'{word}'" for word in missing)
            problems.append(
                ScriptProblem(
                    rule="screen_text_spoken",
                    scene_index=scene.index,
                    message=f"scene {scene.index} shows {what}'{text}' but its narration "
                    f"never says {words}",
                )
            )
    return problems
