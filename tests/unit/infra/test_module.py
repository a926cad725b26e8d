"""modules/services as terraform itself evaluates it, against the tests' resolver.

The module has no provider and no resources, so terraform can init and apply it offline with
local state. A tiny root module next to a copy of it takes the resolver's refs (as JSON), the
real variables.tf (defaults, types, validations) and a deployment's tfvars, and outputs what
the module resolves; which secrets each function gets (secrets.tf's secrets_in_use and
functions.tf's secret_env, their HCL copied) and every variable's value ride along. Each must
equal what tests/support/cloud_run/infra.py computed from the same input.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.cloud_run.infra import (
    INFRA,
    SIZE_FIELDS,
    Context,
    Deployment,
    declared_variables,
    load_spec,
    resolve,
    secrets_in_use,
)
from tests.support.cloud_run.spec import ServiceSpec
from tests.unit.infra.conftest import DEFAULT
from tests.unit.infra.hcl import Terraform, inner
from tests.unit.infra.terraform_cli import TerraformError, needs_terraform, run

pytestmark = needs_terraform

# Every knob away from its default, and URLs like the tests' edge gives.
CUSTOM = dataclasses.replace(
    DEFAULT,
    region="europe-west1",
    name_prefix="edge",
    firestore_database="edge-db",
    function_urls={
        name: f"http://127.0.0.1:{8080 + i}" for i, name in enumerate(load_spec()["services"])
    },
    variables={
        "api_app_auth_only": False,
        "api_ingress": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
        "api_invoker_members": ["group:oncall@example.com", "user:you@example.com"],
        "api_allowed_principals": ["ci@example.iam.gserviceaccount.com"],
        "api_key_hashes": ["0" * 64, "f" * 64],
        "trend_sources": ["bundled", "youtube", "tiktok"],
        "analyzer": "gemini",
        "visuals": "pexels",
        "music": "library",
        "music_library": "gs://music/library",
        "function_sizes": {"composition": {"memory": "4Gi", "max_instances": 2}},
        "task_max_attempts": 7,
        "webhook_max_attempts": 12,
        "generate_body": '{"config_path": "daily.yaml"}',
        "schedule": "0 6 * * 1-5",
        "metrics_schedule": "30 * * * *",
        "publish_platforms": ["tiktok"],
        "tiktok_client_key": "awclientkey123",
        "publish_privacy": "unlisted",
        "publish_made_for_kids": True,
        "webhook_secret_enabled": True,
        "time_zone": "Europe/Berlin",
        "function_source_dir": "/src",
    },
)

ROOT_MODULE = """
variable "refs_json" {
  type = string
}

locals {
  spec           = yamldecode(file("${path.module}/services.yaml"))
  secrets_in_use = SECRETS_IN_USE
  secret_env     = SECRET_ENV
}

module "services" {
  source              = "./services"
  spec                = local.spec
  refs                = jsondecode(var.refs_json)
  function_sizes      = var.function_sizes
  function_source_dir = var.function_source_dir
}

output "services" {
  value = module.services.services
}

output "schedules" {
  value = module.services.schedules
}

output "secrets_in_use" {
  value = local.secrets_in_use
}

output "secret_env" {
  value = local.secret_env
}

output "variables" {
  value = {
VARIABLES
  }
}
"""


def _root(folder: Path, tf: Terraform) -> Path:
    """The module's copy, the spec, the real variables.tf and the root that calls them."""
    shutil.copytree(INFRA / "modules" / "services", folder / "services")
    shutil.copy(INFRA / "services.yaml", folder / "services.yaml")
    shutil.copy(INFRA / "variables.tf", folder / "variables.tf")
    echoed = "\n".join(f"    {name} = var.{name}" for name in declared_variables())
    main = (
        ROOT_MODULE.replace("SECRETS_IN_USE", inner(tf.local("secrets_in_use")))
        .replace("SECRET_ENV", inner(tf.local("secret_env")))
        .replace("VARIABLES", echoed)
    )
    (folder / "main.tf").write_text(main)
    run(folder, "init", "-input=false")
    return folder


def _apply(folder: Path, deployment: Deployment) -> dict[str, Any]:
    tfvars = deployment.tfvars() | {
        "image": "unused",
        "refs_json": json.dumps(Context.of(deployment).refs),
    }
    (folder / "case.tfvars.json").write_text(json.dumps(tfvars))
    run(folder, "apply", "-auto-approve", "-input=false", "-var-file=case.tfvars.json")
    outputs: dict[str, Any] = json.loads(run(folder, "output", "-json"))
    return {name: output["value"] for name, output in outputs.items()}


@pytest.fixture(scope="module", params=[DEFAULT, CUSTOM], ids=["default", "custom"])
def case(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tf: Terraform
) -> tuple[Deployment, dict[str, Any]]:
    deployment: Deployment = request.param
    folder = _root(tmp_path_factory.mktemp("services-module"), tf)
    return deployment, _apply(folder, deployment)


def _module_view(service: ServiceSpec) -> dict[str, Any]:
    """A resolved service in the shape of the module's services output."""
    return {field: getattr(service, field) for field in SIZE_FIELDS} | {
        "ingress": service.ingress,
        "invoker_iam_disabled": service.invoker_iam_disabled,
        "invokers": list(service.invokers),
        "env": service.env,
    }


def test_terraform_resolves_the_services_as_the_resolver_does(
    case: tuple[Deployment, dict[str, Any]],
) -> None:
    deployment, outputs = case
    resolved = resolve(deployment).services
    assert set(outputs["services"]) == set(resolved)
    for name, service in resolved.items():
        assert outputs["services"][name] == _module_view(service), name


def test_the_root_reads_only_what_the_module_outputs(
    case: tuple[Deployment, dict[str, Any]], tf: Terraform
) -> None:
    """The root cannot be planned here: at least every each.value.FIELD it reads must exist."""
    _, outputs = case
    for rtype, name, kind in (
        ("google_cloud_run_v2_service", "function", "services"),
        ("google_cloud_scheduler_job", "schedule", "schedules"),
    ):
        body = tf.resource(rtype, name)
        assert body["for_each"] in ("${local.services}", f"${{module.services.{kind}}}")
        read = set(re.findall(r"each\.value\.(\w+)", json.dumps(body)))
        fields = {field for value in outputs[kind].values() for field in value}
        assert read, rtype
        assert read <= fields, f"{rtype}.{name} reads {sorted(read - fields)}"


def test_terraform_resolves_the_schedules_as_the_resolver_does(
    case: tuple[Deployment, dict[str, Any]],
) -> None:
    deployment, outputs = case
    resolved = resolve(deployment).schedules
    assert set(outputs["schedules"]) == set(resolved)
    for key, job in resolved.items():
        got = outputs["schedules"][key]
        assert got["schedule"] == job.schedule
        assert got["target"] == job.target
        assert got["uri"] == job.uri
        assert got["body"].encode("utf-8") == job.body
        assert got["headers"] == job.headers
        assert got["attempt_deadline_seconds"] == job.attempt_deadline_seconds
        assert got["retry_count"] == job.retry_count
        # What ScheduleSpec does not carry, straight from the spec.
        raw = load_spec()["schedules"][key]
        assert got["description"] == raw["description"]
        for knob in ("min_backoff_seconds", "max_backoff_seconds", "max_doublings"):
            assert got[knob] == raw.get(knob), (key, knob)


def test_terraform_mounts_the_same_secrets_on_the_same_functions(
    case: tuple[Deployment, dict[str, Any]],
) -> None:
    deployment, outputs = case
    assert outputs["secrets_in_use"] == secrets_in_use(Context.of(deployment).variables)
    resolved = resolve(deployment).services
    assert set(outputs["secret_env"]) == set(resolved)
    for name, service in resolved.items():
        mounted = tuple(f"TRENDREEL_{key.upper()}" for key in outputs["secret_env"][name])
        assert mounted == service.secret_env, name
    # The custom case mounts some: the comparison is not only of empty lists.
    assert any(outputs["secret_env"].values()) is (deployment is CUSTOM)


def _without_nulls(value: Any) -> Any:
    """Terraform fills an optional object attribute with null; a tfvars file leaves it out."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def test_terraform_sees_the_variables_the_resolver_sees(
    case: tuple[Deployment, dict[str, Any]],
) -> None:
    deployment, outputs = case
    expected = Context.of(deployment).variables
    got = {name: outputs["variables"][name] for name in expected}
    got["function_sizes"] = _without_nulls(got["function_sizes"])
    assert got == expected


def test_terraform_refuses_a_public_api_invoker(tmp_path: Path, tf: Terraform) -> None:
    public = dataclasses.replace(DEFAULT, variables={"api_invoker_members": ["allUsers"]})
    folder = _root(tmp_path, tf)
    with pytest.raises(TerraformError, match="must not be allUsers or allAuthenticatedUsers"):
        _apply(folder, public)


def test_terraform_refuses_a_ref_it_is_not_given(tmp_path: Path, tf: Terraform) -> None:
    folder = _root(tmp_path, tf)
    (folder / "services.yaml").write_text(
        (INFRA / "services.yaml").read_text().replace("{ref: var.schedule}", "{ref: var.nope}")
    )
    with pytest.raises(TerraformError, match=re.escape("refs does not give: var.nope")):
        _apply(folder, DEFAULT)
