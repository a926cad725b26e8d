"""The review dashboard in headless Chromium against a real LocalServer: sign in, start a job,
watch it progress, play and seek the video, approve it; a failed job shows its error and is
retried from the page; a wrong token gets a clear 401 message."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import TOKEN
from tests.browser.dashboard import (
    JOB_TIMEOUT_S,
    open_form,
    set_raw,
    sign_in,
    start_job,
    start_job_from_json,
    wait_for,
)
from tests.e2e.conftest import short_config
from tests.e2e.test_local_pipeline import Flaky
from trendreel import pipeline
from trendreel.errors import MediaError
from trendreel.local_server import LocalServer
from trendreel.models import Stage

pytestmark = pytest.mark.browser


def test_sign_in_start_watch_play_seek_and_approve(
    page: Any, server: LocalServer, artifacts: Path
) -> None:
    media_statuses: list[int] = []
    page.on(
        "response",
        lambda r: media_statuses.append(r.status) if "/video.mp4" in r.url else None,
    )
    sign_in(page, server)
    page.wait_for_selector("#view-list", state="visible")
    assert TOKEN not in page.url
    assert page.evaluate("sessionStorage.getItem('trendreel.token')") == TOKEN
    assert page.input_value("#token") == ""  # not left in the form either

    # From "Edit as JSON", the API's validation error lands next to the JSON, naming the field.
    # (tests/browser/test_start_form.py covers the form's own fields.)
    open_form(page)
    set_raw(page, True)
    too_short = {"config": {"theme": "too short", "video_duration_seconds": 1}}
    page.fill("#config", json.dumps(too_short))
    page.click("#new-job-submit")
    page.wait_for_selector("#config-error", state="visible")
    assert "config.video_duration_seconds" in page.text_content("#config-error")
    assert page.get_attribute("#config", "aria-invalid") == "true"

    # Start a 5-second job from the form and watch its bar move to 100 % (the list polls every
    # 2 s).
    started = time.monotonic()
    job_id = start_job(page, "browser test")
    bar = f"#job-list li[data-job-id='{job_id}'] progress"
    values: list[float] = []
    while time.monotonic() - started < JOB_TIMEOUT_S:
        values.append(page.eval_on_selector(bar, "el => el.value"))
        if values[-1] >= 100:
            break
        time.sleep(0.1)
    seen = sorted(set(values))
    assert values[-1] == 100, values
    assert values == sorted(values), "the bar never moves back"
    assert len(seen) >= 3, f"the bar should move through intermediate values: {seen}"
    print(f"\njob {job_id} done in {time.monotonic() - started:.1f} s; bar values {seen}")
    wait_for(page, "id => document.querySelector(`li[data-job-id='${id}']`).dataset.status "
             "=== 'completed'", job_id)  # fmt: skip
    page.screenshot(path=str(artifacts / "list.png"), full_page=True)

    # Job detail: five stages done, with attempts and times.
    page.click(f"#job-list li[data-job-id='{job_id}'] a.button:text('Details')")
    page.wait_for_selector("#view-detail[data-status='completed']")
    assert page.locator("#stage-rows tr.stage-done").count() == 5
    assert page.text_content("#stage-rows tr[data-stage='composition'] td:nth-child(3)") == "1"
    assert page.is_hidden("#detail-error")
    page.screenshot(path=str(artifacts / "detail.png"), full_page=True)

    # Review: the video plays inline, and seeking works (HTTP Range).
    page.click("#review-link")
    page.wait_for_selector("#view-review[data-review='generated']")
    wait_for(page, "() => document.getElementById('player').readyState >= 2", timeout_s=20)
    assert page.is_visible("#thumbnail")
    assert page.locator("#review-captions li").count() >= 1
    assert page.locator("#review-assets tr").count() >= 1
    assert "passed" in page.text_content("#review-qc")
    assert page.text_content("#review-topic").strip()
    page.evaluate("() => { const v = document.getElementById('player'); v.muted = true; "
                  "return v.play(); }")  # fmt: skip
    wait_for(page, "() => document.getElementById('player').currentTime > 0.3", timeout_s=15)
    page.evaluate("() => document.getElementById('player').pause()")
    page.evaluate(
        """() => new Promise(done => {
            const v = document.getElementById('player');
            v.addEventListener('seeked', done, {once: true});
            v.currentTime = 3.5;
        })"""
    )
    assert abs(page.evaluate("document.getElementById('player').currentTime") - 3.5) < 0.2
    assert 206 in media_statuses, media_statuses  # the browser fetched byte ranges
    page.screenshot(path=str(artifacts / "review.png"), full_page=True)

    # Approve: the new state shows at once (from the POST's answer, no reload).
    page.click("#approve")
    page.wait_for_selector("#view-review[data-review='approved']", timeout=2000)
    assert page.text_content("#review-status") == "approved"
    assert page.is_disabled("#approve")
    assert page.is_disabled("#reject")
    job = server.runtime.store.get(job_id)
    assert job is not None
    assert job.review is not None
    assert job.review.status == "approved"

    # Phone width: the same view still lays out (screenshot for a human to check).
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "review-phone.png"), full_page=True)
    page.goto(server.url + "/ui/#/")
    page.wait_for_selector(f"#job-list li[data-job-id='{job_id}']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "list-phone.png"), full_page=True)
    assert TOKEN not in page.url


def test_a_failed_job_shows_its_error_and_retry_completes_it(
    page: Any, server: LocalServer, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline.STAGE_FUNCTIONS[Stage.COMPOSITION]
    flaky = Flaky(real, MediaError("injected encoder crash"), times=1)
    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, Stage.COMPOSITION, flaky)
    sign_in(page, server)
    page.wait_for_selector("#view-list", state="visible")
    # The bundled default config at 5 s, as the e2e tests run it; the theme comes from it.
    job_id = start_job_from_json(page, short_config(5))

    page.click(f"#job-list li[data-job-id='{job_id}'] a.button:text('Details')")
    page.wait_for_selector("#view-detail[data-status='failed']", timeout=JOB_TIMEOUT_S * 1000)
    page.wait_for_selector("#detail-error", state="visible")
    assert page.text_content("#error-stage") == "composition"
    cause = page.text_content("#error-cause")
    assert "media_error" in cause
    assert "injected encoder crash" in cause
    assert page.text_content("#error-retryable") == "no"
    assert page.get_attribute("#stage-rows tr[data-stage='composition']", "class") == (
        "stage-failed"
    )
    assert page.locator("#stage-rows tr.stage-done").count() == 3
    page.screenshot(path=str(artifacts / "detail-failed.png"), full_page=True)

    page.click("#retry")
    page.wait_for_selector("#detail-error", state="hidden", timeout=2000)
    page.wait_for_selector("#view-detail[data-status='completed']", timeout=JOB_TIMEOUT_S * 1000)
    assert page.locator("#stage-rows tr.stage-done").count() == 5
    assert page.text_content("#stage-rows tr[data-stage='composition'] td:nth-child(3)") == "2"
    assert page.text_content("#stage-rows tr[data-stage='trend_collection'] td:nth-child(3)") == (
        "1"
    )
    assert page.is_visible("#review-link")
    page.screenshot(path=str(artifacts / "detail-retried.png"), full_page=True)

    # A finished job is not polled any more.
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.url.endswith(job_id) else None)
    page.wait_for_timeout(2_500)  # more than one 2 s polling interval
    assert polls == []


def test_a_wrong_token_gets_a_clear_401_message(page: Any, server: LocalServer) -> None:
    sign_in(page, server, token="not-the-token")

    page.wait_for_selector("#signin-error", state="visible")
    message = page.text_content("#signin-error")
    assert "401" in message
    assert "token" in message.lower()
    assert page.is_hidden("#app")
    assert page.evaluate("sessionStorage.getItem('trendreel.token')") is None
    assert "not-the-token" not in page.url

    # A token that stops working mid-session sends the user back with the same message.
    page.evaluate("sessionStorage.setItem('trendreel.token', 'revoked-token')")
    page.reload()
    page.wait_for_selector("#signin-error", state="visible")
    assert "401" in page.text_content("#signin-error")


def test_polling_backs_off_while_the_tab_is_hidden(page: Any, server: LocalServer) -> None:
    """With a fake clock: the idle list polls every 10 s, a hidden tab every 30 s, and coming
    back to the tab refreshes at once."""
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/jobs?" in r.url else None)
    page.clock.install()
    sign_in(page, server)
    page.wait_for_selector("#job-list-empty", state="visible")

    def polls_after(ms: int) -> int:
        before = len(polls)
        page.clock.run_for(ms)
        page.wait_for_timeout(150)  # let a fetch that fired come back
        return len(polls) - before

    assert polls_after(10_500) == 1
    page.evaluate(
        """() => {
            Object.defineProperty(document, 'visibilityState', {value: 'hidden',
                                                                configurable: true});
            document.dispatchEvent(new Event('visibilitychange'));
        }"""
    )
    assert polls_after(10_500) == 1  # the timer set while visible still fires once ...
    assert polls_after(25_000) == 0  # ... then the hidden interval (30 s) applies
    assert polls_after(6_000) == 1
    before = len(polls)
    page.evaluate(
        """() => {
            Object.defineProperty(document, 'visibilityState', {value: 'visible',
                                                                configurable: true});
            document.dispatchEvent(new Event('visibilitychange'));
        }"""
    )
    page.wait_for_timeout(150)
    assert len(polls) == before + 1  # back in front: refreshed without waiting
    assert polls_after(10_500) == 1  # and the visible, idle interval again
