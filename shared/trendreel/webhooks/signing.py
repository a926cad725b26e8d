"""Signing webhook deliveries, and ``verify`` for receivers: Stripe's scheme with our names.

Every delivery carries::

    Trendreel-Event-Id: evt_…          stable across attempts: de-duplicate on it
    Trendreel-Event-Type: job.completed
    Trendreel-Timestamp: 1718000000    when this attempt was signed (unix seconds)
    Trendreel-Signature: t=1718000000,v1=<hex HMAC-SHA256(secret, "1718000000." + raw body)>

As in Stripe's scheme (https://docs.stripe.com/webhooks/signatures, "verify manually": the
signed payload is the timestamp, a ``.`` and the raw body; the expected signature is compared
with each ``v1`` in constant time; the timestamp must be within a tolerance, 300 s by default,
https://pkg.go.dev/gopkg.in/stripe/stripe-go.v23/webhook DefaultTolerance,
https://www.rubydoc.info/gems/stripe/Stripe/Webhook/Signature compute_signature): the timestamp
is signed with the body, so a captured delivery cannot be replayed later with a fresh time, and
each attempt is signed anew. Several ``v1`` entries may appear (one per secret while a secret is
being rotated); any match verifies. GitHub signs the raw body the same way and likewise asks
for a constant-time comparison (https://docs.github.com/webhooks/securing).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Mapping
from datetime import datetime

from pydantic import SecretStr

from trendreel.webhooks.errors import WebhookSignatureError

EVENT_ID_HEADER = "Trendreel-Event-Id"
EVENT_TYPE_HEADER = "Trendreel-Event-Type"
TIMESTAMP_HEADER = "Trendreel-Timestamp"
SIGNATURE_HEADER = "Trendreel-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300.0
_MAX_HEADER = 4096  # a signature header longer than this is not one of ours


def _key(secret: str | SecretStr) -> bytes:
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not value:
        raise ValueError("a webhook secret must not be empty")
    return value.encode()


def compute_signature(secret: str | SecretStr, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``f"{timestamp}."`` followed by the raw body bytes."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(_key(secret), signed, hashlib.sha256).hexdigest()


def signature_headers(
    secret: str | SecretStr, *, event_id: str, event_type: str, body: bytes, now: datetime
) -> dict[str, str]:
    """The headers of one delivery attempt, signed at ``now``."""
    timestamp = math.floor(now.timestamp())
    signature = compute_signature(secret, timestamp, body)
    return {
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"t={timestamp},{SCHEME}={signature}",
    }


def _parse(header: str) -> tuple[int, list[str]]:
    """(timestamp, every v1 signature) from a signature header; other schemes are ignored."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == SCHEME:
            signatures.append(value)
    if timestamp is None:
        raise WebhookSignatureError("malformed", "the signature header has no valid t= timestamp")
    if not signatures:
        raise WebhookSignatureError("malformed", f"the signature header has no {SCHEME}= entry")
    return timestamp, signatures


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def verify(
    secret: str | SecretStr,
    headers: Mapping[str, str],
    body: bytes,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> int:
    """Check a delivery's ``Trendreel-Signature`` over the raw ``body`` (the bytes received,
    before any JSON parsing). Returns the signed timestamp; raises WebhookSignatureError
    (``reason``: missing, malformed, stale, mismatch) otherwise. ``now`` is unix seconds."""
    header = _header(headers, SIGNATURE_HEADER)
    if not header:
        raise WebhookSignatureError("missing", f"no {SIGNATURE_HEADER} header")
    if len(header) > _MAX_HEADER:
        raise WebhookSignatureError("malformed", "the signature header is too long")
    timestamp, signatures = _parse(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookSignatureError(
            "stale", f"the signature's timestamp is more than {tolerance:g}s away from now"
        )
    expected = compute_signature(secret, timestamp, body).encode()
    # Every candidate is compared, in constant time (as bytes: a header may hold non-ASCII).
    matches = [hmac.compare_digest(expected, c.encode("utf-8", "replace")) for c in signatures]
    if not any(matches):
        raise WebhookSignatureError("mismatch", "no signature matches the body and secret")
    return timestamp
