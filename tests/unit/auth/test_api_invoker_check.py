"""The api deployed with ``api_app_auth_only = false``: Cloud Run's invoker check is on, so it
has verified the caller's ID token and forwards it with the signature removed. The api reads the
caller from that token (still checking audience and allow-list); an API key needs an ID token in
X-Serverless-Authorization next to it. With the default (check off) a stripped token is refused.
"""

from __future__ import annotations

import hashlib

import pytest
from flask.testing import FlaskClient

from tests.unit.auth.conftest import (
    API_URL,
    PERSON,
    SCHEDULER_SA,
    Deploy,
    Key,
    mint,
    stripped,
)
from trendreel.bootstrap import Runtime

API_KEY = "trk_0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d"


@pytest.fixture
def behind_iam(deploy: Deploy) -> Runtime:
    key_hash = hashlib.sha256(API_KEY.encode()).hexdigest()
    return deploy("api", api_app_auth_only=False, api_key_hashes=[key_hash])


def verified(key: Key, email: str = SCHEDULER_SA, audience: str = API_URL) -> str:
    return stripped(mint(key, email=email, audience=audience))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_infra_turns_the_apis_check_on(behind_iam: Runtime) -> None:
    assert behind_iam.settings.invoker_iam_check is True


@pytest.mark.usefixtures("behind_iam")
@pytest.mark.parametrize("email", [SCHEDULER_SA, PERSON])
def test_an_allowed_caller_cloud_run_verified_is_let_in(
    client: FlaskClient, google_key: Key, email: str
) -> None:
    assert client.get("/jobs", headers=bearer(verified(google_key, email))).status_code == 200


@pytest.mark.usefixtures("behind_iam")
def test_the_scheduler_generates_through_the_check(client: FlaskClient, google_key: Key) -> None:
    response = client.post("/generate", json={"theme": "tea"}, headers=bearer(verified(google_key)))

    assert response.status_code == 202


@pytest.mark.usefixtures("behind_iam")
def test_a_verified_caller_that_is_not_allowed_is_403(client: FlaskClient, google_key: Key) -> None:
    token = verified(google_key, email="invoker-only@proj-1.iam.gserviceaccount.com")

    response = client.get("/jobs", headers=bearer(token))

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.usefixtures("behind_iam")
def test_a_verified_token_for_another_audience_or_expired_is_refused(
    client: FlaskClient, google_key: Key
) -> None:
    other = verified(google_key, audience="https://elsewhere.a.run.app")
    expired = stripped(mint(google_key, issued=0))
    assert client.get("/jobs", headers=bearer(other)).status_code == 403
    assert client.get("/jobs", headers=bearer(expired)).status_code == 401


@pytest.mark.usefixtures("behind_iam")
def test_an_api_key_travels_next_to_the_id_token(client: FlaskClient, google_key: Key) -> None:
    # Cloud Run checks X-Serverless-Authorization and passes Authorization through untouched.
    invoker = verified(google_key, email="ci@proj-1.iam.gserviceaccount.com")  # not allow-listed
    headers = {"X-Serverless-Authorization": f"Bearer {invoker}", "X-API-Key": API_KEY}
    assert client.get("/jobs", headers=headers).status_code == 200
    in_authorization = {"X-Serverless-Authorization": f"Bearer {invoker}", **bearer(API_KEY)}
    assert client.get("/jobs", headers=in_authorization).status_code == 200


@pytest.mark.usefixtures("gcp")
def test_with_the_check_off_a_token_without_its_signature_is_401(
    client: FlaskClient, google_key: Key
) -> None:
    assert client.get("/jobs", headers=bearer(verified(google_key))).status_code == 401
    assert client.get("/jobs", headers=bearer(mint(google_key))).status_code == 200
