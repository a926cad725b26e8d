"""Argument checks every JobStore adapter applies to its list queries, so all of them reject
the same bad input with the same message (the API turns these ValueErrors into 400s)."""

from __future__ import annotations

import re

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{6,64}$")


def check_limit(limit: int, maximum: int | None) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be an integer >= 1, got {limit!r}")
    if maximum is not None and limit > maximum:
        raise ValueError(f"limit must be between 1 and {maximum}, got {limit}")


def check_cursor(cursor: str) -> str:
    # The cursor is the id of the last job of the previous page.
    if not isinstance(cursor, str) or not ID_PATTERN.match(cursor):
        raise ValueError(f"invalid cursor {cursor!r}: pass next_cursor from a previous page")
    return cursor
