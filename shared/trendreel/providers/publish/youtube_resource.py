"""The video resource trendreel sends to ``videos.insert``, and how it reads one back.

Field rules from the videos resource reference (https://developers.google.com/youtube/v3/docs/videos):
``snippet.title`` at most 100 characters, without ``<`` or ``>``; ``snippet.description`` at most
5000 bytes, without ``<`` or ``>``; ``snippet.tags`` at most 500 characters in all, counting the
commas between tags and the quotes the API puts around a tag that contains a space;
``status.publishAt`` can be set only while ``privacyStatus`` is ``private`` (the video turns
public at that time); ``status.containsSyntheticMedia`` discloses altered or synthetic content.
``uploadStatus`` is ``uploaded`` while YouTube processes the file, then ``processed``, or
``rejected`` / ``failed`` / ``deleted`` with ``rejectionReason`` / ``failureReason``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC
from typing import Any, Literal

from trendreel.errors import ConfigError, ProviderResponseError
from trendreel.models.publishing import Privacy
from trendreel.providers.publish.base import PublishRequest
from trendreel.providers.publish.youtube_quota import NAME

CATEGORY_ID = "22"  # People & Blogs, YouTube's default category for a new upload
TITLE_MAX = 100
DESCRIPTION_MAX_BYTES = 5000
TAGS_MAX = 500
NOT_PUBLISHED_HINT = (
    "Open the video in YouTube Studio to see why; fix the cause the message names and publish "
    "again (a rejected or failed upload is not retried on its own)."
)
_ANGLES = re.compile(r"[<>]")
_SPACES = re.compile(r"\s+")


def video_resource(request: PublishRequest) -> dict[str, Any]:
    """The ``snippet`` and ``status`` parts for ``videos.insert``."""
    status: dict[str, Any] = {
        "privacyStatus": request.privacy.value,
        "selfDeclaredMadeForKids": request.made_for_kids,
        "containsSyntheticMedia": request.ai_generated,
    }
    if request.publish_at is not None:
        if request.privacy is not Privacy.PUBLIC:
            raise ConfigError(
                "youtube: a scheduled video turns public at publish_at, but "
                f"{request.privacy.value} was asked for; ask for public or drop publish_at",
                field="publish_at",
            )
        status["privacyStatus"] = Privacy.PRIVATE.value  # until publishAt, as the API requires
        status["publishAt"] = request.publish_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    snippet = {
        "title": clean_title(request.title),
        "description": clean_description(request.description),
        "tags": fit_tags(request.tags),
        "categoryId": CATEGORY_ID,
    }
    return {"snippet": snippet, "status": status}


def clean_title(title: str) -> str:
    cleaned = _SPACES.sub(" ", _ANGLES.sub("", title)).strip()
    if not cleaned:
        raise ConfigError(
            "youtube: the video title is empty (after removing < and >)", field="title"
        )
    if len(cleaned) <= TITLE_MAX:
        return cleaned
    cut = cleaned[: TITLE_MAX - 1].rsplit(" ", 1)[0] or cleaned[: TITLE_MAX - 1]
    return cut.rstrip() + "…"


def clean_description(description: str) -> str:
    cleaned = _ANGLES.sub("", description).strip()
    return cleaned.encode()[:DESCRIPTION_MAX_BYTES].decode(errors="ignore")


def fit_tags(tags: list[str]) -> list[str]:
    """Tags in order, cleaned and de-duplicated, as many as fit in the 500-character budget."""
    kept: list[str] = []
    seen: set[str] = set()
    used = 0
    for raw in tags:
        tag = _SPACES.sub(" ", re.sub(r"[<>,#]", "", raw)).strip()
        if not tag or tag.lower() in seen:
            continue
        cost = len(tag) + (2 if " " in tag else 0) + (1 if kept else 0)
        if used + cost > TAGS_MAX:
            break
        kept.append(tag)
        seen.add(tag.lower())
        used += cost
    return kept


def video_id(video: Mapping[str, Any]) -> str:
    value = video.get("id")
    if not isinstance(value, str) or not value:
        raise ProviderResponseError(NAME, "the finished upload answered without a video id")
    return value


def settled(video: Mapping[str, Any]) -> Literal["processing", "published"]:
    """Where a video resource stands; a rejected, failed or deleted video is an error."""
    status, details = mapping(video.get("status")), mapping(video.get("processingDetails"))
    upload, name = status.get("uploadStatus"), video.get("id", "?")
    unknown = "no reason given"
    problem = {
        "rejected": f"YouTube rejected video {name}: {status.get('rejectionReason', unknown)}",
        "failed": f"video {name} failed to upload: {status.get('failureReason', unknown)}",
        "deleted": f"video {name} was deleted on YouTube",
    }.get(str(upload))
    if problem is None and details.get("processingStatus") == "failed":
        reason = details.get("processingFailureReason", unknown)
        problem = f"YouTube could not process video {name}: {reason}"
    if problem is not None:
        raise ProviderResponseError(NAME, problem, hint=NOT_PUBLISHED_HINT)
    return "published" if upload == "processed" else "processing"


def count(value: object) -> int:
    """A statistics counter: the API sends strings, and a hidden counter is absent (0)."""
    try:
        return max(int(str(value)), 0)
    except ValueError:
        return 0


def mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
