"""The api on backend gcp: Google ID tokens for an allowed principal and hashed API keys get in;
everything else gets one fixed 401 or 403 body, and no credential reaches a response or a log."""

from __future__ import annotations

import hashlib
import logging
import time

import pytest
from flask.testing import FlaskClient

from tests.support.http_fixture import FixtureServer
from tests.unit.api.conftest import TOKEN
from tests.unit.auth.conftest import (
    PERSON,
    SCHEDULER_SA,
    Key,
    cert_fetches,
    mint,
)
from trendreel.api.auth import configuration_warnings
from trendreel.bootstrap import Runtime
from trendreel.settings import Settings

API_KEY = "trk_6f1d0c9e8b7a4c3d2e1f0a9b8c7d6e5f"  # distinctive, so a leak is easy to find
UNAUTHORIZED = {"error": {"code": "unauthorized", "message": "a valid bearer token is required"}}
FORBIDDEN = {
    "error": {"code": "forbidden", "message": "this caller is not allowed to use this api"}
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def with_keys(rt: Runtime, *keys: str) -> None:
    hashes = [hashlib.sha256(k.encode()).hexdigest() for k in keys]
    rt.settings = rt.settings.model_copy(update={"api_key_hashes": hashes})


@pytest.mark.usefixtures("gcp")
@pytest.mark.parametrize("email", [SCHEDULER_SA, PERSON])
def test_an_id_token_for_an_allowed_principal_is_let_in(
    client: FlaskClient, google_key: Key, email: str
) -> None:
    response = client.get("/jobs", headers=bearer(mint(google_key, email=email)))

    assert response.status_code == 200


@pytest.mark.usefixtures("gcp")
def test_a_scheduler_token_can_generate(client: FlaskClient, google_key: Key) -> None:
    response = client.post("/generate", headers=bearer(mint(google_key)))

    assert response.status_code == 202


@pytest.mark.usefixtures("gcp")
def test_tokens_that_are_not_authentic_get_one_401_body(
    client: FlaskClient, google_key: Key, other_key: Key
) -> None:
    rejected = {
        "expired": mint(google_key, issued=time.time() - 7200),
        "wrong issuer": mint(google_key, iss="https://issuer.example.com"),
        "bad signature": mint(other_key, kid=google_key.kid),
        "unknown kid": mint(other_key),
        "garbage": "eyJhbGciOiJSUzI1NiJ9.e30.AAAA",
    }
    for why, token in rejected.items():
        response = client.get("/jobs", headers=bearer(token))

        assert response.status_code == 401, why
        assert response.get_json() == UNAUTHORIZED, why
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), why


@pytest.mark.usefixtures("gcp")
def test_authentic_tokens_not_meant_for_this_api_get_one_403_body(
    client: FlaskClient, google_key: Key
) -> None:
    refused = {
        "wrong audience": mint(google_key, audience="https://other-service.a.run.app"),
        "unlisted email": mint(google_key, email="intruder@proj-2.iam.gserviceaccount.com"),
        "unverified email": mint(google_key, email_verified=False),
    }
    for why, token in refused.items():
        response = client.get("/jobs", headers=bearer(token))

        assert response.status_code == 403, why
        assert response.get_json() == FORBIDDEN, why


@pytest.mark.parametrize(
    "headers",
    [bearer(API_KEY), {"X-API-Key": API_KEY}, {"X-API-Key": "wrong", **bearer(API_KEY)}],
    ids=["bearer", "x-api-key", "bad-header-good-bearer"],
)
def test_an_api_key_whose_hash_is_listed_is_let_in(
    client: FlaskClient, gcp: Runtime, headers: dict[str, str]
) -> None:
    with_keys(gcp, "trk_some_other_key", API_KEY)

    assert client.get("/jobs", headers=headers).status_code == 200


def test_a_key_not_listed_is_401(client: FlaskClient, gcp: Runtime) -> None:
    with_keys(gcp, API_KEY)

    for headers in (bearer(API_KEY + "x"), {"X-API-Key": API_KEY[:-1]}, {"X-API-Key": ""}):
        response = client.get("/jobs", headers=headers)
        assert response.status_code == 401
        assert response.get_json() == UNAUTHORIZED


def test_hash_entries_are_compared_case_insensitively(client: FlaskClient, gcp: Runtime) -> None:
    digest = hashlib.sha256(API_KEY.encode()).hexdigest().upper()
    gcp.settings = gcp.settings.model_copy(update={"api_key_hashes": [f" {digest} ", "nothex"]})

    assert client.get("/jobs", headers=bearer(API_KEY)).status_code == 200


def test_the_plaintext_api_token_no_longer_works_on_gcp(
    client: FlaskClient, gcp: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRENDREEL_API_TOKEN", TOKEN)  # set by hand next to what infra/ sets
    gcp.settings = Settings()
    assert gcp.settings.api_token is not None

    response = client.get("/jobs", headers=bearer(TOKEN))

    assert response.status_code == 401
    assert response.get_json() == UNAUTHORIZED
    # Said once, when the api's runtime is built (trendreel.api.app.api_runtime).
    assert any("TRENDREEL_API_TOKEN is ignored" in w for w in configuration_warnings(gcp.settings))
    assert client.get("/health").status_code == 200


def test_the_local_backend_keeps_its_token(client: FlaskClient, rt: Runtime) -> None:
    assert rt.settings.backend == "local"
    assert client.get("/jobs", headers=bearer(TOKEN)).status_code == 200


def test_without_an_audience_id_tokens_are_refused_but_keys_work(
    client: FlaskClient, gcp: Runtime, google_key: Key
) -> None:
    gcp.settings = gcp.settings.model_copy(update={"api_audience": None})
    with_keys(gcp, API_KEY)

    assert client.get("/jobs", headers=bearer(mint(google_key))).status_code == 401
    assert client.get("/jobs", headers={"X-API-Key": API_KEY}).status_code == 200


def test_unreachable_certificates_are_503_and_keys_still_work(
    client: FlaskClient, gcp: Runtime, google_key: Key
) -> None:
    gcp.settings = gcp.settings.model_copy(
        update={"google_certs_url": "http://127.0.0.1:9/oauth2/v1/certs"}
    )
    with_keys(gcp, API_KEY)

    response = client.get("/jobs", headers=bearer(mint(google_key)))

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "auth_unavailable"
    assert client.get("/jobs", headers=bearer(API_KEY)).status_code == 200


@pytest.mark.usefixtures("gcp")
def test_certificates_are_fetched_once_for_many_requests(
    client: FlaskClient, google_key: Key, certs_server: FixtureServer
) -> None:
    for _ in range(4):
        assert client.get("/jobs", headers=bearer(mint(google_key))).status_code == 200

    assert cert_fetches(certs_server) == 1


def test_no_credential_reaches_a_response_or_the_log(
    client: FlaskClient,
    gcp: Runtime,
    google_key: Key,
    other_key: Key,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with_keys(gcp, API_KEY)
    tokens = [
        mint(google_key),
        mint(google_key, audience="https://other.a.run.app"),
        mint(google_key, email="intruder@example.com"),
        mint(other_key, kid=google_key.kid),
        mint(google_key, issued=time.time() - 7200),
    ]
    secrets = [*tokens, API_KEY, API_KEY + "x", TOKEN]

    with caplog.at_level(logging.DEBUG):
        responses = [client.get("/jobs", headers=bearer(t)) for t in secrets]
        responses.append(client.get("/jobs", headers={"X-API-Key": API_KEY + "y"}))

    assert [r.status_code for r in responses] == [200, 403, 403, 401, 401, 200, 401, 401, 401]
    assert "audience" in caplog.text  # the reason is logged for the operator ...
    for secret in [*secrets, API_KEY + "y"]:
        assert secret not in caplog.text  # ... never the credential
        signature = secret.rsplit(".", 1)[-1]
        assert signature not in caplog.text
        for response in responses:
            assert secret.encode() not in response.get_data()
            assert secret not in str(response.headers)
    for response in responses[1:]:
        assert b"audience" not in response.get_data()
