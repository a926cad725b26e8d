"""Fake OAuth 2.0 authorization servers for Google (YouTube) and TikTok, on 127.0.0.1.

Each serves the authorization page (validating what the real one validates and answering with
a 302 to the loopback redirect, as the browser would follow it), the token endpoint
(authorization_code with PKCE checked the platform's way, refresh_token), and the one API call
`trendreel accounts connect` makes to name the account. Tokens are issued into a shared
``TokenRegistry``, where the fake platform APIs check them.

Built from:
- Google, OAuth 2.0 for Mobile & Desktop Apps:
  https://developers.google.com/youtube/v3/guides/auth/installed-apps (parameters, loopback
  redirect ``http://127.0.0.1:<port>`` or ``http://[::1]:<port>``, S256 =
  base64url(sha256(verifier)) unpadded, token and refresh responses, ``invalid_grant``,
  ``redirect_uri_mismatch``), https://developers.google.com/identity/protocols/oauth2/native-app
- Google's refresh error body {"error": "invalid_grant", "error_description": "Token has been
  expired or revoked."}: https://www.nango.dev/blog/google-oauth-invalid-grant-token-has-been-expired-or-revoked
- YouTube channels.list mine=true: https://developers.google.com/youtube/v3/docs/channels/list
- TikTok Login Kit for Desktop: https://developers.tiktok.com/doc/login-kit-desktop (client_key,
  comma-separated scopes, registered redirect URIs with a port or the ``*`` wildcard port, host
  127.0.0.1 or localhost, code_challenge = *hex* sha256(verifier), redirect with ``code``,
  ``scopes``, ``state``; error page naming the parameter to correct)
- TikTok Manage User Access Tokens: https://developers.tiktok.com/doc/oauth-user-access-token-management
  (/v2/oauth/token/, response fields, rotation: "the returned refresh_token may be different"),
  errors: https://developers.tiktok.com/doc/oauth-error-handling (error, error_description,
  log_id), sent with HTTP 200: https://github.com/HohnerJulian/ResearchTikPy/pull/28
- TikTok user info: https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info, errors:
  https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

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


class FakeGoogleOAuth(_FakeServer):
    """accounts.google.com/o/oauth2/v2/auth, oauth2.googleapis.com/token and channels.list."""

    def __init__(
        self,
        registry: TokenRegistry,
        *,
        client_id: str = "fake-client.apps.googleusercontent.com",
        client_secret: str = "fake-client-secret",
        channel: tuple[str, str] | None = ("UCfakechannel0000000000", "Trendreel Test Channel"),
        access_ttl: float = 3599,
    ) -> None:
        super().__init__(registry)
        self.client_id, self.client_secret = client_id, client_secret
        self.channel = channel
        self.access_ttl = access_ttl

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/o/oauth2/v2/auth"

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    @property
    def youtube_base_url(self) -> str:
        return f"{self.url}/youtube/v3"

    def route(self, request: Request) -> Reply:
        if request.method == "GET" and request.path == "/o/oauth2/v2/auth":
            return self._authorize(request)
        if request.method == "POST" and request.path == "/token":
            return self._token(request)
        if request.method == "GET" and request.path == "/youtube/v3/channels":
            return self._channels(request)
        return Reply.json({"error": {"code": 404, "message": "Not Found"}}, 404)

    def _authorize(self, request: Request) -> Reply:
        q = request.query
        if q.get("client_id") != self.client_id:
            return Reply.page(401, "Error 401: invalid_client. The OAuth client was not found.")
        if not _is_loopback_redirect(q.get("redirect_uri", "")):
            return Reply.page(400, "Error 400: redirect_uri_mismatch")
        if q.get("response_type") != "code":
            return Reply.page(400, "Error 400: unsupported_response_type")
        scopes = tuple(q.get("scope", "").split())
        if not scopes or not set(scopes) <= GOOGLE_SCOPES:
            return Reply.page(400, "Error 400: invalid_scope")
        if not _google_challenge_ok(q.get("code_challenge"), q.get("code_challenge_method")):
            return Reply.page(400, "Error 400: invalid_request (code_challenge)")
        back = {"state": q["state"]} if "state" in q else {}
        if self.decline:
            return Reply.redirect(q["redirect_uri"], {"error": "access_denied", **back})
        code = self.grant_code(request, self.client_id, scopes)
        granted = " ".join(self._codes[code].scopes)
        return Reply.redirect(q["redirect_uri"], {**back, "code": code, "scope": granted})

    def _token(self, request: Request) -> Reply:
        failure = self.next_failure()
        if failure is not None:
            return _google_error(failure, "internal_failure", "Backend Error")
        form = request.form
        if form.get("client_id") != self.client_id:
            return _google_error(401, "invalid_client", "The OAuth client was not found.")
        if form.get("client_secret") != self.client_secret:
            return _google_error(401, "invalid_client", "Unauthorized")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._code_grant(form)
        if grant == "refresh_token":
            issued = self.issue(form.get("refresh_token", ""), self.access_ttl)
            if issued is None:
                return _google_error(400, "invalid_grant", "Token has been expired or revoked.")
            return Reply.json(
                {
                    "access_token": issued[0],
                    "expires_in": self.access_ttl,
                    "scope": " ".join(issued[1]),
                    "token_type": "Bearer",
                }
            )
        return _google_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")

    def _code_grant(self, form: dict[str, str]) -> Reply:
        code = self.redeem(form.get("code", ""))
        if code is None:
            return _google_error(400, "invalid_grant", "Bad Request")
        if form.get("redirect_uri") != code.redirect_uri:
            return _google_error(400, "redirect_uri_mismatch", "Bad Request")
        if code.challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                return _google_error(400, "invalid_grant", "Missing code verifier.")
            if _google_transform(verifier, code.method) != code.challenge:
                return _google_error(400, "invalid_grant", "Invalid code verifier.")
        refresh = self.registry.grant(set(code.scopes))
        issued = self.issue(refresh, self.access_ttl)
        assert issued is not None  # granted a moment ago
        return Reply.json(
            {
                "access_token": issued[0],
                "expires_in": self.access_ttl,
                "refresh_token": refresh,
                "scope": " ".join(code.scopes),
                "token_type": "Bearer",
            }
        )

    def _channels(self, request: Request) -> Reply:
        if request.query.get("mine") != "true":
            return _google_api_error(400, "missingRequiredParameter", "No filter selected.")
        states = {
            self.registry.check(request.bearer, scope)
            for scope in (YOUTUBE_READONLY, "https://www.googleapis.com/auth/youtube")
        }
        if "ok" not in states:
            if self.registry.check(request.bearer) != "ok":
                return _google_api_error(401, "authError", "Invalid Credentials")
            return _google_api_error(403, "insufficientPermissions", "Insufficient Permission")
        items = []
        if self.channel is not None:
            channel_id, title = self.channel
            items = [{"kind": "youtube#channel", "id": channel_id, "snippet": {"title": title}}]
        return Reply.json({"kind": "youtube#channelListResponse", "items": items})


def _google_challenge_ok(challenge: str | None, method: str | None) -> bool:
    if challenge is None:
        return method is None  # PKCE is optional at Google; a method alone is malformed
    if method not in (None, "S256", "plain"):
        return False
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    return 43 <= len(challenge) <= 128 and set(challenge) <= alphabet


def _google_transform(verifier: str, method: str | None) -> str:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier  # plain, the default when no method was sent


def _google_error(status: int, error: str, description: str) -> Reply:
    return Reply.json({"error": error, "error_description": description}, status)


def _google_api_error(status: int, reason: str, message: str) -> Reply:
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
        }
    }
    return Reply.json(body, status)


class FakeTikTokOAuth(_FakeServer):
    """www.tiktok.com/v2/auth/authorize/, open.tiktokapis.com/v2/oauth/token/ and
    /v2/user/info/. Serve it as both the authorize URL's host and ``tiktok_base_url``."""

    def __init__(
        self,
        registry: TokenRegistry,
        *,
        client_key: str = "fakeclientkey0001",
        client_secret: str = "fake-tiktok-secret",
        redirect_uris: tuple[str, ...] = ("http://127.0.0.1:*/callback/",),
        open_id: str = "-000fake-open-id",
        display_name: str = "Trendreel Test Creator",
        rotate_refresh: bool = False,
        error_status: int = 200,
        access_ttl: float = 86400,
        refresh_ttl: float = 31536000,
    ) -> None:
        super().__init__(registry)
        self.client_key, self.client_secret = client_key, client_secret
        self.redirect_uris = redirect_uris
        self.open_id, self.display_name = open_id, display_name
        self.rotate_refresh = rotate_refresh
        self.error_status = error_status  # TikTok answers OAuth errors with 200 as often as not
        self.echo_in_errors = False  # error descriptions repeat the token they refuse
        self.access_ttl, self.refresh_ttl = access_ttl, refresh_ttl

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/v2/auth/authorize/"

    def route(self, request: Request) -> Reply:
        if request.method == "GET" and request.path == "/v2/auth/authorize/":
            return self._authorize(request)
        if request.method == "POST" and request.path == "/v2/oauth/token/":
            return self._token(request)
        if request.method == "GET" and request.path == "/v2/user/info/":
            return self._user_info(request)
        return _tiktok_api_error(404, "not_found", "Not found")

    def _authorize(self, request: Request) -> Reply:
        q = request.query
        problem = self._authorize_problem(q)
        if problem is not None:
            return Reply.page(
                400,
                "We couldn't log in with TikTok. This may be due to specific app settings. "
                f"If you're a developer, correct the following and try again: {problem}",
            )
        back = {"state": q["state"]} if "state" in q else {}
        if self.decline:
            return Reply.redirect(
                q["redirect_uri"],
                {"error": "access_denied", "error_description": "User denied", **back},
            )
        code = self.grant_code(request, self.client_key, tuple(q["scope"].split(",")))
        granted = ",".join(self._codes[code].scopes)
        return Reply.redirect(q["redirect_uri"], {"code": code, "scopes": granted, **back})

    def _authorize_problem(self, q: Mapping[str, str]) -> str | None:
        scopes = set(q.get("scope", "").split(","))
        checks: list[tuple[str, bool]] = [
            ("client_key", q.get("client_key") == self.client_key),
            ("redirect_uri", self._registered(q.get("redirect_uri", ""))),
            ("response_type", q.get("response_type") == "code"),
            ("scope", bool(q.get("scope")) and scopes <= TIKTOK_SCOPES),
            ("code_challenge", bool(q.get("code_challenge"))),
            ("code_challenge_method", q.get("code_challenge_method") == "S256"),
        ]
        return next((name for name, ok in checks if not ok), None)

    def _registered(self, uri: str) -> bool:
        got = urlsplit(uri)
        try:
            port = str(got.port)
        except ValueError:
            return False
        if got.hostname not in ("127.0.0.1", "localhost") or got.query or got.fragment:
            return False
        for pattern in self.redirect_uris:
            want = urlsplit(pattern)
            same = (want.scheme, want.hostname, want.path) == (got.scheme, got.hostname, got.path)
            if same and want.netloc.rsplit(":", 1)[1] in ("*", port):
                return True
        return False

    def _token(self, request: Request) -> Reply:
        failure = self.next_failure()
        if failure is not None:
            return self._error("server_error", "Internal error", status=failure)
        form = request.form
        if not form:
            return self._error("invalid_request", "The request parameters are malformed.")
        client = (form.get("client_key"), form.get("client_secret"))
        if client != (self.client_key, self.client_secret):
            return self._error("invalid_client", "Client key or secret is incorrect.")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._code_grant(form)
        if grant == "refresh_token":
            return self._refresh_grant(form.get("refresh_token", ""))
        return self._error("unsupported_grant_type", f"Unsupported grant_type: {grant}")

    def _code_grant(self, form: dict[str, str]) -> Reply:
        code = self.redeem(form.get("code", ""))
        if code is None:
            return self._error("invalid_grant", "Authorization code is expired.")
        if form.get("redirect_uri") != code.redirect_uri:
            return self._error(
                "invalid_request", "Redirect_uri is not matched with the uri when requesting code."
            )
        verifier = form.get("code_verifier", "")
        # Desktop PKCE: the challenge is the *hex* SHA-256 of the verifier.
        if not verifier or hashlib.sha256(verifier.encode()).hexdigest() != code.challenge:
            return self._error("invalid_request", "Code verifier or code challenge is invalid.")
        refresh = self.registry.grant(set(code.scopes))
        issued = self.issue(refresh, self.access_ttl)
        assert issued is not None  # granted a moment ago
        return self._tokens(issued[0], refresh, code.scopes)

    def _refresh_grant(self, refresh: str) -> Reply:
        issued = self.issue(refresh, self.access_ttl)
        if issued is None:
            echoed = f" ({refresh})" if self.echo_in_errors else ""
            return self._error("invalid_grant", f"Refresh token is invalid or expired.{echoed}")
        if self.rotate_refresh:
            self.registry.revoke(refresh)
            refresh = self.registry.grant(set(issued[1]))
        return self._tokens(issued[0], refresh, issued[1])

    def _tokens(self, access: str, refresh: str, scopes: tuple[str, ...]) -> Reply:
        return Reply.json(
            {
                "access_token": access,
                "expires_in": self.access_ttl,
                "open_id": self.open_id,
                "refresh_expires_in": self.refresh_ttl,
                "refresh_token": refresh,
                "scope": ",".join(scopes),
                "token_type": "Bearer",
            }
        )

    def _error(self, error: str, description: str, status: int | None = None) -> Reply:
        body = {"error": error, "error_description": description, "log_id": _log_id()}
        return Reply.json(body, self.error_status if status is None else status)

    def _user_info(self, request: Request) -> Reply:
        state = self.registry.check(request.bearer, "user.info.basic")
        if state != "ok":
            if self.registry.check(request.bearer) == "ok":
                return _tiktok_api_error(401, "scope_not_authorized", "Scope not authorized.")
            return _tiktok_api_error(
                401, "access_token_invalid", "The access token is invalid or not found."
            )
        user = {"open_id": self.open_id, "display_name": self.display_name}
        ok = {"code": "ok", "message": "", "log_id": _log_id()}
        return Reply.json({"data": {"user": user}, "error": ok})


def _tiktok_api_error(status: int, code: str, message: str) -> Reply:
    error = {"code": code, "message": message, "log_id": _log_id()}
    return Reply.json({"data": {}, "error": error}, status)


class Browser:
    """Plays the person's browser for `connect`: called with the authorization URL (as
    ``webbrowser.open`` would be), it GETs it, and follows the 302 to the loopback redirect, in
    a thread. ``tamper_authorize`` / ``tamper_redirect`` rewrite a URL on the way."""

    def __init__(
        self,
        tamper_authorize: Callable[[str], str] | None = None,
        tamper_redirect: Callable[[str], str] | None = None,
    ) -> None:
        self.tamper_authorize = tamper_authorize
        self.tamper_redirect = tamper_redirect
        self.visited: list[str] = []
        self.final: httpx.Response | None = None
        self._thread: threading.Thread | None = None

    def __call__(self, url: str) -> bool:
        self._thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        self._thread.start()
        return True

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _visit(self, url: str) -> None:
        with httpx.Client(timeout=10) as client:
            url = self.tamper_authorize(url) if self.tamper_authorize else url
            self.visited.append(url)
            page = client.get(url)
            if page.status_code != 302:
                self.final = page
                return
            location = page.headers["Location"]
            location = self.tamper_redirect(location) if self.tamper_redirect else location
            self.visited.append(location)
            self.final = client.get(location)
