"""The media routes: Range requests, signed URLs and chunked streaming from the local file."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH, Clock, error_code
from tests.unit.api.fakes import FakeJobStore, finished_job, store_video
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.api.streaming import CHUNK_BYTES

VIDEO = bytes(range(256)) * 1200  # 307,200 bytes: several chunks
SIZE = len(VIDEO)
URL = "/videos/vid-0001/video.mp4"


@pytest.fixture(autouse=True)
def video(store: FakeJobStore, blobs: LocalBlobStore) -> None:
    store.create(finished_job("vid-0001"))
    store_video(blobs, "vid-0001", VIDEO)


def _signed(client: FlaskClient, which: str = "video_url") -> str:
    url = client.get("/videos/vid-0001", headers=AUTH).get_json()["media"][which]
    assert isinstance(url, str)
    return url


def test_the_whole_file_with_the_bearer_token(client: FlaskClient) -> None:
    response = client.get(URL, headers=AUTH)

    assert response.status_code == 200
    assert response.data == VIDEO
    assert response.mimetype == "video/mp4"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Length"] == str(SIZE)
    assert "Content-Range" not in response.headers


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),  # first bytes
        ("bytes=-500", SIZE - 500, SIZE - 1),  # suffix
        ("bytes=300000-", 300000, SIZE - 1),  # open-ended
        ("bytes=100-999999999", 100, SIZE - 1),  # clipped to the file
        (f"bytes=-{SIZE * 2}", 0, SIZE - 1),  # suffix longer than the file
        (f"bytes={SIZE - 1}-{SIZE - 1}", SIZE - 1, SIZE - 1),  # the last byte
        ("bytes=10-" + "9" * 5000, 10, SIZE - 1),  # an end past any file is clipped
        ("bytes=-" + "9" * 5000, 0, SIZE - 1),  # a suffix past any file is all of it
    ],
)
def test_a_range_is_206_with_exactly_those_bytes(
    client: FlaskClient, header: str, start: int, end: int
) -> None:
    response = client.get(URL, headers={**AUTH, "Range": header})

    assert response.status_code == 206
    assert response.data == VIDEO[start : end + 1]
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert response.headers["Content-Length"] == str(end - start + 1)
    assert response.headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    "header",
    [
        f"bytes={SIZE}-",
        f"bytes={SIZE + 10}-{SIZE + 20}",
        "bytes=-0",
        "bytes=" + "9" * 5000 + "-",  # more digits than int() accepts (4,300)
        "bytes=" + "1" * 4301 + "-" + "2" * 4301,
    ],
)
def test_an_unsatisfiable_range_is_416(client: FlaskClient, header: str) -> None:
    response = client.get(URL, headers={**AUTH, "Range": header})

    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{SIZE}"
    assert error_code(response) == "range_not_satisfiable"


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "items=0-5", "bytes=9-2", "bytes=x-"])
def test_a_range_we_do_not_serve_falls_back_to_the_whole_file(
    client: FlaskClient, header: str
) -> None:
    response = client.get(URL, headers={**AUTH, "Range": header})

    assert response.status_code == 200
    assert response.data == VIDEO


def test_if_range_with_a_stale_etag_sends_the_whole_file(client: FlaskClient) -> None:
    etag = client.get(URL, headers=AUTH).headers["ETag"]

    fresh = client.get(URL, headers={**AUTH, "Range": "bytes=0-9", "If-Range": etag})
    stale = client.get(URL, headers={**AUTH, "Range": "bytes=0-9", "If-Range": '"old"'})

    assert (fresh.status_code, len(fresh.data)) == (206, 10)
    assert (stale.status_code, len(stale.data)) == (200, SIZE)


def test_the_file_is_streamed_in_bounded_chunks(client: FlaskClient) -> None:
    response = client.get(URL, headers=AUTH, buffered=False)
    try:
        chunks = [bytes(c) for c in response.response]  # type: ignore[arg-type]
    finally:
        response.close()

    assert len(chunks) == -(-SIZE // CHUNK_BYTES)
    assert max(len(c) for c in chunks) <= CHUNK_BYTES
    assert b"".join(chunks) == VIDEO


def test_head_answers_headers_only(client: FlaskClient) -> None:
    response = client.head(URL, headers=AUTH)

    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(SIZE)
    assert response.data == b""


def test_a_signed_url_needs_no_bearer_token(client: FlaskClient) -> None:
    url = _signed(client)

    full = client.get(url)
    part = client.get(url, headers={"Range": "bytes=10-19"})

    assert (full.status_code, full.data) == (200, VIDEO)
    assert (part.status_code, part.data) == (206, VIDEO[10:20])


def test_a_signed_thumbnail_url(client: FlaskClient) -> None:
    response = client.get(_signed(client, "thumbnail_url"))

    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    params = dict(p.split("=", 1) for p in parts.query.split("&"))
    params.update(changes)
    return parts.path + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def test_a_tampered_signature_is_403(client: FlaskClient) -> None:
    url = _signed(client)
    sig = urlsplit(url).query.split("sig=")[1]
    forged = _with_query(url, sig=("A" if sig[0] != "A" else "B") + sig[1:])

    response = client.get(forged)

    assert response.status_code == 403
    assert error_code(response) == "invalid_signature"


def test_a_longer_expiry_breaks_the_signature(client: FlaskClient) -> None:
    url = _signed(client)
    expires = int(urlsplit(url).query.split("expires=")[1].split("&")[0])

    response = client.get(_with_query(url, expires=str(expires + 86400)))

    assert response.status_code == 403


def test_a_signature_only_opens_its_own_path(client: FlaskClient) -> None:
    thumbnail = urlsplit(_signed(client, "thumbnail_url"))

    response = client.get(f"{URL}?{thumbnail.query}")

    assert response.status_code == 403


def test_an_expired_signature_is_403(client: FlaskClient, clock: Clock) -> None:
    url = _signed(client)
    clock.advance(3601)

    response = client.get(url)

    assert response.status_code == 403
    assert error_code(response) == "signature_expired"


def test_no_token_and_no_signature_is_401(client: FlaskClient) -> None:
    assert client.get(URL).status_code == 401


def test_half_a_signature_is_403(client: FlaskClient) -> None:
    assert client.get(f"{URL}?expires=99999999999").status_code == 403


def test_unknown_query_parameters_are_400(client: FlaskClient) -> None:
    response = client.get(f"{URL}?download=1", headers=AUTH)

    assert response.status_code == 400


def test_media_of_a_job_without_it_is_404(client: FlaskClient, store: FakeJobStore) -> None:
    store.create(finished_job("vid-0002"))

    response = client.get("/videos/vid-0002/video.mp4", headers=AUTH)

    assert response.status_code == 404
    assert error_code(response) == "media_not_found"
