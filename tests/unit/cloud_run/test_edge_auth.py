"""The edge's invoker check and ingress, on an internal-only service with the check on: what
Cloud Run lets through, what it answers itself, and what the function then sees."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support.cloud_run.edge import SIGNATURE_REMOVED, CloudRunEdge
from tests.support.cloud_run.identity import GoogleIdentity, make_key, mint_id_token
from tests.unit.cloud_run.conftest import (
    STRANGER_SA,
    TASKS_SA,
    bearer,
    claims_of,
    echo_edge,
    echo_spec,
    marks,
)


@pytest.fixture(scope="module")
def edge(google: GoogleIdentity) -> Iterator[CloudRunEdge]:
    with echo_edge(echo_spec(), google) as running:
        yield running


@pytest.fixture
def token(google: GoogleIdentity, edge: CloudRunEdge) -> str:
    return google.mint(TASKS_SA, edge.internal_url)


def echoed(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return dict(response.json()["headers"])


def test_the_function_gets_the_token_with_its_signature_removed(
    edge: CloudRunEdge, token: str
) -> None:
    headers = echoed(httpx.post(edge.internal_url + "run", headers=bearer(token)))

    header, payload, signature = token.split(".")
    assert headers["Authorization"] == f"Bearer {header}.{payload}.{SIGNATURE_REMOVED}"
    assert signature != SIGNATURE_REMOVED
    assert claims_of(headers["Authorization"].removeprefix("Bearer ")) == claims_of(token)


def test_x_serverless_authorization_is_checked_and_authorization_passes_untouched(
    edge: CloudRunEdge, token: str
) -> None:
    own = "Bearer the-apps-own-credential"
    sent = {"X-Serverless-Authorization": f"Bearer {token}", "Authorization": own}

    headers = echoed(httpx.get(edge.internal_url, headers=sent))

    header, payload, _ = token.split(".")
    assert headers["Authorization"] == own
    assert headers["X-Serverless-Authorization"] == f"Bearer {header}.{payload}.{SIGNATURE_REMOVED}"


def test_with_both_headers_only_x_serverless_authorization_counts(
    edge: CloudRunEdge, token: str
) -> None:
    sent = {"X-Serverless-Authorization": "Bearer not.a.token", **bearer(token)}

    assert httpx.get(edge.internal_url, headers=sent).status_code == 401


def test_the_audience_may_carry_a_trailing_slash_or_not(
    google: GoogleIdentity, edge: CloudRunEdge
) -> None:
    for audience in (edge.internal_url.rstrip("/"), edge.internal_url.rstrip("/") + "/"):
        token = google.mint(TASKS_SA, audience)
        assert httpx.get(edge.internal_url, headers=bearer(token)).status_code == 200


def _expired(g: GoogleIdentity, url: str) -> dict[str, str]:
    now = int(time.time())
    return bearer(g.mint(TASKS_SA, url, iat=now - 7200, exp=now - 3600))


REJECTED: dict[str, tuple[int, Callable[[GoogleIdentity, str], dict[str, str]]]] = {
    "missing": (403, lambda g, url: {}),
    "not an invoker": (403, lambda g, url: bearer(g.mint(STRANGER_SA, url))),
    "token without email": (403, lambda g, url: bearer(g.mint(TASKS_SA, url, include_email=False))),
    "forged key": (401, lambda g, url: bearer(
        mint_id_token(make_key(g.key.kid), audience=url, email=TASKS_SA))),
    "unknown key": (401, lambda g, url: bearer(
        mint_id_token(make_key("kid-forger"), audience=url, email=TASKS_SA))),
    "expired": (401, _expired),
    "wrong audience": (401, lambda g, url: bearer(g.mint(TASKS_SA, "https://other.a.run.app"))),
    "not a JWT": (401, lambda g, url: bearer("opaque-access-token")),
    "not bearer": (401, lambda g, url: {"Authorization": "Basic dXNlcjpwYXNz"}),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REJECTED))
def test_cloud_run_answers_itself_and_the_function_never_sees_the_request(
    google: GoogleIdentity, edge: CloudRunEdge, token: str, case: str
) -> None:
    status, make_headers = REJECTED[case]
    mark = f"{case}-{secrets.token_hex(4)}"

    answer = httpx.post(
        edge.internal_url, params={"mark": mark}, headers=make_headers(google, edge.internal_url),
        content=b"payload",
    )  # fmt: skip

    assert answer.status_code == status
    assert answer.headers["Server"] == "Google Frontend"
    assert mark not in marks(edge)["started"]


def test_two_authorization_headers_are_refused(edge: CloudRunEdge, token: str) -> None:
    answer = httpx.get(edge.internal_url, headers=[("Authorization", f"Bearer {token}")] * 2)

    assert answer.status_code == 401


def test_internal_ingress_answers_404_on_the_external_port_without_forwarding(
    edge: CloudRunEdge, token: str
) -> None:
    mark = f"external-{secrets.token_hex(4)}"

    answer = httpx.get(edge.external_url, params={"mark": mark}, headers=bearer(token))

    assert answer.status_code == 404
    assert mark not in marks(edge)["started"]
    assert httpx.get(edge.internal_url, headers=bearer(token)).status_code == 200
