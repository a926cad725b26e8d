"""The fake TikTok keeps TikTok's documented rules, so the publisher's tests can fail: bad chunk
plans, chunks out of step, expired URLs, missing tokens and rate limits are refused as TikTok
documents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.fakes.tiktok import CREATOR_INFO, STATUS_FETCH, VIDEO_INIT, FakeTikTok
from tests.support.fakes.tiktok_harness import SMALL_LIMITS, FakeTime
from tests.support.fakes.tokens import TokenRegistry


class Client:
    def __init__(self, fake: FakeTikTok, token: str) -> None:
        self.fake = fake
        self.http = httpx.Client(base_url=fake.url)
        self.token = token

    def post(self, path: str, body: Any = None, token: str | None = None) -> httpx.Response:
        bearer = self.token if token is None else token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return self.http.post(path, json=body, headers=headers)

    def init(self, size: int, chunk: int, count: int, privacy: str = "SELF_ONLY") -> httpx.Response:
        source = {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk}
        body = {"post_info": {"privacy_level": privacy}, "source_info": source}
        source["total_chunk_count"] = count
        return self.post(VIDEO_INIT, body)

    def put(self, url: str, data: bytes, first: int, total: int) -> httpx.Response:
        last = first + len(data) - 1
        headers = {"Content-Type": "video/mp4", "Content-Range": f"bytes {first}-{last}/{total}"}
        return self.http.put(url, content=data, headers=headers)


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(time_: FakeTime) -> Iterator[Client]:
    registry = TokenRegistry(prefix="act")
    fake = FakeTikTok(registry, clock=time_.time).start()
    issued = registry.exchange(registry.grant({"video.publish", "video.list"}))
    assert issued is not None
    c = Client(fake, issued[0])
    try:
        yield c
    finally:
        c.http.close()
        fake.stop()


def _error(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_video_init_keeps_the_chunk_rules_of_the_media_transfer_guide(client: Client) -> None:
    rejected = client.init(50_000_123, 10_000_000, 6)  # rounded up: wrong
    assert _error(rejected) == (400, "invalid_param")
    assert rejected.json()["error"]["message"] == "The total chunk count is invalid"
    assert client.init(50_000_123, 10_000_000, 5).json()["error"]["code"] == "ok"
    assert _error(client.init(50_000_123, 4_000_000, 12)) == (400, "invalid_param")  # < 5 MB
    assert _error(client.init(100 * 2**20, 100 * 2**20, 1)) == (400, "invalid_param")  # > 64 MB
    assert _error(client.init(4_194_304, 1_048_576, 4)) == (400, "invalid_param")  # not whole
    assert client.init(4_194_304, 4_194_304, 1).json()["error"]["code"] == "ok"


def test_video_init_refuses_what_the_creator_does_not_offer(client: Client) -> None:
    client.fake.account.creator.private_account = True
    refused = client.init(4_194_304, 4_194_304, 1, privacy="PUBLIC_TO_EVERYONE")
    assert _error(refused) == (403, "privacy_level_option_mismatch")
    body = {"post_info": {"privacy_level": "SELF_ONLY"}, "source_info": {"source": "PULL_FROM_URL"}}
    assert _error(client.post(VIDEO_INIT, body)) == (403, "url_ownership_unverified")
    info = client.post(CREATOR_INFO).json()["data"]
    assert info["privacy_level_options"] == [
        "FOLLOWER_OF_CREATOR",
        "MUTUAL_FOLLOW_FRIENDS",
        "SELF_ONLY",
    ]
    assert info["duet_disabled"] is info["stitch_disabled"] is True


def test_chunks_must_come_in_order_with_true_ranges_then_the_post_completes(
    client: Client,
) -> None:
    client.fake.account.limits = SMALL_LIMITS
    size, chunk = 25 * 1024, 10 * 1024
    data = bytes(range(256)) * 100
    init = client.init(size, chunk, 2).json()["data"]
    url, publish_id = init["upload_url"], init["publish_id"]

    assert client.put(url, data[chunk:size], chunk, size).status_code == 416  # skips chunk 1
    assert client.put(url, data[: chunk - 1], 0, size).status_code == 400  # not a whole chunk
    first = client.put(url, data[:chunk], 0, size)
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-{chunk - 1}/{size}"
    status = client.post(STATUS_FETCH, {"publish_id": publish_id}).json()["data"]
    assert (status["status"], status["uploaded_bytes"]) == ("PROCESSING_UPLOAD", chunk)
    assert client.put(url, data[chunk:size], chunk, size).status_code == 201

    statuses = [client.post(STATUS_FETCH, {"publish_id": publish_id}).json()["data"]]
    statuses.append(client.post(STATUS_FETCH, {"publish_id": publish_id}).json()["data"])
    assert [s["status"] for s in statuses] == ["PROCESSING_UPLOAD", "PUBLISH_COMPLETE"]
    assert statuses[1]["publicaly_available_post_id"] == []  # SELF_ONLY: no public post id
    [post] = client.fake.posts
    assert post.size == size


def test_upload_urls_expire_after_an_hour_and_unknown_ones_are_404(
    client: Client, time_: FakeTime
) -> None:
    url = client.init(4096, 4096, 1).json()["data"]["upload_url"]
    time_.advance(3600)

    assert client.put(url, b"x" * 4096, 0, 4096).status_code == 403
    assert client.put(url.replace("upload_id=1", "upload_id=9"), b"x", 0, 1).status_code == 404
    unknown = client.post(STATUS_FETCH, {"publish_id": "v_pub_file~v2-1.1"})
    assert _error(unknown) == (400, "invalid_publish_id")


def test_tokens_are_checked_against_the_registry(client: Client) -> None:
    assert _error(client.post(CREATOR_INFO, token="")) == (401, "access_token_invalid")
    assert _error(client.post(CREATOR_INFO, token="act-made-up")) == (401, "access_token_invalid")
    client.fake.tokens.expire_all()
    assert _error(client.post(CREATOR_INFO)) == (401, "access_token_invalid")


def test_a_scope_the_user_did_not_grant_is_refused(client: Client) -> None:
    registry = client.fake.tokens
    issued = registry.exchange(registry.grant({"user.info.basic"}))
    assert issued is not None

    assert _error(client.post(CREATOR_INFO, token=issued[0])) == (401, "scope_not_authorized")


def test_video_init_takes_six_calls_a_minute_per_token(client: Client, time_: FakeTime) -> None:
    answers = [client.init(4096, 4096, 1) for _ in range(7)]

    assert [a.status_code for a in answers] == [200] * 6 + [429]
    assert answers[6].json()["error"]["code"] == "rate_limit_exceeded"
    time_.advance(60)
    assert client.init(4096, 4096, 1).status_code == 200


def test_a_throttled_endpoint_answers_429_as_often_as_told(client: Client) -> None:
    client.fake.throttle(CREATOR_INFO, 2)

    codes = [client.post(CREATOR_INFO).status_code for _ in range(3)]

    assert codes == [429, 429, 200]
