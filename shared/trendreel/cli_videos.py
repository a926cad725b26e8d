"""``trendreel videos list|approve|reject|publish|metrics``: finished videos, their review and
where they went.

The api's video shape is growing (a ``status`` that includes ``published``, a duration, one
publication per platform), and a CLI talks to apis of either age: every field is read
defensively, so the table works against both and shows "-" for what an api does not say.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from trendreel.cli_jobs import api_for, required
from trendreel.cli_tables import (
    CYAN,
    GREEN,
    RED,
    YELLOW,
    Column,
    add_list_options,
    age,
    cell,
    fetch_page,
    items,
    parse_time,
    print_json,
    show_page,
)
from trendreel.settings import Settings

VIDEO_STATUSES = ("generated", "approved", "rejected", "published")
VIDEO_COLUMNS = (
    Column("ID"),
    Column(
        "STATUS",
        colours={"generated": YELLOW, "approved": GREEN, "rejected": RED, "published": CYAN},
    ),
    Column("DURATION", align="right"),
    Column("THEME", shrinkable=True),
    Column("AGE", align="right"),
    Column("PUBLISHED", shrinkable=True),
)


def add_commands(sub: Any) -> None:
    videos_cmd = sub.add_parser("videos", help="list, approve, reject or publish videos")
    videos_cmd.add_argument("action", choices=["list", "approve", "reject", "publish", "metrics"])
    videos_cmd.add_argument("video_id", nargs="?")
    videos_cmd.add_argument("--reason", help="why (shown with the review)")
    videos_cmd.add_argument(
        "--platform",
        action="append",
        choices=["youtube", "tiktok"],
        help="publish: where (repeatable; default: the video's target_platform)",
    )
    videos_cmd.add_argument(
        "--privacy", choices=["private", "unlisted", "public"], help="publish: default private"
    )
    add_list_options(videos_cmd, VIDEO_STATUSES)
    videos_cmd.set_defaults(handler=videos)


def videos(settings: Settings, args: argparse.Namespace) -> int:
    with api_for(settings, args.api) as api:
        if args.action != "list":
            print_json(_act(api, args))
            return 0
        page = fetch_page(api, "videos", args.status, args.limit, args.cursor)
        if args.json:
            print_json(page)
            return 0
        now = datetime.now(UTC)
        rows = [video_row(video, now) for video in items(page, "videos")]
        show_page(VIDEO_COLUMNS, rows, page, "videos", args)
    return 0


def video_row(video: Mapping[str, Any], now: datetime) -> list[str]:
    created = parse_time(video.get("created_at")) or parse_time(video.get("completed_at"))
    return [
        cell(video.get("id")),
        # Older apis name only the review (generated, approved, rejected).
        cell(video.get("status") or video.get("review_status")),
        duration(video.get("duration_seconds")),
        cell(video.get("theme")),
        age(created, now),
        publications(video.get("publications")),
    ]


def duration(seconds: object) -> str:
    """ "45s", "2m05s", or "-" when the api does not say."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return "-"
    whole = round(seconds)
    return f"{whole}s" if whole < 60 else f"{whole // 60}m{whole % 60:02d}s"


def publications(value: object) -> str:
    """One "platform:status" entry per publication, e.g. "youtube:published tiktok:uploading"."""
    listed = list(value.values()) if isinstance(value, dict) else value
    if not isinstance(listed, list):
        return "-"
    entries = [
        f"{cell(p.get('platform'))}:{cell(p.get('status'))}" for p in listed if isinstance(p, dict)
    ]
    return " ".join(entries) or "-"


def _act(api: Any, args: argparse.Namespace) -> dict[str, Any]:
    video_id = required(args.video_id, "VIDEO_ID")
    if args.action == "publish":
        body: dict[str, Any] = api.publish(video_id, args.platform, args.privacy)
        return body
    if args.action == "metrics":
        metrics: dict[str, Any] = api.metrics(video_id)
        return metrics
    review: dict[str, Any] = api.review(video_id, args.action == "approve", args.reason)
    return review
