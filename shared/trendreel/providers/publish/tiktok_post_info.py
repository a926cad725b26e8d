"""What a post says and who sees it: ``post_info`` for video/init, from the request and the
creator's current settings.

Direct Post (https://developers.tiktok.com/doc/content-posting-api-reference-direct-post):
``privacy_level`` must be one of creator_info/query's ``privacy_level_options``; ``title`` is
the caption, at most 2200 UTF-16 units; ``disable_comment``/``disable_duet``/``disable_stitch``
must honour what the creator turned off; ``is_aigc`` labels the video "Creator labeled as
AI-generated" (trendreel's videos always are). TikTok has no unlisted posts and no scheduling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trendreel.models.publishing import Privacy
from trendreel.providers.publish.base import PublishRequest
from trendreel.providers.publish.tiktok_models import CreatorInfo

SELF_ONLY = "SELF_ONLY"
PUBLIC_TO_EVERYONE = "PUBLIC_TO_EVERYONE"
#: Narrowest audience first.
MOST_PRIVATE_FIRST = (SELF_ONLY, "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", PUBLIC_TO_EVERYONE)
#: Unlisted has no TikTok equivalent; mutual friends is the audience both public and private
#: accounts are offered that is neither everyone nor only the creator.
_WANTED = {
    Privacy.PRIVATE: SELF_ONLY,
    Privacy.UNLISTED: "MUTUAL_FOLLOW_FRIENDS",
    Privacy.PUBLIC: PUBLIC_TO_EVERYONE,
}
TITLE_MAX_UTF16 = 2200
UNAUDITED_NOTE = (
    "TikTok posted this only for the creator to see (SELF_ONLY): the app has not passed "
    "TikTok's audit, and TikTok restricts an unaudited app's posts to private viewing. Once it "
    "has, make the account public and set this post to Everyone in the TikTok app."
)


@dataclass(frozen=True)
class PrivacyChoice:
    level: str
    note: str | None  # why the post is not what was asked for, when it is not


def choose_privacy(asked: Privacy, offered: Sequence[str]) -> PrivacyChoice:
    """The asked-for level if the creator is offered it, else the most private one offered."""
    wanted = _WANTED[asked]
    if wanted in offered:
        note = None
        if asked is Privacy.UNLISTED:
            note = "TikTok has no unlisted posts: posted for mutual-follow friends only."
        return PrivacyChoice(wanted, note)
    known = [level for level in MOST_PRIVATE_FIRST if level in offered]
    level = known[0] if known else offered[0]
    note = (
        f"TikTok does not offer {wanted} to this account (it offers {', '.join(offered)}), "
        f"so the post is {level}: the most private option offered."
    )
    return PrivacyChoice(level, note)


def post_info(request: PublishRequest, creator: CreatorInfo, level: str) -> dict[str, Any]:
    return {
        "title": caption(request),
        "privacy_level": level,
        "disable_comment": creator.comment_disabled,
        "disable_duet": creator.duet_disabled,
        "disable_stitch": creator.stitch_disabled,
        "brand_content_toggle": False,
        "brand_organic_toggle": False,
        "is_aigc": request.ai_generated,
    }


def caption(request: PublishRequest) -> str:
    """Title, description and hashtags (TikTok matches ``#tag`` words), cut to 2200 units."""
    parts = [request.title.strip(), request.description.strip()]
    tags = (tag.strip().lstrip("#").replace(" ", "") for tag in request.tags)
    hashtags = " ".join(f"#{tag}" for tag in tags if tag)
    return utf16_prefix("\n\n".join(part for part in [*parts, hashtags] if part), TITLE_MAX_UTF16)


def utf16_prefix(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` UTF-16 code units; a character outside
    the Basic Multilingual Plane (most emoji) takes two and is never split."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return text[:index]
    return text
