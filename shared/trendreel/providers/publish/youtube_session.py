"""What an upload session's answer says, in the terms of the resumable upload protocol
(https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol): 308 Resume
Incomplete with ``Range: bytes=0-N`` (no Range: nothing yet), 404 once the session URI expired,
and 200/201 with the video resource once the upload completed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from trendreel.errors import ProviderResponseError, ProviderUnavailableError
from trendreel.providers.publish.youtube_quota import NAME
from trendreel.providers.publish.youtube_resource import video_id

SESSION_ANSWERS = (308, 404, 410)  # statuses the upload takes as answers, not errors
_RANGE = re.compile(r"^bytes=0-(\d+)$")


@dataclass(frozen=True)
class Standing:
    """Where a session stands: finished (``video``), gone, or holding ``received`` bytes."""

    video: dict[str, Any] | None = None
    received: int = 0
    gone: bool = False


def standing(response: httpx.Response) -> Standing:
    """What a session's answer says: 308 with the acknowledged bytes, 404/410 gone, else done."""
    if response.status_code == 308:
        return Standing(received=acknowledged(response))
    if response.status_code in (404, 410):
        return Standing(gone=True)
    return Standing(video=_video(response))


def acknowledged(response: httpx.Response) -> int:
    """How many bytes a 308's ``Range: bytes=0-N`` acknowledges (no header: none yet)."""
    value = response.headers.get("Range")
    if value is None:
        return 0
    match = _RANGE.match(value.strip())
    if match is None:
        raise ProviderResponseError(NAME, f"308 with an unreadable Range header {value[:40]!r}")
    return int(match.group(1)) + 1


def _video(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise ProviderUnavailableError(NAME, "the finished upload answered without a video")
    video_id(body)
    return body
