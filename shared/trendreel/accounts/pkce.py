"""Proof Key for Code Exchange (RFC 7636): a fresh verifier per authorization request, and its
challenge as each platform computes it.

Both platforms name the method ``S256`` but encode the SHA-256 digest differently:

- Google: ``BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`` without padding, as RFC 7636 says
  (https://developers.google.com/youtube/v3/guides/auth/installed-apps, step 1).
- TikTok desktop: "You must use hex encoding of SHA256 to generate the code challenge from the
  code verifier" (https://developers.tiktok.com/doc/login-kit-desktop). A base64url challenge
  fails there with ``invalid_request`` "Code verifier or code challenge is invalid."
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

METHOD = "S256"
# 48 random bytes are 64 characters of [A-Za-z0-9_-], inside the 43-128 unreserved characters
# both platforms require.
VERIFIER_BYTES = 48


def new_verifier() -> str:
    return secrets.token_urlsafe(VERIFIER_BYTES)


def s256_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def hex_challenge(verifier: str) -> str:
    return hashlib.sha256(verifier.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str
    method: str = METHOD

    def __repr__(self) -> str:
        # The verifier is what turns an intercepted code into tokens: never shown.
        return f"Pkce(challenge={self.challenge!r}, method={self.method!r})"
