"""The identity double: Google's certificate set, ID tokens for service accounts, and
IAM Credentials' generateIdToken, as trendreel's own verifier and the edge consume them."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from google.auth import jwt

from tests.support.cloud_run.identity import (
    GoogleIdentity,
    InvalidIdTokenError,
    make_key,
    mint_id_token,
)
from tests.unit.cloud_run.conftest import TASKS_SA, claims_of
from trendreel import google_auth

AUDIENCE = "https://trendreel-review-abc123-uc.a.run.app"


def test_the_certificate_set_has_the_v1_shape_and_a_max_age(google: GoogleIdentity) -> None:
    answer = httpx.get(google.certs_url)

    assert answer.status_code == 200
    assert answer.json() == {google.key.kid: google.key.cert_pem}
    assert "max-age=19800" in answer.headers["Cache-Control"]
    assert google.key.cert_pem.startswith("-----BEGIN CERTIFICATE-----")


def test_trendreel_verifies_a_minted_token_against_the_served_certificates(
    google: GoogleIdentity,
) -> None:
    certs = google_auth.GoogleCerts(google.certs_url)

    caller = google_auth.verify_id_token(
        google.mint(TASKS_SA, AUDIENCE), audiences=[AUDIENCE], principals=[TASKS_SA], certs=certs
    )

    assert caller.email == TASKS_SA


def test_a_token_is_shaped_as_google_issues_them_for_a_service_account(
    google: GoogleIdentity,
) -> None:
    token = google.mint(TASKS_SA, AUDIENCE)
    header = jwt.decode_header(token)  # type: ignore[no-untyped-call]
    claims = claims_of(token)

    assert header["alg"] == "RS256"
    assert header["kid"] == google.key.kid
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["aud"] == AUDIENCE
    assert claims["email"] == TASKS_SA
    assert claims["email_verified"] is True
    assert claims["sub"] == claims["azp"]
    assert claims["sub"].isdigit()
    assert len(claims["sub"]) == 21
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - time.time()) < 60
    assert google.verify(token)["email"] == TASKS_SA


def test_generate_id_token_answers_as_iam_credentials_does(google: GoogleIdentity) -> None:
    url = google.url + f"/v1/projects/-/serviceAccounts/{TASKS_SA.replace('@', '%40')}"
    with_email = httpx.post(
        url + ":generateIdToken", json={"audience": AUDIENCE, "includeEmail": True}
    )
    without = httpx.post(url + ":generateIdToken", json={"audience": AUDIENCE})

    assert with_email.status_code == 200
    claims = google.verify(with_email.json()["token"], audiences=[AUDIENCE])
    assert (claims["email"], claims["email_verified"]) == (TASKS_SA, True)
    assert "email" not in google.verify(without.json()["token"])
    assert (TASKS_SA, AUDIENCE) in google.minted


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"/v1/projects/-/serviceAccounts/{TASKS_SA}:generateIdToken", {"includeEmail": True}),
        (f"/v1/projects/my-project/serviceAccounts/{TASKS_SA}:generateIdToken", {"audience": "a"}),
    ],
    ids=["no audience", "project instead of the - wildcard"],
)
def test_generate_id_token_refuses_what_the_api_refuses(
    google: GoogleIdentity, path: str, body: dict[str, object]
) -> None:
    answer = httpx.post(google.url + path, json=body)

    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"


_EXPIRED = {"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}
_REFUSED: dict[str, Callable[[GoogleIdentity], str]] = {
    "forged signature": lambda g: mint_id_token(
        make_key(g.key.kid), audience=AUDIENCE, email=TASKS_SA
    ),
    "unknown key id": lambda g: mint_id_token(make_key("other"), audience=AUDIENCE, email=TASKS_SA),
    "expired": lambda g: g.mint(TASKS_SA, AUDIENCE, iat=_EXPIRED["iat"], exp=_EXPIRED["exp"]),
    "other issuer": lambda g: g.mint(TASKS_SA, AUDIENCE, iss="https://issuer.example.com"),
    "not a JWT": lambda g: "not-a-token",
}


@pytest.mark.parametrize("case", list(_REFUSED))
def test_verify_refuses_what_is_not_an_authentic_current_token(
    google: GoogleIdentity, case: str
) -> None:
    token = _REFUSED[case](google)

    with pytest.raises(InvalidIdTokenError):
        google.verify(token)


def test_the_audience_is_compared_as_a_url(google: GoogleIdentity) -> None:
    token = google.mint(TASKS_SA, AUDIENCE + "/")

    assert google.verify(token, audiences=[AUDIENCE])["aud"] == AUDIENCE + "/"
    with pytest.raises(InvalidIdTokenError, match="audience"):
        google.verify(token, audiences=["https://other.a.run.app"])


def test_stop_releases_the_port() -> None:
    identity = GoogleIdentity().start()
    url = identity.certs_url
    identity.stop()

    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)
