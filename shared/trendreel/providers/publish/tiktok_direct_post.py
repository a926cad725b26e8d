"""One delivery of a TikTok Direct Post: open (or find) the upload, send what TikTok lacks, wait.

Exactly once hangs on the ``publish_id``. A new post asks creator_info/query, calls video/init
once, and records the publish_id and upload URL before the first byte. With a recorded session
status/fetch is asked first: the chunks TikTok lacks (from the chunk holding ``uploaded_bytes``)
go to the recorded upload URL, an upload TikTok has whole is only waited for.

Waiting is bounded by ``publish_poll_seconds``; a post still processing then is returned as
``processing`` (the publish runner records it, privacy note included, and asks ``status``
later), since TikTok's moderation of a public post "may take a few hours" (Get Post Status).

A recorded publish_id that can never become a post is replaced by a new upload, recorded in its
place, and only then. That is a ``FAILED`` one ("the entire process has failed") whose reason
says nothing against the video (TikTok's own ``internal`` failure, say, when a person asks to
publish again), or one whose upload URL is past its life with bytes still missing: TikTok keeps
the URL "valid for one hour after issuance. The upload must be completed in this time range"
(Direct Post reference), answers 403 to it afterwards (Media Transfer Guide), and has no way to
renew it or to cancel a FILE_UPLOAD task (its cancel endpoint is for PULL_FROM_URL). TikTok
starts posting only once every chunk is in (the final PUT's 201), so such a publish_id stays a
fragment, and the video is still posted once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from trendreel.errors import ProviderResponseError
from trendreel.models.publishing import RemoteSession
from trendreel.providers.publish.base import PublishRequest, PublishResult, RecordSession
from trendreel.providers.publish.tiktok_api import STATUS_FETCH, TikTokApi
from trendreel.providers.publish.tiktok_chunks import ChunkPlan
from trendreel.providers.publish.tiktok_errors import PROVIDER, UploadUrlExpiredError
from trendreel.providers.publish.tiktok_failures import RENEWABLE, failed_error
from trendreel.providers.publish.tiktok_models import (
    FAILED,
    PROCESSING_UPLOAD,
    PUBLISH_COMPLETE,
    PostStatus,
    parse,
)
from trendreel.providers.publish.tiktok_open import Opener, post_url

UPLOAD_URL_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class Pacing:
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    poll_seconds: float  # how long one delivery waits for TikTok to finish
    poll_interval: float


class DirectPost:
    def __init__(
        self, api: TikTokApi, opener: Opener, request: PublishRequest, pacing: Pacing
    ) -> None:
        self._api = api
        self._opener = opener
        self._video: Path = request.video_path
        self._size = request.size
        self._pacing = pacing

    def run(self, session: RemoteSession | None, record: RecordSession) -> PublishResult:
        if session is None:
            return self._fresh(record)
        known = fetch_status(self._api, publish_id_of(session))
        lacking = _lacks_bytes(known, session)
        expired = self._pacing.clock() - session.opened_at >= UPLOAD_URL_LIFETIME
        renewable = known.status == FAILED and known.fail_reason in RENEWABLE
        if renewable or (lacking and expired):
            return self._fresh(record)  # the recorded one can never post (module docstring)
        if lacking:
            if session.size != self._size:
                raise ProviderResponseError(
                    PROVIDER, f"the video is {self._size} bytes, its upload {session.size}"
                )
            return self._wait(self._send(session, known.uploaded_bytes or 0, record), None)
        return self._wait(session, known)

    def _fresh(self, record: RecordSession) -> PublishResult:
        return self._wait(self._send(self._opener.open(record), 0, record), None)

    def _send(self, session: RemoteSession, offset: int, record: RecordSession) -> RemoteSession:
        """The chunks from the one holding ``offset``; reopens once if the URL expired."""
        try:
            self._put_from(session, offset)
        except UploadUrlExpiredError:
            if not _lacks_bytes(fetch_status(self._api, publish_id_of(session)), session):
                return session  # TikTok had every byte; the status says the rest
            session = self._opener.open(record)
            self._put_from(session, 0)
        return session

    def _put_from(self, session: RemoteSession, offset: int) -> None:
        plan = ChunkPlan(session.size, session.chunk_size or session.size)
        last = plan.total_chunk_count - 1
        for index in range(plan.index_of(offset), last + 1):
            status = self._api.put_chunk(session.upload_url, plan, index, self._video)
            expected = 201 if index == last else 206
            if status != expected:
                raise ProviderResponseError(
                    PROVIDER, f"chunk {index + 1}/{last + 1} answered {status}, not {expected}"
                )

    def _wait(self, session: RemoteSession, known: PostStatus | None) -> PublishResult:
        """Polls status/fetch until the post is complete or failed, or the delivery's time is up
        (then the post is returned as processing)."""
        clock = self._pacing.clock
        deadline = clock() + timedelta(seconds=self._pacing.poll_seconds)
        status = known or fetch_status(self._api, publish_id_of(session))
        while status.status not in (PUBLISH_COMPLETE, FAILED):
            left = (deadline - clock()).total_seconds()
            if left <= 0:
                break
            self._pacing.sleep(min(self._pacing.poll_interval, left))
            status = fetch_status(self._api, publish_id_of(session))
        opener = self._opener
        return result_of(publish_id_of(session), status, opener.note, opener.username)


def publish_id_of(session: RemoteSession) -> str:
    if session.kind != "tiktok_direct_post" or not session.publish_id:
        raise ProviderResponseError(PROVIDER, f"a {session.kind} session is not a TikTok post")
    return session.publish_id


def fetch_status(api: TikTokApi, publish_id: str) -> PostStatus:
    data = api.call(STATUS_FETCH, {"publish_id": publish_id})
    return parse(PostStatus, data, f"POST {STATUS_FETCH.path}")


def result_of(
    publish_id: str, status: PostStatus, note: str | None, username: Callable[[], str | None]
) -> PublishResult:
    """A terminal or current status as a PublishResult (FAILED raises)."""
    if status.status == FAILED:
        raise failed_error(publish_id, status.fail_reason)
    if status.status != PUBLISH_COMPLETE:
        return PublishResult("processing", remote_id=publish_id, privacy_note=note)
    # A post id exists once the post is public and through moderation; a private post has none.
    post_id = status.post_ids[0] if status.post_ids else None
    url = post_url(username(), post_id) if post_id else None
    return PublishResult("published", post_id or publish_id, url=url, privacy_note=note)


def _lacks_bytes(status: PostStatus, session: RemoteSession) -> bool:
    return status.status == PROCESSING_UPLOAD and (status.uploaded_bytes or 0) < session.size
