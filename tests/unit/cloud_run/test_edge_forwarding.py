"""What the edge forwards and returns, on a public service with the invoker check off (as the
api by default): headers as sent, the platform's additions, the 32 MiB cap, streamed
responses, and the instance's environment."""

from __future__ import annotations

import http.client
import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.cloud_run.edge import CloudRunEdge
from tests.support.cloud_run.identity import GoogleIdentity
from tests.unit.cloud_run.conftest import (
    ALL,
    PLATFORM_ENV,
    TASKS_SA,
    bearer,
    echo_edge,
    echo_spec,
    marks,
)

LIMIT = 32 * 1024 * 1024  # Cloud Run's HTTP/1 request size limit (cloud.google.com/run/quotas)
EMULATOR_HOSTS = {"FIRESTORE_EMULATOR_HOST": "127.0.0.1:9", "TMPDIR": "/tmp"}
TRACE = re.compile(r"^[0-9a-f]{32}/\d+;o=1$")


@pytest.fixture(scope="module")
def edge(google: GoogleIdentity) -> Iterator[CloudRunEdge]:
    spec = echo_spec(ingress=ALL, invoker_iam_disabled=True, invokers=())
    with echo_edge(spec, google, **EMULATOR_HOSTS) as running:
        yield running


def echo(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_with_the_check_off_every_header_arrives_as_sent(
    google: GoogleIdentity, edge: CloudRunEdge
) -> None:
    token = google.mint(TASKS_SA, edge.internal_url)
    sent = {**bearer(token), "X-Serverless-Authorization": f"Bearer {token}", "X-Custom": "a b"}

    for url in (edge.internal_url, edge.external_url):  # ingress all: both are served
        headers = echo(httpx.get(url, headers=sent))["headers"]
        assert headers["Authorization"] == f"Bearer {token}"
        assert headers["X-Serverless-Authorization"] == f"Bearer {token}"
        assert headers["X-Custom"] == "a b"


def test_method_path_query_and_body_reach_the_function(edge: CloudRunEdge) -> None:
    body = secrets.token_bytes(100_000)

    seen = echo(httpx.put(edge.internal_url + "jobs/a%20b/retry?x=1&y=2&y=3", content=body))

    assert (seen["method"], seen["path"]) == ("PUT", "/jobs/a b/retry")
    assert seen["query"] == "x=1&y=2&y=3"
    assert seen["body_length"] == len(body)
    assert seen["headers"]["Host"] == urlsplit(edge.internal_url).netloc


def test_hop_by_hop_headers_stay_at_the_edge_and_the_answer_comes_from_google_frontend(
    edge: CloudRunEdge,
) -> None:
    conn = http.client.HTTPConnection(urlsplit(edge.internal_url).netloc, timeout=10)
    conn.request("GET", "/", headers={
        "Connection": "keep-alive, X-Hop", "X-Hop": "1", "Keep-Alive": "timeout=5",
        "Proxy-Authorization": "Basic x", "TE": "trailers", "Upgrade": "h2c", "X-End": "kept",
    })  # fmt: skip
    answer = conn.getresponse()
    seen = echo(httpx.Response(answer.status, content=answer.read()))["headers"]
    conn.close()

    gone = {"Connection", "X-Hop", "Keep-Alive", "Proxy-Authorization", "Te", "Upgrade"}
    assert gone.isdisjoint(seen)
    assert seen["X-End"] == "kept"
    assert answer.getheader("Server") == "Google Frontend"


def test_forwarded_for_and_proto_are_added(edge: CloudRunEdge) -> None:
    plain = echo(httpx.get(edge.internal_url))["headers"]
    relayed = echo(httpx.get(edge.internal_url, headers={"X-Forwarded-For": "203.0.113.9"}))

    assert plain["X-Forwarded-For"] == "127.0.0.1"
    assert plain["X-Forwarded-Proto"] == "http"
    assert relayed["headers"]["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"


def test_a_trace_context_is_added_when_absent_and_kept_when_sent(edge: CloudRunEdge) -> None:
    added = echo(httpx.get(edge.internal_url))["headers"]
    ours = "0123456789abcdef0123456789abcdef/42;o=1"
    kept = echo(httpx.get(edge.internal_url, headers={"X-Cloud-Trace-Context": ours}))

    assert TRACE.match(added["X-Cloud-Trace-Context"])
    trace_id = added["X-Cloud-Trace-Context"].split("/")[0]
    assert added["Traceparent"].startswith(f"00-{trace_id}-")
    assert kept["headers"]["X-Cloud-Trace-Context"] == ours


def test_a_large_response_streams_back_whole(edge: CloudRunEdge) -> None:
    size = 6 * 1024 * 1024 + 123

    with httpx.stream("GET", edge.internal_url, params={"bytes": size}) as answer:
        received = sum(len(chunk) for chunk in answer.iter_bytes())

    assert answer.status_code == 200
    assert received == size


def test_a_body_of_exactly_32_mib_is_forwarded(edge: CloudRunEdge) -> None:
    seen = echo(httpx.post(edge.internal_url, content=bytes(LIMIT), timeout=60))

    assert seen["body_length"] == LIMIT


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_over_32_mib_gets_413_and_never_reaches_the_function(
    edge: CloudRunEdge, framing: str
) -> None:
    mark = f"big-{framing}-{secrets.token_hex(4)}"
    body = bytes(LIMIT + 1)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 1024 * 1024):
            yield body[start : start + 1024 * 1024]

    content = body if framing == "content-length" else chunks()
    answer = httpx.post(edge.internal_url, params={"mark": mark}, content=content, timeout=60)

    assert answer.status_code == 413
    assert "Request Entity Too Large" in answer.text
    assert mark not in marks(edge)["started"]


def test_the_instance_sees_exactly_infra_env_the_container_contract_and_the_platform(
    edge: CloudRunEdge,
) -> None:
    env = echo(httpx.get(edge.internal_url, params={"env": "1"}))["env"]

    spec = edge.spec
    expected = {
        **spec.env,
        "PORT": env["PORT"],
        "K_SERVICE": spec.service_name,
        "K_REVISION": f"{spec.service_name}-00001-edg",
        "K_CONFIGURATION": spec.service_name,
        **PLATFORM_ENV,
        **EMULATOR_HOSTS,
    }
    # Set inside the process by functions-framework, gunicorn and Python's locale coercion.
    added_by_the_runtime = {"FUNCTION_SIGNATURE_TYPE", "SERVER_SOFTWARE", "LC_CTYPE"}
    assert {k: v for k, v in env.items() if k not in added_by_the_runtime} == expected
    assert env["PORT"] != urlsplit(edge.internal_url).port  # the instance's own port


def test_the_platform_may_not_override_what_infra_sets(google: GoogleIdentity) -> None:
    with pytest.raises(ValueError, match="TRENDREEL_ECHO_SETTING"):
        CloudRunEdge(echo_spec(), google, platform_env={"TRENDREEL_ECHO_SETTING": "hand-kept"})
