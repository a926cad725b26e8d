"""Signing and verifying deliveries: Stripe's t=/v1= scheme over the raw body."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from trendreel.webhooks.errors import WebhookSignatureError
from trendreel.webhooks.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    compute_signature,
    signature_headers,
    verify,
)

SECRET = "whsec_test-5b2e8f1c9d"
BODY = json.dumps({"id": "evt_0123456789", "type": "job.completed", "data": {}}).encode()
SIGNED_AT = datetime(2025, 3, 14, 12, 0, 0, tzinfo=UTC)
T = int(SIGNED_AT.timestamp())


def signed(body: bytes = BODY, secret: str = SECRET, at: datetime = SIGNED_AT) -> dict[str, str]:
    return signature_headers(
        secret, event_id="evt_0123456789", event_type="job.completed", body=body, now=at
    )


def test_the_headers_carry_the_event_and_a_signature_over_timestamp_and_body() -> None:
    headers = signed()

    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert headers == {
        "Trendreel-Event-Id": "evt_0123456789",
        "Trendreel-Event-Type": "job.completed",
        "Trendreel-Timestamp": str(T),
        "Trendreel-Signature": f"t={T},v1={expected}",
    }


def test_a_good_signature_verifies_and_returns_its_timestamp() -> None:
    assert verify(SECRET, signed(), BODY, now=T + 10) == T
    assert verify(SecretStr(SECRET), signed(), BODY, now=T - 10) == T


def test_header_names_are_case_insensitive() -> None:
    lower = {k.lower(): v for k, v in signed().items()}

    assert verify(SECRET, lower, BODY, now=T) == T


def test_a_tampered_body_is_a_mismatch() -> None:
    tampered = BODY.replace(b"job.completed", b"job.failed__")

    with pytest.raises(WebhookSignatureError) as caught:
        verify(SECRET, signed(), tampered, now=T)
    assert caught.value.reason == "mismatch"
    assert caught.value.code == "invalid_signature"


def test_the_wrong_secret_is_a_mismatch() -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        verify("whsec_someone-else", signed(), BODY, now=T)
    assert caught.value.reason == "mismatch"


def test_a_replayed_timestamp_does_not_verify() -> None:
    # Changing the timestamp to a fresh one breaks the signature: it covers the timestamp.
    headers = signed()
    signature = headers[SIGNATURE_HEADER].split(",")[1]
    headers[SIGNATURE_HEADER] = f"t={T + 3600},{signature}"

    with pytest.raises(WebhookSignatureError) as caught:
        verify(SECRET, headers, BODY, now=T + 3600)
    assert caught.value.reason == "mismatch"


@pytest.mark.parametrize("offset", [301, -301, 86_400])
def test_a_stale_or_future_timestamp_is_refused(offset: int) -> None:
    with pytest.raises(WebhookSignatureError) as caught:
        verify(SECRET, signed(), BODY, now=T + offset)
    assert caught.value.reason == "stale"


def test_the_tolerance_is_the_callers() -> None:
    assert verify(SECRET, signed(), BODY, tolerance=3600, now=T + 3000) == T
    with pytest.raises(WebhookSignatureError):
        verify(SECRET, signed(), BODY, tolerance=5, now=T + 6)


def test_any_of_several_v1_signatures_verifies_as_during_a_secret_rotation() -> None:
    old = compute_signature("whsec_old", T, BODY)
    new = compute_signature(SECRET, T, BODY)
    headers = {SIGNATURE_HEADER: f"t={T},v1={old},v0=ignored,v1={new}"}

    assert verify(SECRET, headers, BODY, now=T) == T
    assert verify("whsec_old", headers, BODY, now=T) == T


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("v1=abc", "malformed"),
        ("t=notanumber,v1=abc", "malformed"),
        (f"t={T}", "malformed"),
        (f"t={T},v0=abc", "malformed"),
        (f"t={T},v1=" + "é" * 64, "mismatch"),
        ("t=" + "9" * 5000, "malformed"),
    ],
)
def test_missing_and_malformed_headers_are_refused(header: str | None, reason: str) -> None:
    headers = {TIMESTAMP_HEADER: str(T)}
    if header is not None:
        headers[SIGNATURE_HEADER] = header

    with pytest.raises(WebhookSignatureError) as caught:
        verify(SECRET, headers, BODY, now=T)
    assert caught.value.reason == reason


def test_each_signing_time_gives_another_signature_over_the_same_body() -> None:
    first = signed(at=SIGNED_AT)[SIGNATURE_HEADER]
    later = signed(at=datetime(2025, 3, 14, 12, 0, 30, tzinfo=UTC))[SIGNATURE_HEADER]

    assert first != later


def test_an_empty_secret_cannot_sign() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        compute_signature("", T, BODY)


def test_the_error_never_echoes_the_secret_or_the_signature() -> None:
    headers = signed()
    with pytest.raises(WebhookSignatureError) as caught:
        verify("whsec_wrong", headers, BODY, now=T)

    text = f"{caught.value} {caught.value!r} {caught.value.hint}"
    assert SECRET not in text
    assert "whsec_wrong" not in text
    assert headers[SIGNATURE_HEADER].split("v1=")[1] not in text
