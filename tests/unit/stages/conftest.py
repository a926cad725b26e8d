"""Stage tests run with settings from code only, never from the developer's environment."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_trendreel_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRENDREEL_"):
            monkeypatch.delenv(name)
