"""PKCE challenges as each platform computes them."""

from __future__ import annotations

import base64
import re

from trendreel.accounts import pkce


def test_s256_matches_the_rfc_7636_example() -> None:
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce.s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_tiktok_desktop_challenge_is_the_hex_digest() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    challenge = pkce.hex_challenge(verifier)
    assert challenge == "13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3"
    # The same digest as Google's base64url form, only written in hex.
    rfc = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM="
    assert bytes.fromhex(challenge) == base64.urlsafe_b64decode(rfc)


def test_verifiers_are_fresh_and_within_the_allowed_alphabet_and_length() -> None:
    verifiers = {pkce.new_verifier() for _ in range(20)}
    assert len(verifiers) == 20
    for verifier in verifiers:
        assert 43 <= len(verifier) <= 128
        assert re.fullmatch(r"[A-Za-z0-9._~-]+", verifier)


def test_repr_never_shows_the_verifier() -> None:
    pair = pkce.Pkce(verifier="secret-verifier-value", challenge="abc")
    assert "secret-verifier-value" not in repr(pair)
