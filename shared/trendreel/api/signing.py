"""Signed media URLs: ``/videos/{id}/video.mp4?expires=…&sig=…`` that a browser ``<video>`` can
load without a bearer header.

``sig`` is an HMAC-SHA256 over the path and the expiry, keyed by a key derived from the API token
(so rotating the token revokes every URL handed out). The path is the route path, without any
mount prefix, so a URL stays valid wherever the api is mounted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from enum import Enum

MEDIA_URL_TTL_SECONDS = 3600
_CONTEXT = b"trendreel/media-url/v1"


class Signature(Enum):
    MISSING = "missing"
    VALID = "valid"
    INVALID = "invalid"
    EXPIRED = "expired"


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _CONTEXT, hashlib.sha256).digest()


def sign(secret: str, path: str, expires: int) -> str:
    mac = hmac.new(_key(secret), f"{path}\n{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def signed_query(secret: str, path: str, now: datetime, ttl: int) -> tuple[str, int]:
    expires = int(now.timestamp()) + ttl
    return f"expires={expires}&sig={sign(secret, path, expires)}", expires


def check(
    secret: str | None, path: str, expires: int | None, sig: str | None, now: datetime
) -> Signature:
    if expires is None and sig is None:
        return Signature.MISSING
    if secret is None or expires is None or sig is None:
        return Signature.INVALID
    if not hmac.compare_digest(sign(secret, path, expires).encode(), sig.encode()):
        return Signature.INVALID
    if expires < now.timestamp():
        return Signature.EXPIRED
    return Signature.VALID
