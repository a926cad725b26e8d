"""The start-a-job form in headless Chromium against a real LocalServer: its limits and choices
come from the API's OpenAPI document; it starts a job that runs to 100 %; the browser's and the
API's validation errors show beside the field they name and nothing is created; talking points
are added and removed with mouse and keyboard; "Edit as JSON" round-trips; it can start from
the bundled default config; it works at phone width (screenshots in test-artifacts/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pytest

from tests.browser.dashboard import (
    JOB_TIMEOUT_S,
    job_ids,
    open_form,
    raw_config,
    set_raw,
    sign_in,
    submit_new_job,
    wait_for,
)
from trendreel.config import load_default_config
from trendreel.local_server import LocalServer
from trendreel.models import ThemeConfig
from trendreel.models.config import ContentReference, ThemeSettings

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def choices(field: str) -> list[str]:
    return list(get_args(ThemeSettings.model_fields[field].annotation))


def stored_config(server: LocalServer, job_id: str) -> dict[str, Any]:
    job = server.runtime.store.get(job_id)
    assert job is not None
    return job.config.model_dump(mode="json")


def no_jobs(server: LocalServer) -> bool:
    jobs, _ = server.runtime.store.list_jobs(status=None, limit=10, cursor=None)
    return not jobs


def error_beside(page: Any, control: str) -> str:
    """The error shown beside ``control`` (a css id), checked to be wired for assistive tech."""
    error_id = control.lstrip("#") + "-error"
    page.wait_for_selector(f"#{error_id}", state="visible")
    assert page.get_attribute(control, "aria-invalid") == "true"
    assert error_id in (page.get_attribute(control, "aria-describedby") or "").split()
    return str(page.text_content(f"#{error_id}"))


def drop_default_references(page: Any) -> None:
    """The form starts from the bundled default config, whose notes are listed under "Also
    sent": remove them, as a creator writing their own points would."""
    while page.locator("#refs-list button").count():
        page.click("#refs-list button >> nth=0")


def fill_form(page: Any) -> None:
    drop_default_references(page)
    page.fill("#f-theme", "Cold brew at home")
    page.fill("#f-duration", "5")
    page.select_option("#f-platform", "youtube_shorts")
    page.select_option("#f-style", "calm")
    page.fill("#f-tone", "warm and curious")
    page.fill("#f-product", "BrewBuddy")
    page.fill("#f-tagline", "Coffee, slower.")
    page.fill("#f-audience", "home baristas on a budget")
    page.click("#point-add")
    page.keyboard.type("Grind the beans coarse")
    page.keyboard.press("Enter")  # adds the next point
    page.keyboard.type("Steep for twelve hours in the fridge")


EXPECTED = {
    "config": {
        "theme": "Cold brew at home",
        "target_platform": "youtube_shorts",
        "video_duration_seconds": 5,
        "style": "calm",
        "auto_post": False,
        "product_name": "BrewBuddy",
        "tagline": "Coffee, slower.",
        "target_audience": "home baristas on a budget",
        "tone": "warm and curious",
        "webhook_url": None,
    },
    "content_references": [
        {
            "ref_id": "talking-points",
            "type": "note",
            "title": "Talking points",
            "talking_points": ["Grind the beans coarse", "Steep for twelve hours in the fridge"],
        }
    ],
}


def test_the_form_offers_the_api_s_limits_and_starts_a_job_that_runs_to_100(
    page: Any, server: LocalServer, artifacts: Path
) -> None:
    sign_in(page, server)
    open_form(page)

    # Limits and choices as the model has them (read by the page from GET /openapi.json).
    duration = ThemeSettings.model_json_schema()["properties"]["video_duration_seconds"]
    low, high = duration["minimum"], duration["maximum"]
    assert page.get_attribute("#f-duration", "min") == str(low)
    assert page.get_attribute("#f-duration", "max") == str(high)
    assert page.get_attribute("#f-duration", "step") == "1"
    assert f"{low} to {high} seconds" in page.text_content("#f-duration-hint")
    assert page.get_attribute("#f-theme", "maxlength") == "120"
    assert page.eval_on_selector("#f-theme", "e => e.required")
    assert page.get_attribute("#f-audience", "maxlength") == "200"
    for select, field in (("#f-platform", "target_platform"), ("#f-style", "style")):
        options = page.eval_on_selector_all(f"{select} option", "os => os.map(o => o.value)")
        assert options == choices(field)
    assert page.input_value("#f-duration") == str(duration["default"])
    assert "Up to 20." in page.text_content("#points-hint")
    # Every field has a label; the form is laid out within a phone's width.
    unlabelled = page.eval_on_selector_all(
        "#new-job-form input, #new-job-form select, #new-job-form textarea",
        "els => els.filter(e => !e.labels || !e.labels.length).map(e => e.id)",
    )
    assert unlabelled == []

    fill_form(page)
    page.locator("#new-job").screenshot(path=str(artifacts / "start-form.png"))
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#new-job").screenshot(path=str(artifacts / "start-form-phone.png"))
    page.set_viewport_size(DESKTOP)

    job_id = submit_new_job(page)
    assert stored_config(server, job_id) == ThemeConfig.model_validate(EXPECTED).model_dump(
        mode="json"
    )
    page.wait_for_selector("#new-job-done", state="visible")
    assert job_id in page.text_content("#new-job-done")
    assert page.get_attribute("#new-job-done a", "href") == f"#/jobs/{job_id}"
    assert page.input_value("#f-theme") == "Cold brew at home"  # kept for the next job

    item = f"#job-list li[data-job-id='{job_id}']"
    assert page.text_content(f"{item} .theme") == "Cold brew at home"
    wait_for(page, "sel => document.querySelector(sel).dataset.status === 'completed'", item)
    assert page.eval_on_selector(f"{item} progress", "el => el.value") == 100


def test_validation_errors_show_beside_their_fields_and_nothing_is_created(
    page: Any, server: LocalServer, artifacts: Path
) -> None:
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    sign_in(page, server)
    open_form(page)
    page.fill("#f-theme", "Cold brew at home")

    # The browser's own check (limits from the document) runs first, beside the field.
    page.fill("#f-duration", "500")
    page.click("#new-job-submit")
    assert "180" in error_beside(page, "#f-duration")
    assert page.evaluate("document.activeElement.id") == "f-duration"
    assert page.is_visible("#new-job-error")
    assert posts == []

    # With the browser's check off, the API's own message lands beside the same field.
    page.evaluate("document.getElementById('new-job-form').noValidate = true")
    page.click("#new-job-submit")
    wait_for(page, "() => document.getElementById('f-duration-error').textContent "
             ".includes('less than or equal to 180')", timeout_s=10)  # fmt: skip
    assert "less than or equal to 180" in error_beside(page, "#f-duration")
    assert page.evaluate("document.activeElement.id") == "f-duration"
    assert page.get_attribute("#f-theme", "aria-invalid") is None
    assert len(posts) == 1
    page.locator("#new-job").screenshot(path=str(artifacts / "start-form-errors.png"))

    # Typing in the field clears its error.
    page.fill("#f-duration", "5")
    assert page.is_hidden("#f-duration-error")
    assert page.get_attribute("#f-duration", "aria-invalid") is None
    assert "f-duration-error" not in (page.get_attribute("#f-duration", "aria-describedby") or "")

    # A theme of spaces passes the browser's `required` check; the API says no, beside it.
    page.evaluate("document.getElementById('new-job-form').noValidate = false")
    page.fill("#f-theme", "   ")
    page.click("#new-job-submit")
    wait_for(page, "() => !document.getElementById('f-theme-error').hidden", timeout_s=10)
    assert "at least 1 character" in error_beside(page, "#f-theme")
    assert page.is_hidden("#f-duration-error")
    assert len(posts) == 2

    # Errors in the list shape (several at once) map to their fields; one that names no field
    # of the form goes to the form as a whole.
    def refuse(route: Any) -> None:
        details = [
            {"field": "config.tone", "message": "tone is not allowed here"},
            {"field": "content_references.0.talking_points.1", "message": "point too long"},
            {"field": "config_path", "message": "no such config"},
        ]
        body = {"error": {"code": "invalid_config", "message": "invalid", "details": details}}
        route.fulfill(status=400, json=body)

    page.route("**/generate", refuse)
    page.fill("#f-theme", "Cold brew at home")
    page.click("#point-add")
    page.keyboard.type("first")
    page.keyboard.press("Enter")
    page.keyboard.type("second")
    page.click("#new-job-submit")
    page.wait_for_selector("#f-tone-error", state="visible")
    assert error_beside(page, "#f-tone") == "tone is not allowed here"
    second = page.eval_on_selector_all(".point-input", "els => els[1].id")
    assert error_beside(page, f"#{second}") == "point too long"
    assert "config_path: no such config" in page.text_content("#new-job-error")
    assert page.is_hidden("#f-theme-error")
    page.unroute("**/generate")

    assert no_jobs(server)
    assert job_ids(page) == []


def test_talking_points_are_added_and_removed_with_mouse_and_keyboard(
    page: Any, server: LocalServer
) -> None:
    sign_in(page, server)
    open_form(page)
    points = "#points-list .point-input"

    def values() -> list[str]:
        return list(page.eval_on_selector_all(points, "els => els.map(e => e.value)"))

    page.click("#point-add")
    assert page.evaluate("document.activeElement.classList.contains('point-input')")
    page.keyboard.type("one")
    page.keyboard.press("Enter")  # a new point after this one, focused; the job is not started
    page.keyboard.type("three")
    page.focus(f"{points} >> nth=0")
    page.keyboard.press("Enter")  # inserted after the first
    page.keyboard.type("two")
    assert values() == ["one", "two", "three"]
    labels = page.eval_on_selector_all(
        "#points-list .point", "rows => rows.map(r => r.querySelector('label').textContent)"
    )
    assert labels == ["Talking point 1", "Talking point 2", "Talking point 3"]

    # Remove the middle one with the keyboard: focus goes to the point that took its place.
    page.focus("#points-list .point >> nth=1 >> button")
    assert page.get_attribute(":focus", "aria-label") == "Remove talking point 2"
    page.keyboard.press("Space")
    assert values() == ["one", "three"]
    assert page.evaluate("document.activeElement.value") == "three"
    assert page.get_attribute("#points-list .point >> nth=1 >> button", "aria-label") == (
        "Remove talking point 2"
    )
    page.click("#point-add")  # left blank: not sent
    assert raw_config(page)["content_references"][0]["talking_points"] == ["one", "three"]
    set_raw(page, False)
    assert values() == ["one", "three"]

    # Up to the model's limit, then Add is disabled and Enter adds nothing.
    limit = ContentReference.model_json_schema()["properties"]["talking_points"]["maxItems"]
    while len(values()) < limit:
        page.click("#point-add")
    assert page.is_disabled("#point-add")
    page.focus(f"{points} >> nth=0")
    page.keyboard.press("Enter")
    assert len(values()) == limit
    assert job_ids(page) == []

    # Removing every point with the mouse leaves focus on Add, enabled again.
    drop_default_references(page)
    while values():
        page.click("#points-list .point >> nth=0 >> button")
    assert page.evaluate("document.activeElement.id") == "point-add"
    assert page.is_enabled("#point-add")
    assert raw_config(page).get("content_references", []) == []


def test_raw_json_round_trips_and_starts_a_job(
    page: Any, server: LocalServer, artifacts: Path
) -> None:
    sign_in(page, server)
    open_form(page)
    fill_form(page)

    set_raw(page, True)
    assert page.is_hidden("#form-fields")
    assert page.evaluate("document.activeElement.id") == "config"
    shown = json.loads(page.input_value("#config"))
    assert shown == EXPECTED
    page.locator("#new-job").screenshot(path=str(artifacts / "start-form-json.png"))

    # Edit the JSON: fields the form shows, a setting it has no field for, another reference.
    shown["config"].update(video_duration_seconds=7, style="playful", auto_post=True)
    shown["content_references"][0]["talking_points"].append("Serve over ice")
    fact = {"ref_id": "fact-1", "type": "fact", "title": "A fact", "talking_points": ["Fact one"]}
    shown["content_references"].append(fact)
    page.fill("#config", json.dumps(shown))
    set_raw(page, False)
    assert page.is_visible("#form-fields")
    assert page.input_value("#f-duration") == "7"
    assert page.input_value("#f-style") == "playful"
    assert page.eval_on_selector_all(".point-input", "els => els.map(e => e.value)") == [
        "Grind the beans coarse",
        "Steep for twelve hours in the fridge",
        "Serve over ice",
    ]
    assert page.is_visible("#refs")
    assert "A fact" in page.text_content("#refs-list")
    assert raw_config(page) == shown  # nothing lost on the way through the form

    # What does not parse, or has no place in the form, keeps the JSON view open with a reason.
    page.fill("#config", "{")
    page.click("#raw-toggle")
    assert "not valid JSON" in error_beside(page, "#config")
    assert page.get_attribute("#raw-toggle", "aria-expanded") == "true"
    page.fill("#config", json.dumps({"config": {"theme": "x", "video_duration_seconds": "ten"}}))
    page.click("#raw-toggle")
    assert "config.video_duration_seconds" in error_beside(page, "#config")
    assert page.is_hidden("#form-fields")

    # A reference removed in the form is gone from the JSON; the job gets exactly the JSON.
    page.fill("#config", json.dumps(shown))
    set_raw(page, False)
    page.click("#refs-list button[aria-label='Remove A fact']")
    assert page.is_hidden("#refs")
    final = raw_config(page)
    assert [ref["ref_id"] for ref in final["content_references"]] == ["talking-points"]
    job_id = submit_new_job(page)
    assert stored_config(server, job_id) == ThemeConfig.model_validate(final).model_dump(
        mode="json"
    )
    wait_for(page, "id => document.querySelector(`li[data-job-id='${id}']`).dataset.status "
             "=== 'completed'", job_id, timeout_s=JOB_TIMEOUT_S)  # fmt: skip


def test_the_form_starts_from_the_bundled_default_config_when_the_api_documents_it(
    page: Any, server: LocalServer, artifacts: Path
) -> None:
    """The page uses ThemeConfig's `examples[0]` in GET /openapi.json, where the api documents
    the bundled default config, as its defaults."""
    default = load_default_config().model_dump(mode="json")
    sign_in(page, server)
    open_form(page)
    assert "default config" in page.text_content("#new-job-status")
    assert page.input_value("#f-theme") == default["config"]["theme"]
    assert page.input_value("#f-tone") == default["config"]["tone"]
    assert page.input_value("#f-duration") == str(default["config"]["video_duration_seconds"])
    refs = page.text_content("#refs-list")
    for ref in default["content_references"]:
        assert ref["title"] in refs
    page.locator("#new-job").screenshot(path=str(artifacts / "start-form-default.png"))
    assert raw_config(page) == default  # the form shows it without changing it

    # Reset brings the defaults back after edits.
    set_raw(page, False)
    page.fill("#f-theme", "something else")
    page.click("#refs-list button >> nth=0")
    page.click("#form-reset")
    assert page.input_value("#f-theme") == default["config"]["theme"]
    assert raw_config(page) == default
    # An emptied JSON view also goes back to the form as the defaults.
    page.fill("#config", "")
    set_raw(page, False)
    assert page.input_value("#f-theme") == default["config"]["theme"]


def test_without_the_api_s_limits_the_job_can_still_start_from_json(
    page: Any, server: LocalServer
) -> None:
    page.route(
        "**/openapi.json",
        lambda route: route.fulfill(
            status=503, json={"error": {"code": "unavailable", "message": "try later"}}
        ),
    )
    sign_in(page, server)
    open_form(page)
    assert "could not be read" in page.text_content("#new-job-status")
    assert page.eval_on_selector("#form-fields", "f => f.disabled")
    assert page.is_disabled("#f-theme")
    assert page.is_disabled("#new-job-submit")
    set_raw(page, True)
    page.click("#raw-toggle")  # back to the form: refused, with the reason
    assert "try later" in error_beside(page, "#config")
    config = {"config": {"theme": "json only", "video_duration_seconds": 5}}
    page.fill("#config", json.dumps(config))
    job_id = submit_new_job(page)
    assert stored_config(server, job_id)["config"]["theme"] == "json only"
    wait_for(page, "id => document.querySelector(`li[data-job-id='${id}']`).dataset.status "
             "=== 'completed'", job_id, timeout_s=JOB_TIMEOUT_S)  # fmt: skip
