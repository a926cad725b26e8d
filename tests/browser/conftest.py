"""Headless Chromium (Debian's ``chromium``) driven by Playwright against a real LocalServer.

No browser is ever downloaded: Playwright launches the system binary. Without it (or without the
playwright package) every browser test is skipped and the reason is printed (``-ra``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import TOKEN, e2e_settings
from trendreel.local_server import LocalServer

CHROMIUM = os.environ.get("TRENDREEL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--mute-audio",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
__all__ = ["ARTIFACTS", "TOKEN"]


def _why_not() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium, or set TRENDREEL_CHROMIUM)"
    return None


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    reason = _why_not()
    if reason:
        print(f"\nbrowser tests skipped: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    with LocalServer(e2e_settings(tmp_path / "home"), sweep_every=0.5) as running:
        yield running


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh tab; console errors (a CSP violation among them) fail the test."""
    tab = browser.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.set_default_timeout(15_000)
    try:
        yield tab
    finally:
        tab.close()
    # A 4xx answer is logged by Chromium as "Failed to load resource": expected in these tests.
    real = [e for e in errors if not e.startswith("Failed to load resource")]
    assert not real, f"console errors: {real}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
