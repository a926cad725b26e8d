"""``trendreel serve`` does not tell clients which server software and version answer them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr

from tests.unit.api.conftest import AUTH, TOKEN
from trendreel.local_server import LocalServer
from trendreel.settings import Settings


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    settings = Settings(home=tmp_path / "home", port=0, api_token=SecretStr(TOKEN))
    with LocalServer(settings, sweep_every=3600) as running:
        yield running


def _raw(url: str, request: bytes) -> bytes:
    """What the server sends back for bytes that are not an HTTP request werkzeug can route."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_no_response_names_the_server_software(server: LocalServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        responses = [
            client.get("/health"),  # public
            client.get("/jobs", headers=AUTH),  # the api, authenticated
            client.get("/jobs"),  # 401
            client.get("/no/such/route"),  # 404
            client.post("/functions/trend_collection/", content=b"{}"),  # a stage function
        ]
    for response in responses:
        assert response.headers["Server"] == "trendreel"
        headers = " ".join(f"{k}: {v}" for k, v in response.headers.items()).lower()
        assert "werkzeug" not in headers
        assert "python" not in headers


def test_a_request_http_server_refuses_does_not_name_it_either(server: LocalServer) -> None:
    # Answered by http.server itself (send_error: 431, over 100 headers) before any WSGI app.
    headers = b"".join(b"X-%d: 1\r\n" % i for i in range(101))
    answer = _raw(server.url, b"GET /health HTTP/1.1\r\n" + headers + b"\r\n").lower()

    assert answer.startswith(b"http/1.1 431")
    assert b"server: trendreel\r\n" in answer
    assert b"werkzeug" not in answer
    assert b"python" not in answer


def test_a_request_line_http_server_cannot_parse_is_still_answered(server: LocalServer) -> None:
    # No path is parsed yet when http.server refuses the version: logging the request must not
    # need one (it raised AttributeError and the client got no answer at all).
    answer = _raw(server.url, b"NOT AN HTTP REQUEST\r\n\r\n").lower()

    assert b"error code: 400" in answer
    assert b"werkzeug" not in answer
    assert b"python" not in answer
