"""Aligned tables for the CLI's list commands, as ``gcloud ... list`` prints them.

A header row, then one row per item, columns two spaces apart. Columns a person copies into the
next command (ids, statuses) are never cut; free text (themes, stages) is cut with an ellipsis,
widest first, until the table fits the terminal (``shutil.get_terminal_size``, so ``COLUMNS``
wins). Colour goes only to a terminal, and never when ``NO_COLOR`` is set.

The list commands share the rest: one page per call, ``--json`` for scripts (the api's body,
exactly), and a footer with the command that lists the next page.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from trendreel.api_client import ApiClient

GAP = "  "
ELLIPSIS = "…"
MIN_WIDTH = 3  # two characters and the ellipsis: still a hint of what was there
RESET = "\x1b[0m"
DEFAULT_LIMIT = 20
GREEN, YELLOW, RED, CYAN = "32", "33", "31", "36"  # ANSI SGR foreground colours


@dataclass(frozen=True)
class Column:
    header: str
    align: Literal["left", "right"] = "left"
    shrinkable: bool = False
    colours: Mapping[str, str] = field(default_factory=dict)  # cell text -> ANSI SGR code


def display_width(text: str) -> int:
    """Terminal cells ``text`` takes: wide (CJK, most emoji) count two, combining marks none."""
    return sum(_char_width(ch) for ch in text)


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def clean(text: str) -> str:
    """``text`` on one line with no control characters: a theme is user input, and an escape
    sequence in it must not drive the terminal or break the row."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def truncate(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for ch in text:
        if used + _char_width(ch) > width - 1:
            break
        kept.append(ch)
        used += _char_width(ch)
    return "".join(kept) + ELLIPSIS


def fit(columns: Sequence[Column], natural: Sequence[int], width: int) -> list[int]:
    """Column widths no wider than ``width`` in total, cutting the widest shrinkable column one
    cell at a time (so two long columns end up sharing the room). A table that still does not
    fit keeps its ids whole and runs past the edge."""
    widths = list(natural)
    excess = sum(widths) + len(GAP) * (len(widths) - 1) - width
    while excess > 0:
        candidates = [i for i, c in enumerate(columns) if c.shrinkable and widths[i] > MIN_WIDTH]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    return widths


def render(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], *, width: int, colour: bool = False
) -> list[str]:
    """The table's lines: the header, then one line per row."""
    cells = [[clean(cell) for cell in row] for row in rows]
    natural = [
        max(display_width(text) for text in [column.header, *(row[i] for row in cells)])
        for i, column in enumerate(columns)
    ]
    widths = fit(columns, natural, width)
    header = _line(columns, [c.header for c in columns], widths, colour=False)
    return [header, *(_line(columns, row, widths, colour=colour) for row in cells)]


def _line(
    columns: Sequence[Column], row: Sequence[str], widths: Sequence[int], *, colour: bool
) -> str:
    parts = []
    for column, text, width in zip(columns, row, widths, strict=True):
        shown = truncate(text, width)
        pad = " " * (width - display_width(shown))
        code = column.colours.get(text) if colour else None
        # Colour the text only: the padding stays plain, so the escape codes add no width.
        painted = f"\x1b[{code}m{shown}{RESET}" if code else shown
        parts.append(painted + pad if column.align == "left" else pad + painted)
    return GAP.join(parts).rstrip()


def wants_colour(stream: TextIO) -> bool:
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def parse_time(value: object) -> datetime | None:
    """An api timestamp (RFC 3339) as an aware datetime, or None when it is missing or garbled.
    A timestamp without an offset is read as UTC, which is what the api writes."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def age(then: datetime | None, now: datetime) -> str:
    """How long ago, in the largest whole unit: "45s", "3m", "2h", "5d", "1y"."""
    if then is None:
        return "-"
    # Clock skew between the api and this machine can put a fresh item slightly in the future.
    seconds = max(int((now - then).total_seconds()), 0)
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# --- list commands: a page from the api, shown as a table or as the api's own JSON --------------


def cell(value: object) -> str:
    """A JSON value as table text: "-" for what the api left out (older apis lack fields)."""
    return "-" if value is None or value == "" else str(value)


def items(page: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    listed = page.get(key)
    return [item for item in listed if isinstance(item, dict)] if isinstance(listed, list) else []


def fetch_page(
    api: ApiClient, resource: str, status: str | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    if resource == "jobs":
        return api.jobs(status, limit, cursor)
    return api.videos(status, limit, cursor)


def add_list_options(parser: argparse.ArgumentParser, statuses: Sequence[str]) -> None:
    parser.add_argument("--status", choices=statuses)
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="items per page")
    parser.add_argument("--cursor", help="start after this item (printed under a full page)")
    parser.add_argument("--json", action="store_true", help="print the api's JSON, for scripts")
    parser.add_argument("--api", help="API base URL (default: an embedded local server)")


def print_json(body: Mapping[str, Any]) -> None:
    print(json.dumps(body, indent=2))


def next_page_hint(page: Mapping[str, Any], command: str, args: argparse.Namespace) -> str | None:
    """The command that lists the next page, or None on the last one."""
    cursor = page.get("next_cursor")
    if not isinstance(cursor, str) or not cursor:
        return None
    argv = ["trendreel", command, "list", "--cursor", cursor]
    if args.status:
        argv += ["--status", args.status]
    if args.limit != DEFAULT_LIMIT:
        argv += ["--limit", str(args.limit)]
    if args.api:
        argv += ["--api", args.api]
    return f"more {command}: {shlex.join(argv)}"


def show_page(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], page: Mapping[str, Any],
    command: str, args: argparse.Namespace,
) -> None:  # fmt: skip
    """The table (or a line saying there is nothing), then how to get the next page."""
    if rows:
        width = shutil.get_terminal_size().columns
        print("\n".join(render(columns, rows, width=width, colour=wants_colour(sys.stdout))))
    else:
        filtered = f" with status {args.status}" if args.status else ""
        print(f"no {'more ' if args.cursor else ''}{command}{filtered}")
    hint = next_page_hint(page, command, args)
    if hint:
        print(hint)
