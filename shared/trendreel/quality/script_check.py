"""The script check: the hook's counts are delivered and every scene says what it shows."""

from __future__ import annotations

from trendreel.models.content import Script
from trendreel.models.reports import CountPromise, ScriptCheckReport, ScriptProblem
from trendreel.quality.promises import hook_promises, point_scenes
from trendreel.quality.screen_text import screen_problems


def check_script(script: Script) -> ScriptCheckReport:
    promises = hook_promises(script)
    points = point_scenes(script)
    problems = [*count_problems(promises, points), *screen_problems(script)]
    problems.sort(key=lambda p: p.scene_index)
    return ScriptCheckReport(
        passed=not problems, promises=promises, point_scenes=points, problems=problems
    )


def count_problems(promises: list[CountPromise], points: list[int]) -> list[ScriptProblem]:
    """One problem per distinct broken promise ("3 things" on screen and said is one promise)."""
    problems: dict[tuple[int, int, str], ScriptProblem] = {}
    for promise in promises:
        key = (promise.scene_index, promise.count, promise.noun.lower())
        if promise.count == len(points) or key in problems:
            continue
        what = f"{promise.count} {promise.noun}" if promise.noun else f"a top {promise.count}"
        problems[key] = ScriptProblem(
            rule="count_promise",
            scene_index=promise.scene_index,
            message=f"scene {promise.scene_index} promises {what}, the script gives "
            f"{len(points)} ({_where(points)})",
        )
    return list(problems.values())


def _where(points: list[int]) -> str:
    if not points:
        return "no scene is a numbered point or a 'list' scene"
    label = "scene" if len(points) == 1 else "scenes"
    return f"{label} {', '.join(map(str, points))}"
