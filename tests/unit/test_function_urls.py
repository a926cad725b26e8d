"""Where each function is reached: its own URL when listed (Cloud Run: one service each), else
the template."""

from __future__ import annotations

import pytest

from trendreel.settings import Settings


def test_the_template_names_the_function_and_the_port() -> None:
    settings = Settings(port=9000)
    assert settings.function_url("composition") == "http://127.0.0.1:9000/functions/composition/"


def test_a_listed_url_wins_over_the_template(monkeypatch: pytest.MonkeyPatch) -> None:
    urls = '{"composition": "https://composition-abc-uc.a.run.app/"}'
    monkeypatch.setenv("TRENDREEL_FUNCTION_URLS", urls)
    monkeypatch.setenv("TRENDREEL_FUNCTION_URL_TEMPLATE", "https://{name}.example.test/")
    settings = Settings()
    assert settings.function_url("composition") == "https://composition-abc-uc.a.run.app/"
    assert settings.function_url("review") == "https://review.example.test/"
