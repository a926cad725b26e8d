"""The outbound-call policy (providers.http.ServiceClient) against real local HTTP servers:
retries and their waits, Retry-After in both forms, the budget, timeouts, status mapping, the
classify hook and SDK requests through PolicyTransport. Redaction: test_outbound_policy.py.

Error bodies follow the Google error model (https://cloud.google.com/apis/design/errors) and
YouTube's legacy ``errors[].reason`` (https://developers.google.com/youtube/v3/docs/errors);
Retry-After follows RFC 9110 §10.2.3 (https://www.rfc-editor.org/rfc/rfc9110#field.retry-after).
"""

from __future__ import annotations

import gzip
import random
import re
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from tests.support.http_fixture import FixtureServer, Scripted
from trendreel.errors import (
    ConfigError,
    ProviderAuthError,
    ProviderError,
    ProviderQuotaExceededError,
    ProviderRateLimitError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from trendreel.providers.http import (
    CONNECT_TIMEOUT_SECONDS,
    JITTER,
    MAX_RETRY_AFTER_SECONDS,
    Classifier,
    PolicyTransport,
    ServiceClient,
    google_reasons,
    timeouts,
)

PATH = "/v1/things"
OK = Scripted.json({"items": [1, 2, 3]})
NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


def google_error(status: int, message: str, reason: str, grpc_status: str) -> Scripted:
    """A Google API error body: google.rpc.Status plus the legacy errors[] list."""
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": grpc_status,
        }
    }
    return Scripted.json(body, status=status)


UNAVAILABLE = google_error(
    503, "The service is currently unavailable.", "backendError", "UNAVAILABLE"
)


def jittered(sleeps: Sequence[float], planned: Sequence[float]) -> bool:
    """Whether ``sleeps`` are the policy's waits for the ``planned`` backoff: each at least its
    planned wait and less than JITTER more (provider tests assert their waits with this)."""
    return len(sleeps) == len(planned) and all(
        p <= s < p * (1 + JITTER) for s, p in zip(sleeps, planned, strict=True)
    )


def test_jittered_tells_the_schedule_from_other_waits() -> None:
    assert jittered([0.5, 1.2], [0.5, 1.0])
    assert not jittered([0.5], [0.5, 1.0])
    assert not jittered([0.49, 1.0], [0.5, 1.0])
    assert not jittered([0.5, 1.25], [0.5, 1.0])


class Sleeps(list[float]):
    """A fake sleep that records every wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def make_client(
    url: str,
    sleeps: Sleeps,
    *,
    timeout: float = 5.0,
    max_retries: int = 2,
    backoff: float = 0.5,
    jitter: Callable[[], float] = lambda: 0.0,
    classify: Classifier | None = None,
) -> ServiceClient:
    """No jitter and a fixed clock, so every wait is exact; tests that need jitter say so."""
    return ServiceClient(
        "svc",
        url,
        timeout=timeout,
        max_retries=max_retries,
        backoff=backoff,
        sleep=sleeps,
        jitter=jitter,
        clock=lambda: NOW,
        classify=classify,
    )


@pytest.fixture
def client(http_fixture: FixtureServer, sleeps: Sleeps) -> Iterator[ServiceClient]:
    with make_client(http_fixture.url, sleeps) as c:
        yield c


def _error(
    client: ServiceClient, *, retries: int | None = None, timeout: float | None = None
) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        client.request("GET", PATH, retries=retries, timeout=timeout)
    return caught.value


def test_a_success_returns_the_json(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    http_fixture.add("GET", PATH, OK)
    assert client.get_json(PATH, params={"q": "cats"}) == {"items": [1, 2, 3]}
    assert http_fixture.requests[0].query == {"q": ["cats"]}
    assert sleeps == []


def test_post_json_sends_the_body(client: ServiceClient, http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", PATH, Scripted.json({"ok": True}))
    assert client.post_json(PATH, {"text": "hello"}) == {"ok": True}
    assert http_fixture.requests[0].json() == {"text": "hello"}


# -- waits -------------------------------------------------------------------------------------


def test_backoff_doubles_from_the_base_until_the_budget_is_spent(
    http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    http_fixture.add("GET", PATH, UNAVAILABLE)
    with make_client(http_fixture.url, sleeps, max_retries=4) as c:
        err = _error(c)
    assert isinstance(err, ProviderUnavailableError)
    assert sleeps == [0.5, 1.0, 2.0, 4.0]
    assert len(http_fixture.requests) == 5


def test_backoff_is_truncated_at_32_seconds(http_fixture: FixtureServer, sleeps: Sleeps) -> None:
    http_fixture.add("GET", PATH, UNAVAILABLE)
    with make_client(http_fixture.url, sleeps, max_retries=3, backoff=10.0) as c:
        _error(c)
    assert sleeps == [10.0, 20.0, 32.0]


def test_jitter_stretches_each_wait_by_up_to_a_quarter_and_is_reproducible_by_seed(
    http_fixture: FixtureServer,
) -> None:
    http_fixture.add("GET", PATH, UNAVAILABLE)
    runs: list[Sleeps] = []
    for seed in (7, 7, 8):
        runs.append(Sleeps())
        jitter = random.Random(seed).random
        with make_client(http_fixture.url, runs[-1], max_retries=3, jitter=jitter) as c:
            _error(c)
    same, again, other = runs
    assert same == again
    assert same != other
    for waits in runs:
        assert jittered(waits, [0.5, 1.0, 2.0])


def test_retry_after_in_seconds_replaces_the_backoff(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    limited = google_error(429, "Too many requests.", "rateLimitExceeded", "RESOURCE_EXHAUSTED")
    limited.headers["Retry-After"] = "7"
    http_fixture.add("GET", PATH, limited, OK)
    assert client.get_json(PATH) == {"items": [1, 2, 3]}
    assert sleeps == [7.0]
    assert len(http_fixture.requests) == 2


def test_retry_after_as_an_http_date_waits_until_that_moment(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    later = format_datetime(NOW + timedelta(seconds=12), usegmt=True)  # "Tue, 04 Mar 2025 ..."
    past = format_datetime(NOW - timedelta(minutes=5), usegmt=True)
    first, second = Scripted.json({}, status=503), Scripted.json({}, status=503)
    first.headers["Retry-After"], second.headers["Retry-After"] = later, past
    http_fixture.add("GET", PATH, first, second, OK)
    client.get_json(PATH)
    assert sleeps == [12.0, 0.0]  # a date already past means now


def test_a_retry_after_beyond_the_cap_fails_at_once_and_says_how_long(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    http_fixture.add(
        "GET", PATH, Scripted.json({}, status=429, headers={"Retry-After": "3600"}), OK
    )
    err = _error(client)
    assert isinstance(err, ProviderRateLimitError)
    assert err.retryable  # the task queue brings it back, not a 30-minute sleep in a stage
    assert "retry after 3600 s" in err.message
    assert sleeps == []
    assert len(http_fixture.requests) == 1
    assert MAX_RETRY_AFTER_SECONDS == 30.0


def test_an_unreadable_retry_after_falls_back_to_backoff(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    unreadable = Scripted.json({}, status=503, headers={"Retry-After": "soon, maybe"})
    http_fixture.add("GET", PATH, unreadable, OK)
    client.get_json(PATH)
    assert sleeps == [0.5]


# -- the budget --------------------------------------------------------------------------------


def test_429_until_the_budget_is_spent_is_a_retryable_rate_limit_error(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    http_fixture.add(
        "GET", PATH, google_error(429, "Quota exceeded for quota metric 'Requests'.",
                                  "rateLimitExceeded", "RESOURCE_EXHAUSTED"),
    )  # fmt: skip
    err = _error(client)
    assert isinstance(err, ProviderRateLimitError)
    assert err.retryable
    assert "HTTP 429: Quota exceeded for quota metric 'Requests'. (rateLimitExceeded)" in str(err)
    assert len(http_fixture.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_503_every_time_is_unavailable_after_max_retries_plus_one_requests(
    client: ServiceClient, http_fixture: FixtureServer
) -> None:
    http_fixture.add("GET", PATH, UNAVAILABLE)
    err = _error(client)
    assert isinstance(err, ProviderUnavailableError)
    assert err.retryable
    assert err.provider == "svc"
    assert err.code == "provider_unavailable"
    assert f"GET {PATH} answered HTTP 503: The service is currently unavailable." in err.message
    assert len(http_fixture.requests) == client.max_retries + 1 == 3


def test_408_and_every_5xx_are_retried(client: ServiceClient, http_fixture: FixtureServer) -> None:
    for status in (408, 500, 502, 504):
        http_fixture.add("GET", f"/s{status}", Scripted.json({}, status=status), OK)
        assert client.get_json(f"/s{status}") == {"items": [1, 2, 3]}
    assert len(http_fixture.requests) == 8


@pytest.mark.parametrize("retries", [0, 1])
def test_a_per_call_budget_overrides_the_clients(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps, retries: int
) -> None:
    http_fixture.add("GET", PATH, UNAVAILABLE)
    _error(client, retries=retries)
    assert len(http_fixture.requests) == retries + 1
    assert len(sleeps) == retries


def test_a_client_without_a_budget_tries_once(http_fixture: FixtureServer, sleeps: Sleeps) -> None:
    http_fixture.add("GET", PATH, UNAVAILABLE, OK)
    with make_client(http_fixture.url, sleeps, max_retries=0) as c:
        assert isinstance(_error(c), ProviderUnavailableError)
    assert len(http_fixture.requests) == 1


# -- status mapping ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, ProviderAuthError),
        (403, ProviderAuthError),
        (400, ProviderResponseError),
        (404, ProviderResponseError),
        (409, ProviderResponseError),
        (422, ProviderResponseError),
    ],
)
def test_other_4xx_are_not_retried(
    client: ServiceClient,
    http_fixture: FixtureServer,
    sleeps: Sleeps,
    status: int,
    kind: type[ProviderError],
) -> None:
    http_fixture.add("GET", PATH, google_error(status, "No.", "someReason", "X"), OK)
    err = _error(client)
    assert type(err) is kind
    assert not err.retryable
    assert f"HTTP {status}: No. (someReason)" in err.message
    assert len(http_fixture.requests) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
         "Token has been expired or revoked. (invalid_grant)"),  # OAuth 2.0 (RFC 6749 §5.2)
        ({"error": {"code": "access_token_invalid", "message": "The access token is invalid.",
                    "log_id": "2024"}}, "The access token is invalid. (access_token_invalid)"),
        ({"message": "no such thing"}, "no such thing"),
    ],
    ids=["oauth", "tiktok", "plain"],
)  # fmt: skip
def test_the_services_own_reason_is_in_the_message(
    client: ServiceClient, http_fixture: FixtureServer, body: dict[str, object], detail: str
) -> None:
    http_fixture.add("GET", PATH, Scripted.json(body, status=400))
    assert _error(client).message == f"svc: GET {PATH} answered HTTP 400: {detail}"


def test_statuses_a_caller_accepts_are_answers(
    client: ServiceClient, http_fixture: FixtureServer
) -> None:
    http_fixture.add("GET", PATH, Scripted(status=308, headers={"Range": "bytes=0-99"}))
    response = client.request("GET", PATH, accept=(308,))
    assert (response.status_code, response.headers["Range"]) == (308, "bytes=0-99")


def test_malformed_json_is_a_response_error(
    client: ServiceClient, http_fixture: FixtureServer
) -> None:
    http_fixture.add("GET", PATH, Scripted.text('{"items": [1, 2', content_type="application/json"))
    with pytest.raises(ProviderResponseError, match="malformed body") as caught:
        client.get_json(PATH)
    assert not caught.value.retryable
    assert PATH in caught.value.message


def test_get_bytes_enforces_its_size_limit(
    client: ServiceClient, http_fixture: FixtureServer
) -> None:
    http_fixture.add("GET", "/clip.mp4", Scripted(body=b"x" * 2048))
    assert client.get_bytes("/clip.mp4") == b"x" * 2048
    with pytest.raises(ProviderResponseError, match="larger than 1024 bytes"):
        client.get_bytes("/clip.mp4", max_bytes=1024)


def test_a_url_no_transport_can_reach_is_a_config_error(client: ServiceClient) -> None:
    with pytest.raises(ConfigError, match="invalid URL"):
        client.request("GET", "ftp://example.com/x")


# -- the classify hook -------------------------------------------------------------------------


def youtube_quota(provider: str, response: httpx.Response) -> ProviderError | None:
    if response.status_code == 403 and "quotaExceeded" in google_reasons(response):
        return ProviderQuotaExceededError(provider, "daily quota spent; resets at midnight PT")
    if response.status_code == 400 and "backendBusy" in google_reasons(response):
        return ProviderUnavailableError(provider, "busy")
    return None


def test_the_classify_hook_is_asked_before_the_status_mapping(
    http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    quota = google_error(403, "You have exceeded your quota.", "quotaExceeded", "FORBIDDEN")
    http_fixture.add("GET", "/quota", quota)
    http_fixture.add("GET", "/busy", google_error(400, "Busy.", "backendBusy", "X"), OK)
    http_fixture.add("GET", "/denied", google_error(403, "Denied.", "forbidden", "FORBIDDEN"))
    with make_client(http_fixture.url, sleeps, classify=youtube_quota) as c:
        with pytest.raises(ProviderQuotaExceededError, match="resets at midnight PT") as quota_err:
            c.request("GET", "/quota")
        assert c.get_json("/busy") == {"items": [1, 2, 3]}  # its verdict decides the retry
        with pytest.raises(ProviderAuthError, match=r"HTTP 403: Denied\."):
            c.request("GET", "/denied")  # None: the generic mapping
    assert quota_err.value.code == "quota_exceeded"
    assert not quota_err.value.retryable
    assert [r.path for r in http_fixture.requests] == ["/quota", "/busy", "/busy", "/denied"]
    assert sleeps == [0.5]


# -- timeouts and connection errors ------------------------------------------------------------


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A server on 127.0.0.1 that accepts connections (the kernel's backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def test_a_read_timeout_is_unavailable_and_retried(silent_url: str, sleeps: Sleeps) -> None:
    with make_client(silent_url, sleeps, timeout=0.2, max_retries=1) as c:
        err = _error(c)
    assert isinstance(err, ProviderUnavailableError)
    assert err.retryable
    assert f"GET {PATH} timed out: ReadTimeout" in err.message
    assert isinstance(err.__cause__, httpx.ReadTimeout)
    assert sleeps == [0.5]


def test_a_per_call_timeout_overrides_the_clients(silent_url: str, sleeps: Sleeps) -> None:
    with make_client(silent_url, sleeps, timeout=60.0, max_retries=0) as c:
        started = time.monotonic()
        err = _error(c, timeout=0.2)
    assert "timed out" in err.message
    assert time.monotonic() - started < 10


def test_connecting_gets_its_own_shorter_timeout() -> None:
    assert timeouts(20.0).as_dict() == {"connect": 5.0, "read": 20.0, "write": 20.0, "pool": 20.0}
    assert timeouts(2.0).connect == 2.0  # never longer than the whole
    assert CONNECT_TIMEOUT_SECONDS == 5.0
    explicit = httpx.Timeout(3.0, connect=1.0)
    assert timeouts(explicit) is explicit


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_connection_is_unavailable_after_retries(sleeps: Sleeps) -> None:
    with make_client(f"http://127.0.0.1:{_closed_port()}", sleeps, max_retries=1) as c:
        err = _error(c)
    assert isinstance(err, ProviderUnavailableError)
    assert "failed: ConnectError" in err.message
    assert sleeps == [0.5]


# -- SDK requests through the policy -----------------------------------------------------------


def test_an_sdks_requests_go_through_the_policy(
    client: ServiceClient, http_fixture: FixtureServer, sleeps: Sleeps
) -> None:
    compressed = Scripted(
        body=gzip.compress(b'{"done": true}'),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    http_fixture.add("POST", PATH, UNAVAILABLE, compressed)
    with httpx.Client(transport=PolicyTransport(client)) as sdk:
        response = sdk.post(http_fixture.url + PATH, content=b'{"q": 1}')
    assert response.json() == {"done": True}  # decoded once, not twice
    assert [r.json() for r in http_fixture.requests] == [{"q": 1}, {"q": 1}]
    assert sleeps == [0.5]


def test_an_sdk_sees_the_policys_error_not_a_status(
    client: ServiceClient, http_fixture: FixtureServer
) -> None:
    http_fixture.add("POST", PATH, google_error(403, "Denied.", "forbidden", "PERMISSION_DENIED"))
    expected = re.escape(f"POST {PATH} answered HTTP 403: Denied.")
    with (
        httpx.Client(transport=PolicyTransport(client)) as sdk,
        pytest.raises(ProviderAuthError, match=expected),
    ):
        sdk.post(http_fixture.url + PATH, content=b"{}")
