"""Steps the browser tests share: sign in, open the start form, start a job from its fields or
from its JSON, wait for the page."""

from __future__ import annotations

import json
from typing import Any

from tests.browser.conftest import TOKEN
from trendreel.local_server import LocalServer

JOB_TIMEOUT_S = 60


def sign_in(page: Any, server: LocalServer, token: str = TOKEN) -> None:
    page.goto(server.url + "/")
    assert page.url == server.url + "/ui/"  # / redirects to the page
    page.fill("#token", token)
    page.click("#signin-form button[type=submit]")


def wait_for(page: Any, script: str, arg: Any = None, timeout_s: float = JOB_TIMEOUT_S) -> None:
    page.wait_for_function(script, arg=arg, timeout=timeout_s * 1000, polling=100)


def open_form(page: Any) -> None:
    """Opens "Start a job" and waits until the form has read the API's limits (or failed to)."""
    page.wait_for_selector("#view-list", state="visible")
    if not page.eval_on_selector("#new-job", "d => d.open"):
        page.click("#new-job summary")
    page.wait_for_selector("#new-job-form[data-schema]", state="attached", timeout=10_000)


def set_raw(page: Any, on: bool) -> None:
    """Switches between the form and its JSON (no-op when already there)."""
    if (page.get_attribute("#raw-toggle", "aria-expanded") == "true") != on:
        page.click("#raw-toggle")


def job_ids(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("#job-list li", "els => els.map(e => e.dataset.jobId)"))


def submit_new_job(page: Any) -> str:
    """Clicks Start job and returns the id of the job that appears at the top of the list."""
    before = job_ids(page)
    page.click("#new-job-submit")
    page.wait_for_function(
        "n => document.querySelectorAll('#job-list li').length > n", arg=len(before)
    )
    first = page.get_attribute("#job-list li:first-child", "data-job-id")
    assert first
    assert first not in before
    return str(first)


def start_job(page: Any, theme: str, seconds: int = 5) -> str:
    """Starts a job from the form's fields (the rest as the form has it)."""
    open_form(page)
    set_raw(page, False)
    page.fill("#f-theme", theme)
    page.fill("#f-duration", str(seconds))
    return submit_new_job(page)


def start_job_from_json(page: Any, config: dict[str, Any]) -> str:
    """Starts a job from "Edit as JSON" with ``config`` as the theme config."""
    open_form(page)
    set_raw(page, True)
    page.fill("#config", json.dumps(config))
    return submit_new_job(page)


def raw_config(page: Any) -> Any:
    """The theme config the JSON view shows (switching to it)."""
    set_raw(page, True)
    return json.loads(page.input_value("#config"))
