"""The local-mode API token: ``TRENDREEL_API_TOKEN`` if set, else one generated on first run and
kept in ``$TRENDREEL_HOME/api_token`` with owner-only permissions. It is never printed whole."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from trendreel.settings import Settings

TOKEN_FILE = "api_token"  # noqa: S105 - a file name, not a secret


def local_token(settings: Settings) -> str:
    if settings.api_token is not None and settings.api_token.get_secret_value():
        return settings.api_token.get_secret_value()
    path = settings.home / TOKEN_FILE
    if path.is_file():
        return path.read_text().strip()
    settings.home.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    # O_EXCL: two processes starting at once cannot both write; the loser reads the winner's.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(token)
    return token


def token_matches(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode(), expected.encode())


def redacted(token: str) -> str:
    """For display: enough to tell tokens apart, never enough to use one."""
    return f"{token[:4]}…" if len(token) > 8 else "…"


def token_path(settings: Settings) -> Path:
    return settings.home / TOKEN_FILE
