"""What a ``FAILED`` post status means and what to do about it.

The reasons and TikTok's guidance are the ``fail_reason`` table of Get Post Status
(https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status); the limits
named in the hints are its Video restrictions
(https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide). A failed publish_id
never becomes a post, so a new upload for it is always safe; it is worth making only for the
reasons in ``RENEWABLE`` (the others would fail the same file the same way).
"""

from __future__ import annotations

from trendreel.errors import ProviderResponseError

_AGAIN = "Publish again: the new attempt opens a new upload."
FAIL_HINTS: dict[str, str] = {
    "file_format_check_failed": "TikTok takes MP4, WebM or MOV (H.264 recommended); re-render.",
    "duration_check_failed": (
        "The video's duration is outside what this TikTok account may post; render a shorter one."
    ),
    "frame_rate_check_failed": "TikTok takes 23 to 60 fps; render at a frame rate in that range.",
    "picture_size_check_failed": "TikTok takes 360 to 4096 pixels a side; re-render in that range.",
    "internal": f"TikTok failed on its side, which it calls retryable. {_AGAIN}",
    "publish_cancelled": f"The post was cancelled. {_AGAIN}",
    "auth_removed": (
        "The creator removed trendreel's access while the post was processing: run "
        "`trendreel accounts connect tiktok`, then publish again."
    ),
    "spam_risk_too_many_posts": (
        "The account made too many posts through the API in the last 24 hours; publish again "
        "tomorrow, or post this video from the TikTok app."
    ),
    "spam_risk_user_banned_from_posting": (
        "TikTok has banned the account from making new posts; retrying will not help."
    ),
    "spam_risk_text": "TikTok judged the caption risky or spammy; change title and description.",
    "spam_risk": "TikTok judged the post risky and stopped it; retrying will not help.",
}


#: Reasons that say nothing against the video itself: a new upload of the same file may post.
RENEWABLE = frozenset({"internal", "publish_cancelled", "auth_removed", "spam_risk_too_many_posts"})


def failed_error(publish_id: str, fail_reason: str | None) -> ProviderResponseError:
    reason = fail_reason or "no reason given"
    hint = FAIL_HINTS.get(
        reason, f"TikTok gave the reason {reason!r} (see its fail_reason table). {_AGAIN}"
    )
    return ProviderResponseError("tiktok", f"post {publish_id} failed: {reason}", hint=hint)
