"""Everything a YouTube publisher test needs: the fake on 127.0.0.1, a connected account, settings
pointing at the fake, a real video file on disk, and a ``record`` that keeps what it was given."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.support.fakes.tokens import TokenRegistry
from tests.support.fakes.youtube import FakeYouTube
from tests.support.fakes.youtube_tokens import RegistryTokens
from trendreel.models.publishing import Privacy, RemoteSession
from trendreel.providers.base import UsageLog
from trendreel.providers.publish.base import PublishRequest
from trendreel.providers.publish.youtube import YouTubePublisher
from trendreel.settings import Settings

CHUNK = 256 * 1024
NOW = datetime(2025, 3, 8, 20, 0, tzinfo=UTC)  # noon PST, the day before DST starts
#: A 1x1 PNG: a real image, as the fake checks the magic number.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass
class World:
    fake: FakeYouTube
    registry: TokenRegistry
    tokens: RegistryTokens
    settings: Settings
    sleeps: list[float] = field(default_factory=list)
    recorded: list[RemoteSession] = field(default_factory=list)
    puts_when_recorded: list[int] = field(default_factory=list)
    usage: UsageLog = field(default_factory=UsageLog)
    now: datetime = NOW

    def publisher(self, **overrides: Any) -> YouTubePublisher:
        options: dict[str, Any] = {
            "sleep": self.sleeps.append,
            "chunk_size": CHUNK,
            "now": lambda: self.now,
        }
        return YouTubePublisher(self.settings, self.tokens, **(options | overrides))

    def record(self, session: RemoteSession) -> None:
        """The job store's save: notes how many bytes the platform had when it was called."""
        self.puts_when_recorded.append(len(self.fake.chunk_puts()))
        self.recorded.append(session)

    def operations(self) -> list[str]:
        return [call.operation for call in self.usage.calls]


@contextmanager
def youtube_world(**fake_options: Any) -> Iterator[World]:
    registry = TokenRegistry(prefix="yt")
    fake = FakeYouTube(registry, **fake_options)
    with fake:
        settings = Settings(
            youtube_upload_base_url=fake.upload_base,
            youtube_base_url=fake.data_base,
            http_timeout_seconds=5.0,
            http_max_retries=2,
            http_backoff_seconds=0.5,
            publish_poll_seconds=30.0,
        )
        yield World(fake, registry, RegistryTokens.connect(registry), settings)


def video_file(folder: Path, size: int, name: str = "short.mp4") -> Path:
    """A file of ``size`` reproducible, non-repeating bytes."""
    path = folder / name
    path.write_bytes(random.Random(size).randbytes(size))
    return path


def request_for(video: Path, **overrides: Any) -> PublishRequest:
    values: dict[str, Any] = {
        "job_id": "job-123456",
        "video_path": video,
        "size": video.stat().st_size,
        "duration_seconds": 30.0,
        "title": "Five facts about octopuses",
        "description": "Eight arms, three hearts.",
        "tags": ["octopus", "ocean facts", "shorts"],
        "privacy": Privacy.UNLISTED,
    }
    return PublishRequest(**(values | overrides))


def open_session_directly(world: World, video: Path, send: int = 0) -> RemoteSession:
    """What an earlier process left behind: a session it opened and recorded, and the first
    ``send`` bytes it put before it died."""
    auth = {"Authorization": f"Bearer {world.tokens.access_token()}"}
    declared = {
        "X-Upload-Content-Length": str(video.stat().st_size),
        "X-Upload-Content-Type": "video/mp4",
    }
    opened = httpx.post(
        f"{world.fake.upload_base}/videos",
        params={"uploadType": "resumable", "part": "snippet,status"},
        json={"snippet": {"title": "Earlier attempt", "categoryId": "22"}},
        headers=auth | declared,
    )
    url = opened.headers["Location"]
    if send:
        data = video.read_bytes()[:send]
        span = f"bytes 0-{send - 1}/{video.stat().st_size}"
        put = httpx.put(url, content=data, headers=auth | {"Content-Range": span})
        assert put.status_code == 308, put.text
    return RemoteSession(
        kind="youtube_resumable", upload_url=url, size=video.stat().st_size, opened_at=NOW
    )
