"""``thumbnails.set``: the custom thumbnail, set after the video exists, never at its expense.

POST {upload base}/thumbnails/set?videoId=ID with the image as the body (``image/jpeg``,
``image/png``; https://developers.google.com/youtube/v3/docs/thumbnails/set, 50 quota units).
Custom thumbnails need a channel that may use them (phone-verified, past YouTube's probation);
otherwise YouTube answers 403 ``forbidden``.

Decision: the video is what the publication promises, the thumbnail is decoration. A failure that
retrying cannot fix (403 not allowed, a bad image, quota spent, an unreadable file) is logged as
a warning and the publication succeeds with YouTube's automatic thumbnail. A transient failure
(5xx, timeouts, rate limits, after the client's own retries) is raised as retryable: the queue's
retry asks the recorded session, finds the finished upload and only sets the thumbnail again.
Setting it twice is harmless; uploading the video twice never happens.
"""

from __future__ import annotations

import logging
from pathlib import Path

from trendreel.errors import ProviderAuthError, ProviderError
from trendreel.providers.base import UsageLog
from trendreel.providers.publish.youtube_http import YouTubeHttp
from trendreel.providers.publish.youtube_quota import COST, NAME

FORBIDDEN_HINT = (
    "Custom thumbnails need a verified channel: verify it at https://www.youtube.com/verify, "
    "then set the thumbnail in YouTube Studio."
)
_log = logging.getLogger(__name__)


def set_thumbnail(http: YouTubeHttp, video_id: str, image: Path, usage: UsageLog) -> bool:
    """True once the thumbnail is set; False (logged) when it cannot be; raises if transient."""
    content_type = "image/png" if image.suffix.lower() == ".png" else "image/jpeg"
    try:
        body = image.read_bytes()
    except OSError as exc:
        _log.warning("youtube: video %s keeps its automatic thumbnail: %s", video_id, exc.strerror)
        return False
    params = {"videoId": video_id, "uploadType": "media"}
    try:
        http.call(
            http.upload,
            "POST",
            "/thumbnails/set",
            body=body,
            headers={"Content-Type": content_type},
            params=params,
        )
    except ProviderError as exc:
        if exc.retryable:
            raise
        hint = FORBIDDEN_HINT if isinstance(exc, ProviderAuthError) else exc.hint
        _log.warning(
            "youtube: video %s keeps its automatic thumbnail: %s. %s", video_id, exc.message, hint
        )
        return False
    usage.record(NAME, "thumbnails.set", *COST["thumbnails.set"])
    return True
