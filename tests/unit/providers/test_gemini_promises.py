"""GeminiScriptWriter asks for the promises the review's script check enforces; the check itself
runs in review (tests/unit/stages/test_review.py), on Gemini's scripts as on any other's."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tests.support import gemini_scripts
from tests.support.http_fixture import FixtureServer
from tests.unit.stages.fakes import make_report
from trendreel.config import load_default_config
from trendreel.providers.base import UsageLog
from trendreel.providers.llm.gemini import GeminiScriptWriter
from trendreel.quality import check_script
from trendreel.settings import Settings


def _write(http_fixture: FixtureServer, scenes: list[tuple[str, str, str]]) -> str:
    http_fixture.add("POST", gemini_scripts.PATH, gemini_scripts.reply(scenes))
    settings = Settings(gemini_api_key=SecretStr("AIza-test"), gemini_base_url=http_fixture.url)
    writer = GeminiScriptWriter(settings)
    script = writer.write(make_report(), load_default_config(), gemini_scripts.SECONDS, UsageLog())
    report = check_script(script)
    return "kept" if report.passed else report.problems[0].message


def test_the_prompt_and_schema_ask_for_kept_counts_and_spoken_screen_text(
    http_fixture: FixtureServer,
) -> None:
    _write(http_fixture, gemini_scripts.KEPT)

    body = http_fixture.requests[0].json()
    prompt = body["contents"][0]["parts"][0]["text"]
    assert "deliver exactly that many points, one scene per point" in prompt
    assert "visual_intent 'list'" in prompt
    assert "put no number in the hook" in prompt
    assert "Every word shown on screen is said in that scene's narration" in prompt
    schema = body["generationConfig"]["responseSchema"]["properties"]
    screen = schema["scenes"]["items"]["properties"]["on_screen_text"]["description"]
    assert "said in this narration" in screen
    assert "first scene's narration" in schema["hook"]["description"]


@pytest.mark.parametrize(
    ("scenes", "verdict"),
    [(gemini_scripts.KEPT, "kept"), (gemini_scripts.BROKEN, gemini_scripts.BROKEN_MESSAGE)],
)
def test_gemini_scripts_are_judged_by_the_same_check(
    http_fixture: FixtureServer, scenes: list[tuple[str, str, str]], verdict: str
) -> None:
    # The writer hands a broken script on: review fails it, with the QC and check reports.
    assert _write(http_fixture, scenes) == verdict
