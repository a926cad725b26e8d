"""The fake TikTok authorization server (see ``tests.support.fakes.oauth``)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from urllib.parse import urlsplit

from tests.support.fakes.oauth_server import (
    TIKTOK_SCOPES,
    Reply,
    Request,
    _FakeServer,
    _log_id,
)
from tests.support.fakes.tokens import TokenRegistry


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
