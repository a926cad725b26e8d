"""Stage 5 on hand-made inputs: the script check runs beside QC on the file, both reports and the
manifest are written, and a broken promise fails the stage naming its scene, whoever wrote it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest
from pydantic import SecretStr

from tests.support import gemini_scripts
from tests.support.http_fixture import FixtureServer
from tests.unit.stages.fakes import make_ctx, make_job, make_report, providers
from trendreel.errors import StageError
from trendreel.models import Manifest, QCReport, Script, Stage, ThemeConfig, TrendReport
from trendreel.models.reports import ScriptCheckReport
from trendreel.providers.base import ScriptWriter, UsageLog
from trendreel.providers.llm.gemini import GeminiScriptWriter
from trendreel.settings import Settings
from trendreel.stages import composition, review
from trendreel.stages import content_generation as cg
from trendreel.stages.common import execute
from trendreel.stages.context import StageContext, get_model, key, put_model

JOB = make_job(duration=gemini_scripts.SECONDS)
BROKEN = [
    ("hook", "Here are three reasons phone battery is blowing up!", ""),
    ("stat", "Phone battery videos gain 204 thousand reactions an hour.", "204K reactions"),
    ("list", "The first wave of videos gets the most reach.", "First wave"),
    ("cta", "Follow for more battery tips and tricks.", ""),
]
KEPT = [
    ("hook", "Here are two reasons phone battery is blowing up!", ""),
    ("list", "First, the first wave of videos gets the most reach.", "First wave"),
    ("list", "Second, battery videos gain 204 thousand reactions an hour.", "204K reactions"),
    BROKEN[-1],
]


class FixedWriter:
    """Writes the script it was given."""

    name = "fixed-writer"

    def __init__(self, script: Script) -> None:
        self.script = script

    def write(
        self, report: TrendReport, config: ThemeConfig, target_seconds: int, usage: UsageLog
    ) -> Script:
        return self.script.model_copy(update={"target_seconds": target_seconds})


def _script(scenes: list[tuple[str, str, str]]) -> Script:
    return Script.model_validate(
        {
            "title": "Phone battery",
            "hook": "Phone battery",
            "scenes": [
                {"index": n, "visual_intent": i, "narration": t, "on_screen_text": s}
                for n, (i, t, s) in enumerate(scenes)
            ],
            "call_to_action": "Follow for more",
            "description": "",
            "hashtags": [],
            "target_seconds": 16,
        }
    )


@pytest.fixture(scope="module")
def tiny_video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Half a second of real MP4: QC on it runs, and fails (no captions, no loudness)."""
    path = tmp_path_factory.mktemp("video") / "video.mp4"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i"]
    cmd += ["color=c=navy:s=1080x1920:r=30:d=0.5", "-f", "lavfi", "-i", "sine=d=0.5"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    subprocess.run([*cmd, "-shortest", str(path)], check=True, capture_output=True)
    return path.read_bytes()


def _review(tmp_path: Path, writer: ScriptWriter, video: bytes) -> tuple[StageContext, StageError]:
    """Content generation with ``writer`` (fakes for the rest), a stand-in render, then review."""
    ctx = make_ctx(tmp_path, providers(writer=writer))
    put_model(ctx.blobs, key(JOB.job_id, Stage.TREND_ANALYSIS, "report.json"), make_report())
    execute(Stage.CONTENT_GENERATION, cg.run, JOB, ctx)
    ctx.blobs.put_bytes(key(JOB.job_id, composition.STAGE, composition.CAPTIONS), b"[]", "")
    ctx.blobs.put_bytes(key(JOB.job_id, composition.STAGE, composition.VIDEO), video, "video/mp4")
    with pytest.raises(StageError) as caught:
        execute(Stage.REVIEW, review.run, JOB, ctx)
    return ctx, caught.value


def _reports(ctx: StageContext) -> tuple[ScriptCheckReport, QCReport, Manifest]:
    def at(name: str) -> str:
        return key(JOB.job_id, Stage.REVIEW, name)

    return (
        get_model(ctx.blobs, at(review.SCRIPT_CHECK), ScriptCheckReport),
        get_model(ctx.blobs, at(review.QC), QCReport),
        get_model(ctx.blobs, at(review.MANIFEST), Manifest),
    )


def test_a_broken_promise_fails_review_naming_scene_and_promise(
    tmp_path: Path, tiny_video: bytes
) -> None:
    ctx, err = _review(tmp_path, FixedWriter(_script(BROKEN)), tiny_video)

    assert (err.stage, err.code, err.retryable) == ("review", "script_check_failed", False)
    promise = "scene 0 promises 3 reasons, the script gives 1 (scene 2)"
    assert err.message.startswith(f"stage review failed: quality checks failed: {promise}; ")
    assert "rewrite" in err.hint
    script_check, qc, built = _reports(ctx)
    assert not script_check.passed
    assert [p.message for p in script_check.problems] == [promise]
    assert built.script_check == script_check
    assert built.qc == qc
    assert not qc.passed  # the file was checked too, and its failures are listed after


def test_a_kept_promise_passes_the_script_check_and_file_failures_stay_qc_failed(
    tmp_path: Path, tiny_video: bytes
) -> None:
    ctx, err = _review(tmp_path, FixedWriter(_script(KEPT)), tiny_video)

    assert err.code == "qc_failed"
    assert "promises" not in err.message
    script_check, _, built = _reports(ctx)
    assert script_check.passed
    assert script_check.point_scenes == [1, 2]
    assert built.script_check == script_check


def _gemini(url: str) -> GeminiScriptWriter:
    settings = Settings(
        gemini_api_key=SecretStr("AIza-test"), gemini_base_url=url, http_max_retries=0
    )
    return GeminiScriptWriter(settings)


def test_a_gemini_script_that_breaks_a_promise_fails_review(
    tmp_path: Path, tiny_video: bytes, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", gemini_scripts.PATH, gemini_scripts.reply(gemini_scripts.BROKEN))

    ctx, err = _review(tmp_path, _gemini(http_fixture.url), tiny_video)

    assert err.code == "script_check_failed"
    assert gemini_scripts.BROKEN_MESSAGE in err.message
    script = get_model(ctx.blobs, key(JOB.job_id, cg.STAGE, cg.SCRIPT), Script)
    assert script.writer == "gemini"
    script_check, _, _ = _reports(ctx)
    assert [p.message for p in script_check.problems] == [gemini_scripts.BROKEN_MESSAGE]


def test_a_gemini_script_that_keeps_its_promise_passes_the_script_check(
    tmp_path: Path, tiny_video: bytes, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", gemini_scripts.PATH, gemini_scripts.reply(gemini_scripts.KEPT))

    ctx, err = _review(tmp_path, _gemini(http_fixture.url), tiny_video)

    assert err.code == "qc_failed"  # only the stand-in video fails
    script_check, _, _ = _reports(ctx)
    assert script_check.passed, script_check.problems
    assert script_check.point_scenes == [1, 2, 3]
