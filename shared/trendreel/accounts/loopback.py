"""The loopback redirect: a one-shot HTTP server on 127.0.0.1 that receives the browser's
redirect after consent (RFC 8252 section 7.3; Google's "Loopback IP address" redirect method,
https://developers.google.com/youtube/v3/guides/auth/installed-apps; TikTok's desktop redirect
URIs, https://developers.tiktok.com/doc/login-kit-desktop).

It binds the loopback address only, answers the one redirect that carries ``state``, ``code``
or ``error`` with a page telling the person to go back to the terminal, checks ``state`` before
anything else, and closes. Other requests (a favicon, a stray visit) get 404 and are ignored.
"""

from __future__ import annotations

import hmac
import html
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from trendreel.errors import ConfigError, ProviderAuthError, ProviderError

HOST = "127.0.0.1"
_MARKERS = ("code", "error", "state")


class _Server(HTTPServer):
    expected_path: str
    state: str = ""
    received: dict[str, str] | None = None

    def state_matches(self, query: Mapping[str, str]) -> bool:
        return hmac.compare_digest(query.get("state", "").encode(), self.state.encode())


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # A browser's speculative connection that never sends a request must not stall the wait.
    timeout = 5

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if parts.path != self.server.expected_path or not any(k in query for k in _MARKERS):
            self._page(404, "Not the authorization redirect.")
            return
        if self.server.received is None:
            self.server.received = query
        if not self.server.state_matches(query):
            self._page(400, "This redirect is not from the sign-in trendreel started.")
        elif "error" in query:
            reason = html.escape(query.get("error_description") or query["error"])
            self._page(200, f"Authorization was not granted ({reason}). You can close this tab.")
        else:
            self._page(200, "trendreel received the authorization. Return to the terminal.")

    def _page(self, status: int, text: str) -> None:
        body = f"<!doctype html><title>trendreel</title><p>{text}</p>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # The default log writes the request line, and the request line holds the code.
        return


class LoopbackReceiver:
    def __init__(self, provider: str, path: str, port: int = 0) -> None:
        self.provider = provider
        self._path = path
        try:
            self._server = _Server((HOST, port), _Handler)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {HOST}:{port} for the authorization redirect: {exc.strerror}",
                field="--redirect-port",
                hint="Choose another --redirect-port (one registered with the app), or stop "
                "what holds that port.",
            ) from exc
        self._server.expected_path = path or "/"

    @property
    def redirect_uri(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}{self._path}"

    def wait(self, state: str, timeout: float) -> Mapping[str, str]:
        """The redirect's query parameters once its ``state`` is checked. Raises on a timeout,
        a mismatched state or a refusal."""
        deadline = time.monotonic() + timeout
        self._server.state = state
        while self._server.received is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProviderError(
                    self.provider,
                    f"no authorization arrived within {timeout:.0f} s",
                    hint="Run the command again and finish signing in within the time, or "
                    "give it longer with --timeout.",
                )
            self._server.timeout = min(remaining, 0.5)
            self._server.handle_request()
        return self._checked(self._server.received)

    def _checked(self, query: Mapping[str, str]) -> Mapping[str, str]:
        if not self._server.state_matches(query):
            raise ProviderAuthError(
                self.provider,
                "the authorization redirect carried another state than the one sent: it did "
                "not come from this sign-in; nothing was stored",
                hint="Run the command again and open only the URL it prints.",
            )
        if "error" in query:
            reason = query.get("error_description") or ""
            raise ProviderAuthError(
                self.provider,
                f"authorization was not granted: {query['error']}"
                + (f" ({reason[:200]})" if reason else ""),
                hint="Run the command again and allow the requested access.",
            )
        if not query.get("code"):
            raise ProviderAuthError(self.provider, "the authorization redirect carried no code")
        return query

    def close(self) -> None:
        self._server.server_close()

    def __enter__(self) -> LoopbackReceiver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
