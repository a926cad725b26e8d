"""The fake YouTube keeps the resumable protocol's rules itself (so it can catch a client that
breaks them), spoken to with raw HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.fakes.youtube_harness import (
    CHUNK,
    World,
    open_session_directly,
    video_file,
    youtube_world,
)

SIZE = 2 * CHUNK + 10


@pytest.fixture
def world() -> Iterator[World]:
    with youtube_world() as world:
        yield world


def _put(world: World, url: str, data: bytes, content_range: str) -> httpx.Response:
    auth = {"Authorization": f"Bearer {world.tokens.access_token()}"}
    return httpx.put(url, content=data, headers=auth | {"Content-Range": content_range})


def _span(first: int, last: int) -> str:
    return f"bytes {first}-{last}/{SIZE}"


def test_a_noncontinuous_chunk_is_dropped_and_the_range_stays(world: World, tmp_path: Path) -> None:
    video = video_file(tmp_path, SIZE)
    session = open_session_directly(world, video, send=CHUNK)
    data = video.read_bytes()

    ahead, behind = CHUNK + 5, CHUNK - 10  # skipping bytes, and overlapping them

    skipping = _put(
        world, session.upload_url, data[ahead : ahead + CHUNK], _span(ahead, ahead + CHUNK - 1)
    )
    overlapping = _put(
        world, session.upload_url, data[behind : behind + CHUNK], _span(behind, behind + CHUNK - 1)
    )
    garbled = _put(world, session.upload_url, data[CHUNK:], "bytes=262144-")

    assert skipping.status_code == overlapping.status_code == 308
    assert skipping.headers["Range"] == overlapping.headers["Range"] == f"bytes=0-{CHUNK - 1}"
    assert garbled.status_code == 400
    [stored] = world.fake.sessions.values()
    assert stored.data == data[:CHUNK]


def test_chunks_must_be_multiples_of_256_kib(world: World, tmp_path: Path) -> None:
    video = video_file(tmp_path, SIZE)
    session = open_session_directly(world, video)

    answer = _put(world, session.upload_url, video.read_bytes()[:1000], f"bytes 0-999/{SIZE}")

    assert answer.status_code == 400
    assert answer.json()["error"]["errors"][0]["reason"] == "badRequest"


def test_a_finished_session_repeats_its_201_and_an_expired_one_is_404(
    world: World, tmp_path: Path
) -> None:
    video = video_file(tmp_path, SIZE)
    session = open_session_directly(world, video, send=CHUNK)
    data = video.read_bytes()
    done = _put(world, session.upload_url, data[CHUNK:], f"bytes {CHUNK}-{SIZE - 1}/{SIZE}")

    asked = _put(world, session.upload_url, b"", f"bytes */{SIZE}")
    world.fake.expire_sessions()
    expired = _put(world, session.upload_url, b"", f"bytes */{SIZE}")

    assert done.status_code == asked.status_code == 201
    assert asked.json() == done.json()
    assert asked.json()["id"] in world.fake.videos
    assert expired.status_code == 404


def test_an_expired_token_gets_googles_401(world: World) -> None:
    token = world.tokens.access_token()
    world.registry.expire_all()

    answer = httpx.get(
        f"{world.fake.data_base}/videos",
        params={"part": "status", "id": "x"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["errors"][0]["reason"] == "authError"
    assert error["status"] == "UNAUTHENTICATED"
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_an_invalid_title_is_refused_by_the_reason_youtube_gives(world: World) -> None:
    answer = httpx.post(
        f"{world.fake.upload_base}/videos",
        params={"uploadType": "resumable", "part": "snippet,status"},
        json={"snippet": {"title": "a <b> title"}, "status": {"privacyStatus": "private"}},
        headers={
            "Authorization": f"Bearer {world.tokens.access_token()}",
            "X-Upload-Content-Length": "10",
            "X-Upload-Content-Type": "video/mp4",
        },
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["errors"][0]["reason"] == "invalidTitle"
    assert world.fake.sessions == {}
