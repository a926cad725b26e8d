"""Issue 10's end-to-end proof on the embedded default: a job generated with ``auto_post: true``,
approved by a person, is published on the fake YouTube (its target platform, automatically) and
on the fake TikTok (asked through the api), exactly once each, however often it is asked; then
its numbers come back.

Both platforms are the project's doubles (tests/support/fakes), reached through the real
publishers over HTTP, with accounts connected as ``trendreel accounts connect`` stores them and
OAuth access tokens minted by the fake authorization servers. Everything else runs with the
defaults users get."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.e2e.conftest import TOKEN, finished, short_config, wait_for_job
from tests.support.fakes.oauth import FakeGoogleOAuth, FakeTikTokOAuth
from tests.support.fakes.tiktok import FakeTikTok
from tests.support.fakes.tokens import TokenRegistry
from tests.support.fakes.webhook_receiver import WebhookReceiver
from tests.support.fakes.youtube import FakeYouTube
from trendreel import services
from trendreel.accounts.store import StoredAccount, save_account
from trendreel.local_server import LocalServer
from trendreel.models.publishing import PublishPlatform
from trendreel.settings import Settings

pytestmark = pytest.mark.slow
YOUTUBE_SCOPES = (
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.readonly",
)
TIKTOK_SCOPES = ("user.info.basic", "video.publish", "video.upload", "video.list")


@dataclasses.dataclass
class Platforms:
    youtube: FakeYouTube
    google: FakeGoogleOAuth
    tiktok: FakeTikTok
    tiktok_oauth: FakeTikTokOAuth


@pytest.fixture
def platforms() -> Iterator[Platforms]:
    yt_tokens, tt_tokens = TokenRegistry("yt"), TokenRegistry("tt")
    fakes = Platforms(
        FakeYouTube(yt_tokens, processed_after=0),
        FakeGoogleOAuth(yt_tokens),
        FakeTikTok(tt_tokens),
        FakeTikTokOAuth(tt_tokens),
    )
    fakes.youtube.start()
    fakes.google.start()
    fakes.tiktok.start()
    fakes.tiktok_oauth.start()
    try:
        yield fakes
    finally:
        fakes.youtube.stop()
        fakes.google.stop()
        fakes.tiktok.stop()
        fakes.tiktok_oauth.stop()


def connected_settings(home: Path, fakes: Platforms) -> Settings:
    """Default settings, pointed at the doubles, with both accounts connected."""
    settings = Settings(
        home=home,
        port=0,
        api_token=SecretStr(TOKEN),
        youtube_client_id=fakes.google.client_id,
        youtube_client_secret=SecretStr(fakes.google.client_secret),
        google_oauth_token_url=fakes.google.token_url,
        youtube_upload_base_url=fakes.youtube.upload_base,
        youtube_base_url=fakes.youtube.data_base,
        tiktok_client_key=fakes.tiktok_oauth.client_key,
        tiktok_client_secret=SecretStr(fakes.tiktok_oauth.client_secret),
        tiktok_token_url=f"{fakes.tiktok_oauth.url}/v2/oauth/token/",
        tiktok_base_url=fakes.tiktok.url,
        publish_privacy="public",
    )
    now = datetime.now(UTC)
    for platform, registry, scopes, client in (
        (PublishPlatform.YOUTUBE, fakes.google.registry, YOUTUBE_SCOPES, fakes.google.client_id),
        (PublishPlatform.TIKTOK, fakes.tiktok_oauth.registry, TIKTOK_SCOPES,
         fakes.tiktok_oauth.client_key),
    ):  # fmt: skip
        account = StoredAccount(
            platform=platform,
            refresh_token=SecretStr(registry.grant(set(scopes))),
            scopes=scopes,
            client_id=client,
            connected_at=now,
        )
        save_account(settings, account)
    return settings


def wait_for_video(api: httpx.Client, video_id: str, done: Any, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        video = api.get(f"/videos/{video_id}").json()
        if done(video) or time.monotonic() > deadline:
            return video
        time.sleep(0.5)


def all_published(video: dict[str, Any]) -> bool:
    pubs = video["publications"]
    return len(pubs) == 2 and all(p["status"] in ("published", "failed") for p in pubs)


def test_auto_post_then_publish_once_on_both_platforms_and_metrics_come_back(
    tmp_path: Path, platforms: Platforms
) -> None:
    receiver = WebhookReceiver()
    settings = connected_settings(tmp_path / "home", platforms)
    config = short_config(5)
    config["config"] |= {"auto_post": True, "target_platform": "youtube_shorts"}
    with (
        LocalServer(settings) as server,
        httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        ) as api,
    ):
        receiver.start()
        hook = api.post("/webhooks", json={"url": receiver.url}).json()
        receiver.secret = hook["secret"]
        job_id = api.post("/generate", json={"config": config}).json()["job_id"]
        job = wait_for_job(api, job_id, finished, timeout=180)
        assert job["status"] == "completed", job
        assert api.get(f"/videos/{job_id}").json()["publications"] == []  # not before approval

        approved = api.post(f"/videos/{job_id}/approve", json={}).json()
        assert [p["platform"] for p in approved["publications"]] == ["youtube"]  # auto_post
        for _ in range(3):  # a person clicking three times, a client retrying
            asked = api.post(f"/videos/{job_id}/publish", json={"platforms": ["tiktok", "youtube"]})
            assert asked.status_code == 202, asked.text

        video = wait_for_video(api, job_id, all_published)
        statuses = {p["platform"]: p for p in video["publications"]}
        assert statuses["youtube"]["status"] == "published", statuses["youtube"]
        assert statuses["tiktok"]["status"] == "published", statuses["tiktok"]
        assert video["status"] == "published"
        assert video["published_url"]
        assert platforms.youtube.videos_created == 1
        assert len(platforms.tiktok.posts) == 1

        later = dataclasses.replace(
            server.runtime, clock=lambda: datetime.now(UTC) + timedelta(hours=1, minutes=1)
        )
        report = services.collect_metrics(later)
        assert sorted(report["read"]) == [f"{job_id}/tiktok/1h", f"{job_id}/youtube/1h"], report
        metrics = api.get(f"/videos/{job_id}/metrics").json()
        assert {s["platform"]: len(s["readings"]) for s in metrics["series"]} == {
            "youtube": 1,
            "tiktok": 1,
        }

        # Clients need not poll: every event arrived signed, each acted on once.
        wanted = ["job.completed", "video.approved", "video.published", "video.published"]
        assert receiver.wait_until(lambda r: len(r.acted) >= len(wanted), timeout=60)
        receiver.stop()
    assert sorted(e["type"] for e in receiver.acted.values()) == sorted(wanted)
    assert receiver.rejected == 0
