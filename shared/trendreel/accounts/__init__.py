"""Connected publishing accounts: OAuth 2.0 for YouTube and TikTok.

- ``store``: the refresh token of each platform's account (a mode-600 file locally, a Secret
  Manager secret on Cloud Run);
- ``oauth``: ``OAuthTokens``, the publishers' ``AccessTokens`` (refresh, cache, invalidate);
- ``connect`` with ``loopback`` and ``pkce``: ``trendreel accounts connect <platform>``;
- ``platforms``: what differs between Google's and TikTok's OAuth.
"""

from __future__ import annotations

from trendreel.accounts.oauth import OAuthTokens, access_tokens
from trendreel.accounts.store import (
    AccountNotConnectedError,
    StoredAccount,
    account_path,
    load_account,
    save_account,
)

__all__ = [
    "AccountNotConnectedError",
    "OAuthTokens",
    "StoredAccount",
    "access_tokens",
    "account_path",
    "load_account",
    "save_account",
]
