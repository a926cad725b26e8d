"""A Publisher double that keeps the protocol's promises in memory: a recorded session is asked
before anything else, and a second upload for one session is a test failure. The platform
doubles that speak the real APIs are tests/support/fakes/youtube.py and tiktok.py; this one lets
the publish function's own protocol (leases, retries, failure records) be tested alone."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from trendreel.errors import ProviderError, ProviderQuotaExceededError, ProviderUnavailableError
from trendreel.models.publishing import MetricReading, PublishPlatform, RemoteSession
from trendreel.providers.base import UsageLog
from trendreel.providers.publish.base import PublishRequest, PublishResult, RecordSession


@dataclass
class FakePublisher:
    platform: PublishPlatform = PublishPlatform.YOUTUBE
    uploads: int = 0  # sessions opened
    bytes_sent: int = 0
    fail_with: list[ProviderError] = field(default_factory=list)  # raised by the next calls
    crash_after_upload: bool = False  # finishes the upload, then "dies" before returning
    processing_polls: int = 0  # status() answers processing this many times
    hold: threading.Event | None = None  # publish() waits on it (to race two deliveries)
    entered: threading.Event = field(default_factory=threading.Event)
    finished: set[str] = field(default_factory=set)  # session URLs whose upload completed
    seen: list[RemoteSession | None] = field(default_factory=list)
    views: int = 0

    def publish(
        self,
        request: PublishRequest,
        session: RemoteSession | None,
        record: RecordSession,
        usage: UsageLog,
    ) -> PublishResult:
        self.seen.append(session)
        self.entered.set()
        if self.hold is not None:
            self.hold.wait(10)
        if self.fail_with:
            raise self.fail_with.pop(0)
        if session is not None and session.upload_url in self.finished:
            return self._done(session)  # asked where it stands: finished, nothing sent
        if session is None:
            self.uploads += 1
            session = RemoteSession(
                kind="youtube_resumable",
                upload_url=f"https://upload.example/session/{self.uploads}",
                size=request.size,
                opened_at=datetime.now(UTC),
            )
            record(session)  # before the first byte
        self.bytes_sent += request.size
        self.finished.add(session.upload_url)
        if self.crash_after_upload:
            self.crash_after_upload = False
            raise ProviderUnavailableError(self.platform.value, "connection reset after upload")
        return self._done(session)

    def _done(self, session: RemoteSession) -> PublishResult:
        remote_id = f"vid-{session.upload_url[-1]}"
        if self.processing_polls:
            return PublishResult(status="processing", remote_id=remote_id)
        return PublishResult(status="published", remote_id=remote_id)

    def status(
        self, remote_id: str, session: RemoteSession | None, usage: UsageLog
    ) -> PublishResult:
        self.processing_polls = max(self.processing_polls - 1, 0)
        url = f"https://v.example/{remote_id}"
        if self.processing_polls:
            return PublishResult(status="processing", remote_id=remote_id, url=url)
        return PublishResult(status="published", remote_id=remote_id, url=url)

    def metrics(
        self, remote_id: str, checkpoint: str, now: datetime, usage: UsageLog
    ) -> MetricReading:
        self.views += 100
        return MetricReading.model_validate(
            {
                "checkpoint": checkpoint,
                "read_at": now,
                "views": self.views,
                "likes": 3,
                "comments": 1,
            }
        )


def quota() -> ProviderQuotaExceededError:
    return ProviderQuotaExceededError(
        "youtube", "the project's daily YouTube Data API quota is used up; it resets at 08:00 UTC"
    )
