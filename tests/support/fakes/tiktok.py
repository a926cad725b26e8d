"""A fake TikTok (Content Posting API, Direct Post, and Query Videos): a real HTTP server on
127.0.0.1 that keeps TikTok's awkward parts, built from TikTok's own documentation:

- Get started: https://developers.tiktok.com/doc/content-posting-api-get-started
- Direct Post (video/init, its error codes, upload URL valid one hour, ``is_aigc``):
  https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
- Query Creator Info (privacy options of public and private accounts, "200 (intentional)"):
  https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info
- Media Transfer Guide (chunk rules, Content-Range, 206/201/400/403/404/416):
  https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
- Get Post Status (statuses, ``uploaded_bytes``, ``publicaly_available_post_id``, fail_reason):
  https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
- Content Sharing Guidelines (unaudited clients: SELF_ONLY, private accounts):
  https://developers.tiktok.com/doc/content-sharing-guidelines
- Query Videos: https://developers.tiktok.com/doc/tiktok-api-v2-video-query
- Rate limits (one-minute sliding window, 429 ``rate_limit_exceeded``):
  https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit
- Error envelope and codes: https://developers.tiktok.com/doc/tiktok-api-v2-error-handling

Modelled: bearer tokens checked against a TokenRegistry (expired or unknown:
``access_token_invalid``; a missing scope: ``scope_not_authorized``); per-token per-endpoint
limits; video/init validating the chunk rules (``invalid_param``), the privacy options
(``privacy_level_option_mismatch``) and the unaudited-app switch; chunk PUTs validated for order
and Content-Range; status/fetch moving from PROCESSING_UPLOAD (with ``uploaded_bytes``) to
PUBLISH_COMPLETE or FAILED after ``processing_polls`` polls. A FILE_UPLOAD never shows
PROCESSING_DOWNLOAD: the docs give that status to PULL_FROM_URL only.

Hooks: ``account`` (creator, audit switches, outcome, ``interrupt_after_chunks``),
``throttle``, ``posts``, ``requests``. Time is the injected ``clock`` (seconds).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.fakes.tiktok_records import Post, Received, Reply
from tests.support.fakes.tiktok_rules import RATE_LIMITS, SCOPES, SlidingWindows, error_body
from tests.support.fakes.tiktok_state import Account
from tests.support.fakes.tokens import TokenRegistry

CREATOR_INFO = "/v2/post/publish/creator_info/query/"
VIDEO_INIT = "/v2/post/publish/video/init/"
STATUS_FETCH = "/v2/post/publish/status/fetch/"
VIDEO_QUERY = "/v2/video/query/"
UPLOAD = "/upload/"


class FakeTikTok:
    def __init__(self, tokens: TokenRegistry, *, clock: Callable[[], float] = time.time) -> None:
        self.tokens = tokens
        self.requests: list[Received] = []
        self._clock = clock
        self._lock = threading.Lock()
        self._windows = SlidingWindows(clock)
        self._throttled: dict[str, int] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.account = Account(clock=clock, upload_base=self.url)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def posts(self) -> list[Post]:
        with self._lock:
            return list(self.account.posts)

    def start(self) -> FakeTikTok:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def throttle(self, path: str, count: int) -> None:
        """The next ``count`` calls to ``path`` get 429, as if another client used the token."""
        with self._lock:
            self._throttled[path] = count

    def calls(self, path: str, status: int | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.path == path and status in (None, r.status)]

    def answer(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        with self._lock:
            if method == "PUT" and parts.path == UPLOAD:
                reply = self.account.put_chunk(query, headers, raw)
                self._record(method, parts.path, reply, headers, None, len(raw))
                return reply
            body = _json(raw)
            reply = self._api(method, parts.path, headers, body, query.get("fields", ""))
            self._record(method, parts.path, reply, headers, body, len(raw))
            return reply

    def _api(
        self, method: str, path: str, headers: dict[str, str], body: Any, fields: str
    ) -> Reply:
        if method != "POST" or path not in RATE_LIMITS:
            return Reply(404, error_body("invalid_params", f"no such endpoint: {method} {path}"))
        token = headers.get("authorization", "").removeprefix("Bearer ")
        refusal = self._auth(token, path) or self._rate(token, path)
        if refusal is not None:
            return refusal
        if body is _MALFORMED:
            return Reply(400, error_body("invalid_params", "The request body is not valid JSON"))
        routes: dict[str, Callable[[], Reply]] = {
            CREATOR_INFO: self.account.creator_info,
            VIDEO_INIT: lambda: self.account.init(body),
            STATUS_FETCH: lambda: self.account.status(body),
            VIDEO_QUERY: lambda: self.account.video_query(fields, body),
        }
        return routes[path]()

    def _auth(self, token: str, path: str) -> Reply | None:
        if self.tokens.check(token) != "ok":
            message = "The access token is invalid or not found in the request."
            return Reply(401, error_body("access_token_invalid", message))
        if all(self.tokens.check(token, scope) != "ok" for scope in SCOPES[path]):
            message = f"The user did not authorize the scope {' or '.join(SCOPES[path])}."
            return Reply(401, error_body("scope_not_authorized", message))
        return None

    def _rate(self, token: str, path: str) -> Reply | None:
        forced = self._throttled.get(path, 0)
        if forced:
            self._throttled[path] = forced - 1
        if self._windows.admit((token, path), RATE_LIMITS[path]) and not forced:
            return None
        message = "Your request is blocked due to exceeding the API rate limit."
        return Reply(429, error_body("rate_limit_exceeded", message))

    def _record(
        self, method: str, path: str, reply: Reply, headers: dict[str, str], body: Any, size: int
    ) -> None:
        status = 0 if reply.cut else reply.status
        self.requests.append(Received(method, path, status, headers, body, size))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = fake.answer(self.command, self.path, headers, raw)
                if reply.cut:
                    self.close_connection = True
                    return
                payload = b"" if reply.body is None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.body is not None:
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_PUT = do_GET = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


_MALFORMED = object()


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _MALFORMED
