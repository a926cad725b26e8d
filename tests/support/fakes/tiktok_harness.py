"""Everything a TikTok publisher test needs: the fake server, the account's tokens, time that
moves only when someone sleeps, and videos on disk."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.fakes.tiktok import FakeTikTok
from tests.support.fakes.tiktok_rules import ChunkLimits
from tests.support.fakes.tokens import TokenRegistry
from trendreel.models.publishing import Privacy, RemoteSession
from trendreel.providers.publish.base import PublishRequest
from trendreel.providers.publish.tiktok import TikTokPublisher
from trendreel.providers.publish.tiktok_chunks import ChunkRules
from trendreel.settings import Settings

KIB = 1024
SCOPES = {"user.info.basic", "video.publish", "video.list"}
#: TikTok's rules scaled from MB to KB, so that multi-chunk uploads take a few hundred KB.
SMALL_RULES = ChunkRules(
    min_chunk=5 * KIB, max_chunk=64 * KIB, max_final_chunk=128 * KIB, max_video=4 * 1024 * KIB
)
SMALL_LIMITS = ChunkLimits(
    min_chunk=5 * KIB, max_chunk=64 * KIB, max_final=128 * KIB, max_video=4 * 1024 * KIB
)


class FakeTime:
    """A clock that moves only when ``sleep`` is called (the publisher's and the fake's)."""

    def __init__(self, start: datetime = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)) -> None:
        self._now = start
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self._now

    def time(self) -> float:
        return self._now.timestamp()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


class RegistryTokens:
    """An AccessTokens double: access tokens exchanged from one refresh token of the registry,
    cached until invalidated (as the real account store does)."""

    def __init__(self, registry: TokenRegistry, refresh_token: str, ttl: float = 3600) -> None:
        self._registry = registry
        self._refresh = refresh_token
        self._ttl = ttl
        self._cached: str | None = None
        self.invalidated: list[str] = []

    def access_token(self) -> str:
        if self._cached is None:
            issued = self._registry.exchange(self._refresh, ttl_seconds=self._ttl)
            assert issued is not None, "the refresh token was revoked"
            self._cached = issued[0]
        return self._cached

    def invalidate(self, token: str) -> None:
        self.invalidated.append(token)
        if token == self._cached:
            self._cached = None


@dataclass
class Recorder:
    """The ``record`` callback: keeps every session saved, in order."""

    sessions: list[RemoteSession] = field(default_factory=list)

    def __call__(self, session: RemoteSession) -> None:
        self.sessions.append(session)


@dataclass
class TikTokHarness:
    fake: FakeTikTok
    registry: TokenRegistry
    tokens: RegistryTokens
    time: FakeTime
    folder: Path

    @classmethod
    def start(cls, folder: Path, *, scopes: set[str] = SCOPES, ttl: float = 3600) -> TikTokHarness:
        registry = TokenRegistry(prefix="act")
        clock = FakeTime()
        fake = FakeTikTok(registry, clock=clock.time).start()
        fake.account.limits = SMALL_LIMITS
        tokens = RegistryTokens(registry, registry.grant(scopes), ttl)
        return cls(fake, registry, tokens, clock, folder)

    def stop(self) -> None:
        self.fake.stop()

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "tiktok_base_url": self.fake.url,
            "home": self.folder / "home",
            "http_timeout_seconds": 10.0,
            "http_max_retries": 2,
            "http_backoff_seconds": 0.5,
            "publish_poll_seconds": 60.0,
            **overrides,
        }
        return Settings(**values)

    def publisher(self, settings: Settings | None = None, **options: Any) -> TikTokPublisher:
        options = {"chunk_size": 10 * KIB, "chunk_rules": SMALL_RULES, **options}
        return TikTokPublisher(
            settings or self.settings(),
            self.tokens,
            sleep=self.time.sleep,
            clock=self.time.now,
            **options,
        )

    def video(self, size: int, *, name: str = "video.mp4", **fields: Any) -> PublishRequest:
        """A video of ``size`` random bytes on disk, and the request to post it."""
        path = self.folder / name
        path.write_bytes(random.Random(size).randbytes(size))
        values: dict[str, Any] = {
            "job_id": "job-tiktok-1",
            "title": "Solar kites light up the beach",
            "description": "Three facts about the kites everyone is filming this week.",
            "tags": ["solarkite", "beach"],
            "duration_seconds": 30.0,
            "privacy": Privacy.PUBLIC,
            **fields,
        }
        return PublishRequest(video_path=path, size=size, **values)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
