"""Which URLs webhooks go to (https; loopback http locally; public addresses only on gcp), and
the transport that connects only to the addresses that were checked."""

from __future__ import annotations

import httpx
import pytest

from tests.support.fakes.webhook_receiver import WebhookReceiver
from tests.support.http_fixture import FixtureServer, Scripted
from trendreel.webhooks.errors import WebhookUrlError
from trendreel.webhooks.transport import PinnedTransport
from trendreel.webhooks.urls import Resolver, check_url, is_public, resolve_target


def resolver(answers: dict[str, list[str]]) -> Resolver:
    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"{host}: no such host")
        return answers[host]

    return resolve


PUBLIC = resolver(
    {"hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]}
)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/trendreel",
        "https://hooks.example.com:8443/a?b=c",
        "https://93.184.215.14/hook",
    ],
)
def test_public_https_urls_are_accepted_everywhere(url: str) -> None:
    for backend in ("local", "gcp"):
        target = resolve_target(url, backend, PUBLIC)
        assert target.url == url
        assert target.addresses
        assert all(is_public(a) for a in target.addresses)


@pytest.mark.parametrize(
    ("url", "port"),
    [("http://127.0.0.1:8080/hook", 8080), ("http://localhost/hook", 80), ("http://[::1]:9/h", 9)],
)
def test_plain_http_to_loopback_is_accepted_locally_only(url: str, port: int) -> None:
    local = resolve_target(url, "local", resolver({"localhost": ["127.0.0.1"]}))

    assert local.port == port
    with pytest.raises(WebhookUrlError):
        resolve_target(url, "gcp", resolver({"localhost": ["127.0.0.1"]}))


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://hooks.example.com/hook", "https"),
        ("ftp://hooks.example.com/hook", "https"),
        ("hooks.example.com/hook", "https"),
        ("https:///nohost", "https"),
        ("https://user:pass@hooks.example.com/hook", "credentials"),
        ("https://hooks.example.com/hook#frag", "fragment"),
        ("https://hooks.example.com:99999/hook", "port"),
        ("https://hooks.example.com/a b", "spaces"),
        ("https://hooks.example.com/" + "a" * 2100, "2048"),
    ],
)
def test_malformed_or_unsafe_urls_are_refused_everywhere(url: str, says: str) -> None:
    for backend in ("local", "gcp"):
        with pytest.raises(WebhookUrlError, match=says) as caught:
            resolve_target(url, backend, PUBLIC)
        assert caught.value.field == "url"
        assert caught.value.code == "invalid_webhook_url"


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",  # the metadata server
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "224.0.0.1",
    ],
)
def test_on_gcp_a_host_resolving_to_a_private_address_is_refused(address: str) -> None:
    answers = resolver({"sneaky.example.com": ["93.184.215.14", address]})

    with pytest.raises(WebhookUrlError, match="private"):
        resolve_target("https://sneaky.example.com/hook", "gcp", answers)
    literal = f"https://[{address}]/hook" if ":" in address else f"https://{address}/hook"
    with pytest.raises(WebhookUrlError):
        resolve_target(literal, "gcp", answers)
    # Locally the machine's own network is the user's: the same URL is fine there.
    assert resolve_target("https://sneaky.example.com/hook", "local", answers).addresses


def test_on_gcp_localhost_is_refused_before_any_lookup() -> None:
    with pytest.raises(WebhookUrlError):
        resolve_target("https://localhost/hook", "gcp", resolver({}))


def test_an_unresolvable_host_is_an_os_error_for_the_caller_to_judge() -> None:
    with pytest.raises(OSError, match="no such host"):
        resolve_target("https://nowhere.example.com/hook", "gcp", resolver({}))


def test_the_pinned_transport_connects_to_the_checked_address_not_to_what_dns_says_now() -> None:
    with (
        WebhookReceiver("whsec_x") as receiver,
        httpx.Client(transport=PinnedTransport(["127.0.0.1"])) as client,
    ):
        port = receiver.url.split(":")[2].split("/")[0]
        # A name that resolves nowhere: only the pinned address can have been reached.
        response = client.post(f"http://rebound.invalid:{port}/hooks", content=b"{}")

    assert response.status_code == 400  # the receiver answered (and refused the unsigned POST)
    assert receiver.rejected == 1


def test_the_pinned_transport_reaches_nothing_else() -> None:
    with (
        WebhookReceiver("whsec_x") as receiver,
        httpx.Client(transport=PinnedTransport(["127.0.0.2"])) as client,
    ):
        port = receiver.url.split(":")[2].split("/")[0]
        with pytest.raises(httpx.ConnectError):
            client.post(f"http://127.0.0.1:{port}/hooks", content=b"{}")

    assert receiver.rejected == 0


def test_the_receivers_answer_is_read_up_to_a_limit(http_fixture: FixtureServer) -> None:
    http_fixture.add("POST", "/hooks", Scripted(status=200, body=b"x" * 1_000_000))
    pinned = PinnedTransport(["127.0.0.1"], max_response_bytes=1000)

    with httpx.Client(transport=pinned) as client:
        response = client.post(f"{http_fixture.url}/hooks", content=b"{}")

    assert response.status_code == 200
    assert len(response.content) == 1000


def test_registration_resolves_only_where_addresses_are_restricted() -> None:
    nothing = resolver({})

    check_url("https://not-yet-in-dns.example.com/hook", "local", nothing)  # no lookup locally
    with pytest.raises(OSError, match="no such host"):
        check_url("https://not-yet-in-dns.example.com/hook", "gcp", nothing)
    with pytest.raises(WebhookUrlError):
        check_url(
            "https://sneaky.example.com/h", "gcp", resolver({"sneaky.example.com": ["10.1.2.3"]})
        )
    with pytest.raises(WebhookUrlError):
        check_url("http://hooks.example.com/h", "local", nothing)
