"""The one wall clock: timezone-aware UTC now. Everything that takes a ``clock`` defaults to it,
so tests hand in their own."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
