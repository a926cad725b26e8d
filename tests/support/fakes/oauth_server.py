"""What the fake authorization servers share: requests, replies, codes, the HTTP server.
See ``tests.support.fakes.oauth`` for the documentation they follow."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.fakes.tokens import TokenRegistry

YOUTUBE_UPLOAD = "https://www.googleapis.com/auth/youtube.upload"
YOUTUBE_READONLY = "https://www.googleapis.com/auth/youtube.readonly"
GOOGLE_SCOPES = frozenset(
    {
        YOUTUBE_UPLOAD,
        YOUTUBE_READONLY,
        "https://www.googleapis.com/auth/youtube",
        "https://www.googleapis.com/auth/youtube.force-ssl",
        "openid",
        "email",
        "profile",
    }
)
TIKTOK_SCOPES = frozenset(
    {"user.info.basic", "user.info.profile", "video.list", "video.upload", "video.publish"}
)
CODE_TTL = 600.0


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Reply:
        body = json.dumps(data).encode()
        return cls(status, body, {"Content-Type": "application/json; charset=utf-8"})

    @classmethod
    def page(cls, status: int, text: str) -> Reply:
        return cls(status, f"<p>{text}</p>".encode(), {"Content-Type": "text/html"})

    @classmethod
    def redirect(cls, uri: str, params: Mapping[str, str]) -> Reply:
        joiner = "&" if "?" in uri else "?"
        return cls(302, b"", {"Location": f"{uri}{joiner}{urlencode(params)}"})


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]

    @property
    def bearer(self) -> str:
        value = self.headers.get("authorization", "")
        return value[7:] if value.lower().startswith("bearer ") else ""


@dataclass
class _Code:
    client: str
    redirect_uri: str
    scopes: tuple[str, ...]
    challenge: str | None
    method: str | None
    expires_at: float
    used: bool = False


class _FakeServer:
    """A ThreadingHTTPServer on 127.0.0.1 whose subclasses route parsed requests to replies."""

    def __init__(self, registry: TokenRegistry) -> None:
        self.registry = registry
        self.requests: list[Request] = []
        self.token_failures: list[int] = []  # statuses the next token requests answer with
        self.decline = False  # the person refuses consent
        self.grant_only: set[str] | None = None  # the person unticks the other scopes
        self.issued_access: list[str] = []
        self._codes: dict[str, _Code] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def route(self, request: Request) -> Reply:
        raise NotImplementedError

    def grant_code(self, request: Request, client: str, scopes: tuple[str, ...]) -> str:
        code = secrets.token_urlsafe(24)
        granted = tuple(s for s in scopes if self.grant_only is None or s in self.grant_only)
        with self._lock:
            self._codes[code] = _Code(
                client=client,
                redirect_uri=request.query["redirect_uri"],
                scopes=granted,
                challenge=request.query.get("code_challenge"),
                method=request.query.get("code_challenge_method"),
                expires_at=time.time() + CODE_TTL,
            )
        return code

    def redeem(self, code: str) -> _Code | None:
        """The code's grant, once: a second use, or an expired code, finds nothing."""
        with self._lock:
            found = self._codes.get(code)
            if found is None or found.used or found.expires_at < time.time():
                return None
            found.used = True
            return found

    def next_failure(self) -> int | None:
        with self._lock:
            return self.token_failures.pop(0) if self.token_failures else None

    def issue(self, refresh_token: str, ttl: float) -> tuple[str, tuple[str, ...]] | None:
        """A new access token (and the grant's scopes) for a live refresh token."""
        issued = self.registry.exchange(refresh_token, ttl_seconds=ttl)
        if issued is None:
            return None
        with self._lock:
            self.issued_access.append(issued[0])
        return issued[0], tuple(sorted(issued[1]))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                headers = {k.lower(): v for k, v in self.headers.items()}
                form_type = "application/x-www-form-urlencoded"
                form = raw if headers.get("content-type", "").startswith(form_type) else ""
                request = Request(
                    self.command, parts.path, _single(parts.query), _single(form), headers
                )
                with fake._lock:
                    fake.requests.append(request)
                reply = fake.route(request)
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = _serve  # noqa: N815
            do_POST = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def _single(text: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _is_loopback_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1") and bool(parts.port)


def _log_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(9).upper()
