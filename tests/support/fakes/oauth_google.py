"""The fake Google authorization server (see ``tests.support.fakes.oauth``)."""

from __future__ import annotations

import base64
import hashlib

from tests.support.fakes.oauth_server import (
    GOOGLE_SCOPES,
    YOUTUBE_READONLY,
    Reply,
    Request,
    _FakeServer,
    _is_loopback_redirect,
)
from tests.support.fakes.tokens import TokenRegistry


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
