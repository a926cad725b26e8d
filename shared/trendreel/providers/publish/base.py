"""What a platform publisher is: the protocol the publish function drives, and its inputs.

Exactly once: ``Publisher.publish`` gets the session recorded by an earlier attempt (or None)
and a ``record`` callback. Before sending the first byte of a new upload it must call
``record(session)``; the callback durably saves the session on the job (a store transaction)
and returns only once it is saved. With a recorded session it never opens a second one: it asks
the platform where the session stands, then resumes from the acknowledged offset, or, if the
upload finished, returns the existing remote video.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from trendreel.errors import ProviderAuthError
from trendreel.models.publishing import MetricReading, Privacy, PublishPlatform, RemoteSession
from trendreel.providers.base import UsageLog


@dataclass(frozen=True)
class PublishRequest:
    """One video to post, with what the platform shows beside it (taken from the script)."""

    job_id: str
    video_path: Path  # the finished mp4, on local disk (downloaded from the blob store)
    size: int  # bytes
    duration_seconds: float
    title: str  # YouTube: at most 100 characters, no < or >
    description: str
    tags: list[str] = field(default_factory=list)
    privacy: Privacy = Privacy.PRIVATE
    made_for_kids: bool = False
    publish_at: datetime | None = None
    thumbnail_path: Path | None = None  # a JPEG or PNG
    # Always true for trendreel's videos: YouTube status.containsSyntheticMedia, TikTok's
    # is_aigc label.
    ai_generated: bool = True


@dataclass(frozen=True)
class PublishResult:
    """Where the post stands after ``publish`` returns."""

    status: Literal["processing", "published"]
    remote_id: str
    url: str | None = None
    # Set when the post is more private than asked, and why (TikTok: unaudited app).
    privacy_note: str | None = None


#: Saves the session on the job before the first byte goes up; raises if it could not be saved.
RecordSession = Callable[[RemoteSession], None]


class AccessTokens(Protocol):
    """OAuth 2.0 access tokens for one connected account, from its stored refresh token."""

    def access_token(self) -> str:
        """A current access token: the cached one, or a new one from the refresh token.
        Raises ProviderNotConfiguredError when no account is connected, ProviderAuthError
        when the refresh token was revoked (the hint says ``trendreel accounts connect``)."""
        ...

    def invalidate(self, token: str) -> None:
        """The platform rejected ``token`` (401): the next ``access_token`` refreshes. A
        publisher refreshes at most once per call it makes; a second 401 is an auth error."""
        ...


class TokenRejectedError(ProviderAuthError):
    """The platform refused the access token (expired or revoked); ``with_fresh_token``
    refreshes it once. Each platform's own subclass carries its reconnect hint."""


T = TypeVar("T")


def with_fresh_token(tokens: AccessTokens, send: Callable[[str], T]) -> T:
    """``send`` with the account's access token; a rejected token is invalidated and ``send``
    repeated once with a fresh one. A second rejection propagates."""
    token = tokens.access_token()
    try:
        return send(token)
    except TokenRejectedError:
        tokens.invalidate(token)
    return send(tokens.access_token())


class Publisher(Protocol):
    platform: PublishPlatform

    def publish(
        self,
        request: PublishRequest,
        session: RemoteSession | None,
        record: RecordSession,
        usage: UsageLog,
    ) -> PublishResult:
        """Upload and post ``request`` exactly once (see the module docstring). Raises the
        ProviderError tree: retryable errors (5xx, timeouts, rate limits, still processing) are
        retried by the queue with the recorded session; others fail the publication with a
        message that names the platform, the cause and the fix."""
        ...

    def status(
        self, remote_id: str, session: RemoteSession | None, usage: UsageLog
    ) -> PublishResult:
        """Where an earlier post stands now (TikTok: ``status/fetch``; YouTube: ``videos.list``
        processing status)."""
        ...

    def metrics(
        self, remote_id: str, checkpoint: str, now: datetime, usage: UsageLog
    ) -> MetricReading:
        """The video's views, likes and comments now (YouTube ``videos.list`` statistics,
        TikTok ``video/query``)."""
        ...
