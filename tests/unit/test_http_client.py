"""providers.http.ServiceClient against the scripted fixture server."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.support.http_fixture import FixtureServer, Scripted
from trendreel.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from trendreel.providers.http import MAX_RETRY_AFTER_SECONDS, ServiceClient

KEY = "sk-query-key-987"
PATH = "/v1/things"
OK = Scripted.json({"items": [1, 2, 3]})


class Sleeps(list[float]):
    """A fake sleep that records every delay instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(http_fixture: FixtureServer, sleeps: Sleeps) -> Iterator[ServiceClient]:
    c = ServiceClient(
        "svc", http_fixture.url, timeout=5.0, max_retries=2, backoff=0.5, sleep=sleeps
    )
    yield c
    c.close()


def _get_error(client: ServiceClient) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        client.get_json(PATH, params={"key": KEY, "q": "cats"})
    return caught.value


def test_a_success_returns_the_json(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    http_fixture.add("GET", PATH, OK)
    assert client.get_json(PATH, params={"key": KEY}) == {"items": [1, 2, 3]}
    assert http_fixture.requests[0].query == {"key": [KEY]}
    assert sleeps == []


def test_post_json_sends_the_body(client: ServiceClient, http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", PATH, Scripted.json({"ok": True}))
    assert client.post_json(PATH, {"text": "hello"}) == {"ok": True}
    assert http_fixture.requests[0].json() == {"text": "hello"}


def test_429_with_retry_after_waits_that_long_then_succeeds(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    http_fixture.add("GET", PATH, Scripted.json({}, status=429, headers={"Retry-After": "7"}), OK)
    assert client.get_json(PATH) == {"items": [1, 2, 3]}
    assert sleeps == [7.0]
    assert len(http_fixture.requests) == 2


def test_retry_after_is_capped(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    http_fixture.add(
        "GET", PATH, Scripted.json({}, status=429, headers={"Retry-After": "3600"}), OK
    )
    client.get_json(PATH)
    assert sleeps == [MAX_RETRY_AFTER_SECONDS] == [30.0]


def test_an_unparseable_retry_after_falls_back_to_backoff(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    retry_date = {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    http_fixture.add("GET", PATH, Scripted.json({}, status=429, headers=retry_date), OK)
    client.get_json(PATH)
    assert sleeps == [0.5]


def test_429_until_retries_run_out_is_a_retryable_rate_limit_error(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    http_fixture.add("GET", PATH, Scripted.json({"error": "slow down"}, status=429))
    err = _get_error(client)
    assert isinstance(err, ProviderRateLimitError)
    assert err.retryable is True
    assert "slow down" in err.message
    assert len(http_fixture.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_503_every_time_is_unavailable_after_max_retries_plus_one_requests(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    http_fixture.add("GET", PATH, Scripted.json({"error": {"message": "backend down"}}, 503))
    err = _get_error(client)
    assert isinstance(err, ProviderUnavailableError)
    assert err.retryable is True
    assert err.provider == "svc"
    assert f"GET {PATH} answered HTTP 503: backend down" in err.message
    assert len(http_fixture.requests) == client.max_retries + 1 == 3
    assert sleeps == [0.5, 1.0]  # exponential backoff


def test_503_then_success_recovers(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    http_fixture.add("GET", PATH, Scripted.text("oops", status=503), OK)
    assert client.get_json(PATH) == {"items": [1, 2, 3]}
    assert sleeps == [0.5]


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_not_retried(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps, status: int
) -> None:
    http_fixture.add("GET", PATH, Scripted.json({"error": {"message": "bad key"}}, status))
    err = _get_error(client)
    assert isinstance(err, ProviderAuthError)
    assert err.retryable is False
    assert err.code == "provider_auth_failed"
    assert f"HTTP {status}: bad key" in err.message
    assert len(http_fixture.requests) == 1
    assert sleeps == []


def test_other_client_errors_are_bad_responses_not_retried(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    http_fixture.add("GET", PATH, Scripted.json({"message": "no such thing"}, status=404))
    err = _get_error(client)
    assert isinstance(err, ProviderResponseError)
    assert "HTTP 404: no such thing" in err.message
    assert len(http_fixture.requests) == 1
    assert sleeps == []


def test_malformed_json_is_a_response_error(
    client: ServiceClient, http_fixture: FixtureServer
) -> None:
    http_fixture.add("GET", PATH, Scripted.text('{"items": [1, 2', content_type="application/json"))
    err = _get_error(client)
    assert isinstance(err, ProviderResponseError)
    assert err.retryable is False
    assert "malformed" in err.message
    assert PATH in err.message


def test_get_bytes_enforces_its_size_limit(
    client: ServiceClient, http_fixture: FixtureServer
) -> None:
    http_fixture.add("GET", "/clip.mp4", Scripted(body=b"x" * 2048))
    assert client.get_bytes("/clip.mp4") == b"x" * 2048
    with pytest.raises(ProviderResponseError, match="larger than 1024 bytes"):
        client.get_bytes("/clip.mp4", max_bytes=1024)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_connection_failure_is_unavailable_after_retries(sleeps: Sleeps) -> None:
    c = ServiceClient("svc", f"http://127.0.0.1:{_closed_port()}", max_retries=1, backoff=0.25,
                      sleep=sleeps)  # fmt: skip
    with pytest.raises(ProviderUnavailableError) as caught:
        c.get_json(PATH, params={"key": KEY})
    c.close()
    assert caught.value.retryable is True
    assert "ConnectError" in caught.value.message
    assert KEY not in str(caught.value)
    assert sleeps == [0.25]


@pytest.mark.parametrize(
    "reply",
    [
        Scripted.json({"error": "denied"}, status=401),
        Scripted.json({"error": "down"}, status=503),
        Scripted.json({"error": "limited"}, status=429, headers={"Retry-After": "1"}),
        Scripted.json({"error": "gone"}, status=404),
        Scripted.text("<html>not json</html>", content_type="text/html"),
    ],
    ids=["401", "503", "429", "404", "malformed"],
)
def test_an_api_key_in_the_query_never_appears_in_an_error(
    client: ServiceClient, http_fixture: FixtureServer, reply: Scripted
) -> None:
    http_fixture.add("GET", PATH, reply)
    err = _get_error(client)
    assert http_fixture.requests[0].query["key"] == [KEY]  # it was really sent
    for text in (str(err), err.message, repr(err), err.hint):
        assert KEY not in text


def test_a_key_inside_the_path_query_string_is_stripped_from_errors(
    client: ServiceClient, http_fixture: FixtureServer
) -> None:
    http_fixture.add("GET", PATH, Scripted.json({}, status=403))
    with pytest.raises(ProviderAuthError) as caught:
        client.get_json(f"{PATH}?key={KEY}")
    assert http_fixture.requests[0].query["key"] == [KEY]
    assert KEY not in str(caught.value)
    assert PATH in str(caught.value)
