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

from tests.support.fakes.oauth_browser import Browser
from tests.support.fakes.oauth_google import FakeGoogleOAuth
from tests.support.fakes.oauth_server import (
    CODE_TTL,
    GOOGLE_SCOPES,
    TIKTOK_SCOPES,
    YOUTUBE_READONLY,
    YOUTUBE_UPLOAD,
    Reply,
    Request,
)
from tests.support.fakes.oauth_tiktok import FakeTikTokOAuth

__all__ = [
    "CODE_TTL",
    "GOOGLE_SCOPES",
    "TIKTOK_SCOPES",
    "YOUTUBE_READONLY",
    "YOUTUBE_UPLOAD",
    "Browser",
    "FakeGoogleOAuth",
    "FakeTikTokOAuth",
    "Reply",
    "Request",
]
