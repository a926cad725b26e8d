"""Which URLs trendreel will POST webhooks to, checked at registration and again at delivery.

- https only; locally (backend ``local``) also plain http to 127.0.0.1, ::1 or localhost;
- no credentials (``user:pass@``) and no fragment in the URL;
- on gcp, every address the host resolves to must be a public one: a receiver inside the
  project's network (10/8, 172.16/12, 192.168/16, loopback, 169.254.169.254 the metadata server,
  100.64/10, IPv6 ULA/link-local, an IPv4-mapped private address) could turn a webhook into a
  request forgery against the deployment's own services (OWASP, Server-Side Request Forgery
  Prevention Cheat Sheet:
  https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html).

The delivery connects to exactly the addresses checked here (``transport.pinned_transport``),
so a DNS answer that changes between the check and the connection (rebinding) is never used,
and it does not follow redirects.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from trendreel.webhooks.errors import WebhookUrlError
from trendreel.webhooks.models import MAX_URL_LENGTH

#: host, port -> the addresses it resolves to (raises OSError when it cannot be resolved).
Resolver = Callable[[str, int], list[str]]
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """A checked URL and the addresses a delivery may connect to."""

    url: str
    host: str  # as the HTTP client connects to it (IDNA, no brackets)
    port: int
    addresses: tuple[str, ...]


def check_syntax(url: str, backend: str) -> SplitResult:
    """The URL's parts, or WebhookUrlError naming what is wrong (no network access)."""
    if len(url) > MAX_URL_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise WebhookUrlError("url must be at most 2048 characters, without spaces")
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in ("https", "http") or not host:
        raise WebhookUrlError("url must be an absolute https:// URL")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlError("url must not contain credentials (user:password@)")
    if parts.fragment or url.endswith("#"):
        raise WebhookUrlError("url must not contain a fragment (#…)")
    try:
        parts.port  # noqa: B018 - parsing the port validates it
    except ValueError as exc:
        raise WebhookUrlError("url has an invalid port") from exc
    if scheme == "http" and not (backend == "local" and host in LOOPBACK_HOSTS):
        raise WebhookUrlError(
            "url must use https (plain http only to 127.0.0.1 or localhost, locally)"
        )
    return parts


def is_public(address: str) -> bool:
    """Whether ``address`` is a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 reaches 10.0.0.1
    return ip.is_global and not ip.is_multicast


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def resolve_target(url: str, backend: str, resolve: Resolver = system_resolver) -> Target:
    """The target ``url`` names and the addresses a delivery may connect to, if trendreel may
    call it from ``backend``; WebhookUrlError if not. On gcp every address must be public. An
    unresolvable host raises OSError (from ``resolve``): the caller decides whether that is a
    bad URL or a passing DNS failure."""
    parts = check_syntax(url, backend)
    host = (parts.hostname or "").encode("idna").decode("ascii")
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    if backend == "gcp" and host == "localhost":
        raise WebhookUrlError("url must not name this deployment's own network")
    addresses = (host,) if _literal(host) else tuple(resolve(host, port))
    if not addresses:
        raise OSError(f"{host} resolves to no address")
    if backend == "gcp" and not all(is_public(address) for address in addresses):
        raise WebhookUrlError(
            "url resolves to a private, loopback or link-local address; webhooks go to public "
            "hosts only"
        )
    return Target(url=url, host=host, port=port, addresses=addresses)


def check_url(url: str, backend: str, resolve: Resolver = system_resolver) -> None:
    """Registration's check: the rules above, resolving the host only where addresses are
    restricted (gcp); locally a host that does not resolve yet is the user's business."""
    if backend == "gcp":
        resolve_target(url, backend, resolve)
    else:
        check_syntax(url, backend)
