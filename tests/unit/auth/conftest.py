"""Google ID tokens made here: an RSA key generated per session, tokens minted with
google.auth's RSASigner (both from tests.support.cloud_run.identity), and the public
certificate set (key id → x509 PEM, like Google's oauth2/v1/certs) served by a local fixture
server. Nothing reaches the internet.

Each function runs with exactly the environment infra/ gives it on Google Cloud
(``deploy(function)``: infra/services.yaml resolved for a test project), so the api, a stage and
the sweeper each see only their own settings, as on Cloud Run. The api fixtures (fake store and
queue, functions-framework app) come from tests/unit/api.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.support.cloud_run.identity import (
    CERTS_CACHE_CONTROL,
    CERTS_PATH,
    Key,
    make_key,
    mint_id_token,
)
from tests.support.cloud_run.infra import Deployment, resolve
from tests.support.cloud_run.spec import Infra
from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.api.conftest import app, blobs, client, clock, env, queue, rt, settings, store
from trendreel.bootstrap import Runtime
from trendreel.google_auth import SIGNATURE_REMOVED
from trendreel.settings import Settings

__all__ = [
    "Key",
    "app",
    "blobs",
    "client",
    "clock",
    "env",
    "make_key",
    "mint",
    "queue",
    "rt",
    "settings",
    "store",
]

KID = "kid-test-1"
PERSON = "oncall@example.com"
# infra/ deployed to a test project, with an on-call person allowed on the api.
DEPLOYMENT = Deployment(
    project="proj-1",
    project_number="123456789012",
    bucket="proj-1-media",
    variables={"api_allowed_principals": [PERSON]},
)
INFRA = resolve(DEPLOYMENT)
API_URL = INFRA.services["api"].url
SCHEDULER_SA = INFRA.service_accounts["scheduler"]
TASKS_SA = INFRA.service_accounts["tasks_invoker"]


def url_of(function: str) -> str:
    """A function's URL as infra/ gives it: the audience of the tokens its callers send."""
    return INFRA.services[function].url


def stripped(token: str) -> str:
    """The token as Cloud Run forwards it after its invoker check: signature removed."""
    header, payload, _ = token.split(".")
    return f"{header}.{payload}.{SIGNATURE_REMOVED}"


@pytest.fixture(scope="session")
def google_key() -> Key:
    return make_key(KID)


@pytest.fixture(scope="session")
def other_key() -> Key:
    """Not in the served set: a forger's key."""
    return make_key("kid-forger")


def mint(
    key: Key,
    *,
    audience: str = API_URL,
    email: str | None = SCHEDULER_SA,
    **options: Any,
) -> str:
    """An ID token as Google issues them (identity.mint_id_token), for the api by default."""
    return mint_id_token(key, audience=audience, email=email, **options)


@pytest.fixture
def certs_server(google_key: Key) -> Iterator[FixtureServer]:
    server = FixtureServer()
    server.add(
        "GET",
        CERTS_PATH,
        Scripted.json(
            {google_key.kid: google_key.cert_pem},
            headers={"Cache-Control": CERTS_CACHE_CONTROL},
        ),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def certs_url(certs_server: FixtureServer) -> str:
    return certs_server.url + CERTS_PATH


def cert_fetches(server: FixtureServer) -> int:
    return sum(1 for r in server.requests if r.path == CERTS_PATH)


Deploy = Callable[..., Runtime]


@pytest.fixture
def deploy(rt: Runtime, certs_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Deploy:
    """``deploy(function, **tfvars)``: ``rt`` (stores stay fakes) with exactly the environment
    infra/ gives ``function``, plus where Google's certificates are (here: a local server)."""

    def as_deployed(function: str, **variables: Any) -> Runtime:
        infra: Infra = INFRA
        if variables:
            infra = resolve(replace(DEPLOYMENT, variables={**DEPLOYMENT.variables, **variables}))
        for name in list(os.environ):
            if name.startswith("TRENDREEL_"):
                monkeypatch.delenv(name)
        for name, value in infra.services[function].env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("TRENDREEL_GOOGLE_CERTS_URL", certs_url)
        monkeypatch.setenv("TRENDREEL_HOME", str(tmp_path / "home"))
        rt.settings = Settings()
        return rt

    return as_deployed


@pytest.fixture
def gcp(deploy: Deploy) -> Runtime:
    """The api as infra/ deploys it (its invoker check off: api_app_auth_only)."""
    return deploy("api")
