"""infra/ read once per session: the root module's HCL, services.yaml, and its resolution for a
default test deployment."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.cloud_run.infra import INFRA, Deployment, load_spec, resolve
from tests.support.cloud_run.spec import Infra
from tests.unit.infra.hcl import Terraform, load

DEFAULT = Deployment(project="trendreel-test", project_number="123456789012", bucket="media-b")


@pytest.fixture(scope="session")
def tf() -> Terraform:
    return load(INFRA)


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    return load_spec()


@pytest.fixture(scope="session")
def infra() -> Infra:
    """What the default deployment runs: every variable at its default."""
    return resolve(DEFAULT)
