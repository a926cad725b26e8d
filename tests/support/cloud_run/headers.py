"""Request and response headers between the caller and the instance.

Hop-by-hop headers (RFC 9110 section 7.6.1) are stripped both ways. ``X-Forwarded-For`` gets
the client address appended and ``X-Forwarded-Proto`` is the scheme the caller used (``http``
here: on Cloud Run, which terminates TLS, it is ``https``; the Cloud Run docs retrieved do not
describe these two). The instance's ``Server`` header is replaced by ``SERVER``, ``Google
Frontend``: what Cloud Run responses carry as observed, e.g. GoogleCloudPlatform/esp-v2#430; not
in the docs."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

SERVER = "Google Frontend"
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
_NOT_FORWARDED = _HOP_BY_HOP | {"content-length", "expect"}
NOT_RETURNED = _HOP_BY_HOP | {"server", "date"}


class RequestHeaders(dict[str, str]):
    """Request headers by lower-case name, with how many times each appeared."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}
        for key, value in items:
            name = key.lower()
            self.counts[name] = self.counts.get(name, 0) + 1
            self.setdefault(name, value)


def without_hop_by_hop(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` without the hop-by-hop ones (RFC 9110 section 7.6.1), those the Connection
    header names, and Content-Length and Expect (the edge sends the body it spooled, with its
    own length)."""
    connection_named = {
        name.strip().lower()
        for key, value in headers
        if key.lower() == "connection"
        for name in value.split(",")
    }
    dropped = _NOT_FORWARDED | connection_named
    return [(k, v) for k, v in headers if k.lower() not in dropped]


def add_platform_headers(headers: list[tuple[str, str]], *, client: str) -> list[tuple[str, str]]:
    """``X-Forwarded-For`` with ``client`` appended, ``X-Forwarded-Proto``, and, when neither is
    there, ``X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1`` and ``traceparent``
    (https://cloud.google.com/trace/docs/trace-context: Google Cloud services that propagate
    trace context support both)."""
    names = {k.lower() for k, _ in headers}
    forwarded_for = [v for k, v in headers if k.lower() == "x-forwarded-for"]
    out = [(k, v) for k, v in headers if k.lower() not in ("x-forwarded-for", "x-forwarded-proto")]
    out.append(("X-Forwarded-For", ", ".join([*forwarded_for, client])))
    out.append(("X-Forwarded-Proto", "http"))
    if "x-cloud-trace-context" not in names and "traceparent" not in names:
        trace_id, span_id = secrets.token_hex(16), secrets.randbits(63) or 1
        out.append(("X-Cloud-Trace-Context", f"{trace_id}/{span_id};o=1"))
        out.append(("traceparent", f"00-{trace_id}-{span_id:016x}-01"))
    return out
