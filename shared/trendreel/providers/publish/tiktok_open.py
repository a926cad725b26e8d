"""Opening a Direct Post: creator_info/query, then video/init, recorded before the first byte.

Direct Post (https://developers.tiktok.com/doc/content-posting-api-reference-direct-post) asks
for the creator's current settings first: the privacy levels offered, the comment/duet/stitch
switches and ``max_video_post_duration_sec``, which "developers should use ... to stop video
posts that are too long" (Query Creator Info).

The unaudited app. "All content posted by unaudited clients will be restricted to private
viewing mode"; its posts must be ``SELF_ONLY`` and its creators' accounts private (Content
Sharing Guidelines, https://developers.tiktok.com/doc/content-sharing-guidelines). TikTok says so
by blocking video/init with ``unaudited_client_can_only_post_to_private_accounts``, which creates
nothing. So when a wider audience was asked for, init is tried once more as SELF_ONLY and the
result carries a ``privacy_note`` saying why the post is private (the creator can widen it in the
app after the audit); a post that is private is more use than none, and it is not silent. If
SELF_ONLY is blocked too (a public account), the error says to make the account private.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from trendreel.errors import ProviderError, ProviderResponseError
from trendreel.models.publishing import RemoteSession
from trendreel.providers.publish.base import PublishRequest, RecordSession
from trendreel.providers.publish.tiktok_api import CREATOR_INFO, VIDEO_INIT, TikTokApi
from trendreel.providers.publish.tiktok_chunks import ChunkPlan, ChunkRules, plan_chunks
from trendreel.providers.publish.tiktok_errors import PROVIDER, UnauditedClientError
from trendreel.providers.publish.tiktok_models import CreatorInfo, InitData, parse
from trendreel.providers.publish.tiktok_post_info import (
    SELF_ONLY,
    UNAUDITED_NOTE,
    choose_privacy,
    post_info,
)


class Opener:
    """Opens at most one upload per call of ``open`` and remembers what it learnt."""

    def __init__(
        self,
        api: TikTokApi,
        request: PublishRequest,
        clock: Callable[[], datetime],
        chunk_size: int,
        rules: ChunkRules,
    ) -> None:
        self._api = api
        self._request = request
        self._clock = clock
        self._chunk_size = chunk_size
        self._rules = rules
        self._creator: CreatorInfo | None = None
        self.note: str | None = None  # set when the post is more private than asked

    def open(self, record: RecordSession) -> RemoteSession:
        request = self._request
        on_disk = request.video_path.stat().st_size
        if on_disk != request.size:
            raise ProviderResponseError(
                PROVIDER, f"the video has {on_disk} bytes on disk, not the {request.size} expected"
            )
        creator = self.creator()
        _check_duration(request, creator)
        plan = plan_chunks(request.size, self._chunk_size, self._rules)
        init = self._init(creator, plan)
        session = RemoteSession(
            kind="tiktok_direct_post",
            publish_id=init.publish_id,
            upload_url=init.upload_url,
            size=plan.video_size,
            chunk_size=plan.chunk_size,
            opened_at=self._clock(),
        )
        record(session)  # durably saved before the first byte goes up
        return session

    def creator(self) -> CreatorInfo:
        if self._creator is None:
            data = self._api.call(CREATOR_INFO)
            self._creator = parse(CreatorInfo, data, f"POST {CREATOR_INFO.path}")
        return self._creator

    def username(self) -> str | None:
        if self._creator is not None:
            return self._creator.creator_username or None
        return creator_username(self._api)

    def _init(self, creator: CreatorInfo, plan: ChunkPlan) -> InitData:
        choice = choose_privacy(self._request.privacy, creator.privacy_level_options)
        try:
            data = self._init_as(creator, plan, choice.level)
        except UnauditedClientError:
            if choice.level == SELF_ONLY:
                raise
            data = self._init_as(creator, plan, SELF_ONLY)  # blocked again: the account is public
            self.note = UNAUDITED_NOTE
            return data
        self.note = choice.note
        return data

    def _init_as(self, creator: CreatorInfo, plan: ChunkPlan, level: str) -> InitData:
        body = {
            "post_info": post_info(self._request, creator, level),
            "source_info": plan.source_info(),
        }
        return parse(InitData, self._api.call(VIDEO_INIT, body), f"POST {VIDEO_INIT.path}")


def post_url(username: str | None, post_id: str) -> str | None:
    return f"https://www.tiktok.com/@{username}/video/{post_id}" if username else None


def creator_username(api: TikTokApi) -> str | None:
    """The connected creator's handle, or None if TikTok will not say right now (only a URL
    depends on it; the post exists either way)."""
    try:
        data = api.call(CREATOR_INFO)
        return parse(CreatorInfo, data, f"POST {CREATOR_INFO.path}").creator_username or None
    except ProviderError:
        return None


def _check_duration(request: PublishRequest, creator: CreatorInfo) -> None:
    limit = creator.max_video_post_duration_sec
    if request.duration_seconds > limit:
        raise ProviderResponseError(
            PROVIDER,
            f"this account can post videos of at most {limit} s, and this one is "
            f"{request.duration_seconds:.1f} s",
            hint=f"Render a video of at most {limit} s (the theme config's duration) to post it.",
        )
