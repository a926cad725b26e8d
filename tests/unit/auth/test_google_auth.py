"""trendreel.google_auth: which ID tokens are authentic, which are for us, and how Google's
certificate set is fetched and cached."""

from __future__ import annotations

import time

import pytest

from tests.support.cloud_run.identity import CERTS_PATH
from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.auth.conftest import (
    API_URL,
    PERSON,
    SCHEDULER_SA,
    Key,
    cert_fetches,
    mint,
)
from trendreel import google_auth
from trendreel.bootstrap import Runtime
from trendreel.google_auth import (
    CertsUnavailableError,
    ForbiddenCallerError,
    GoogleCerts,
    InvalidTokenError,
)

ALLOWED = [SCHEDULER_SA, PERSON]


def verify(token: str, certs: GoogleCerts, audience: str = API_URL) -> google_auth.Caller:
    return google_auth.verify_id_token(token, audiences=[audience], principals=ALLOWED, certs=certs)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_google_token_for_our_audience_from_an_allowed_principal(
    google_key: Key, certs_url: str
) -> None:
    caller = verify(mint(google_key), GoogleCerts(certs_url))

    assert caller.email == SCHEDULER_SA
    assert caller.subject == "1234567890"


def test_both_google_issuer_spellings_and_a_trailing_slash_are_accepted(
    google_key: Key, certs_url: str
) -> None:
    certs = GoogleCerts(certs_url)
    token = mint(google_key, iss="accounts.google.com", audience=API_URL + "/", email=PERSON)

    assert verify(token, certs).email == PERSON
    assert verify(mint(google_key, email="OnCall@Example.com"), certs).email == "OnCall@Example.com"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"iss": "https://evil.example.com"}, "issuer"),
        ({"lifetime": -120, "issued": time.time() - 3600}, "token expired"),
        ({"issued": time.time() + 600}, "token used too early"),
        ({"kid": "kid-nobody-knows"}, "unknown key id"),
    ],
    ids=["issuer", "expired", "not-yet-valid", "unknown-kid"],
)
def test_tokens_that_are_not_authentic_are_invalid(
    google_key: Key, certs_url: str, change: dict[str, object], reason: str
) -> None:
    token = mint(google_key, **change)  # type: ignore[arg-type]

    with pytest.raises(InvalidTokenError) as caught:
        verify(token, GoogleCerts(certs_url))

    assert caught.value.status == 401
    assert reason in caught.value.reason
    assert token not in caught.value.reason


def test_a_token_signed_by_another_key_under_googles_key_id_is_invalid(
    google_key: Key, other_key: Key, certs_url: str
) -> None:
    forged = mint(other_key, kid=google_key.kid)

    with pytest.raises(InvalidTokenError, match="signature"):
        verify(forged, GoogleCerts(certs_url))


@pytest.mark.parametrize(
    "garbage",
    [
        "not-a-jwt",
        "eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.",  # alg none
        "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln",  # HS256: a shared secret, never Google
        "eyJ.eyJ.eyJ",
    ],
)
def test_malformed_tokens_are_invalid(certs_url: str, garbage: str) -> None:
    with pytest.raises(InvalidTokenError) as caught:
        verify(garbage, GoogleCerts(certs_url))
    assert garbage not in caught.value.reason


@pytest.mark.parametrize(
    ("audience", "email", "claims"),
    [
        ("https://someone-else.a.run.app", SCHEDULER_SA, {}),
        (API_URL, "intruder@proj-2.iam.gserviceaccount.com", {}),
        (API_URL, SCHEDULER_SA, {"email_verified": False}),
        (API_URL, None, {}),
    ],
    ids=["wrong-audience", "unlisted-email", "unverified-email", "no-email"],
)
def test_authentic_tokens_not_meant_for_us_are_forbidden(
    google_key: Key,
    certs_url: str,
    audience: str,
    email: str | None,
    claims: dict[str, object],
) -> None:
    token = mint(google_key, audience=audience, email=email, **claims)

    with pytest.raises(ForbiddenCallerError) as caught:
        verify(token, GoogleCerts(certs_url))

    assert caught.value.status == 403
    assert token not in caught.value.reason


def test_the_certificate_set_is_fetched_once_and_kept_for_its_max_age(
    google_key: Key, certs_server: FixtureServer, certs_url: str
) -> None:
    clock = FakeClock()
    certs = GoogleCerts(certs_url, clock=clock)

    for _ in range(5):
        verify(mint(google_key), certs)
    clock.now += 19800 - 1
    verify(mint(google_key), certs)

    assert cert_fetches(certs_server) == 1
    clock.now += 2  # past max-age=19800
    verify(mint(google_key), certs)
    assert cert_fetches(certs_server) == 2


def test_a_runtime_keeps_one_certificate_cache_for_all_its_requests(
    google_key: Key, certs_server: FixtureServer, certs_url: str, rt: Runtime
) -> None:
    rt.settings = rt.settings.model_copy(update={"google_certs_url": certs_url})
    for _ in range(3):
        verify(mint(google_key), rt.google_certs())

    assert rt.google_certs() is rt.google_certs()
    assert cert_fetches(certs_server) == 1


def test_an_unknown_key_id_refetches_at_most_once_a_minute(
    google_key: Key, certs_server: FixtureServer, certs_url: str
) -> None:
    clock = FakeClock()
    certs = GoogleCerts(certs_url, clock=clock)
    verify(mint(google_key), certs)

    for _ in range(3):
        with pytest.raises(InvalidTokenError):
            verify(mint(google_key, kid="kid-rotated-in"), certs)
    assert cert_fetches(certs_server) == 1  # too soon after the last fetch

    clock.now += google_auth.MIN_CACHE_SECONDS
    with pytest.raises(InvalidTokenError):
        verify(mint(google_key, kid="kid-rotated-in"), certs)
    assert cert_fetches(certs_server) == 2


def test_a_tiny_max_age_is_raised_to_a_minute(google_key: Key, certs_url: str) -> None:
    server = FixtureServer()
    server.add(
        "GET",
        CERTS_PATH,
        Scripted.json(
            {google_key.kid: google_key.cert_pem}, headers={"Cache-Control": "max-age=0"}
        ),
    )
    server.start()
    try:
        certs = GoogleCerts(server.url + CERTS_PATH)
        for _ in range(3):
            verify(mint(google_key), certs)
        assert cert_fetches(server) == 1
    finally:
        server.stop()


def test_stale_certificates_serve_while_google_is_unreachable_then_fail_closed(
    google_key: Key,
) -> None:
    server = FixtureServer()
    ok = Scripted.json(
        {google_key.kid: google_key.cert_pem}, headers={"Cache-Control": "max-age=60"}
    )
    server.add("GET", CERTS_PATH, ok, Scripted.text("down", status=503))
    server.start()
    clock = FakeClock()
    certs = GoogleCerts(server.url + CERTS_PATH, clock=clock)
    try:
        verify(mint(google_key), certs)
        clock.now += 120  # expired: the refetch fails, the stale copy still verifies
        verify(mint(google_key), certs)
        clock.now += google_auth.STALE_GRACE_SECONDS
        with pytest.raises(CertsUnavailableError, match="HTTP 503"):
            verify(mint(google_key), certs)
    finally:
        server.stop()


def test_no_certificates_at_all_is_unavailable_not_invalid(google_key: Key) -> None:
    unreachable = GoogleCerts("http://127.0.0.1:9/oauth2/v1/certs", timeout=0.5)
    with pytest.raises(CertsUnavailableError):
        verify(mint(google_key), unreachable)


def test_a_jwk_set_is_refused_as_the_wrong_format(google_key: Key) -> None:
    server = FixtureServer()
    server.add("GET", CERTS_PATH, Scripted.json({"keys": [{"kid": "x"}]}))
    server.start()
    try:
        with pytest.raises(CertsUnavailableError, match="v1/certs"):
            verify(mint(google_key), GoogleCerts(server.url + CERTS_PATH))
    finally:
        server.stop()
