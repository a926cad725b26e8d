"""Who may create tasks on which queue, and who reads which secret: iam.tf's grants, evaluated by
terraform itself from their HCL in infra/ (the locals they are made of use no provider), with
stand-in service-account members.

A stage may write only to the next stage's queue and to webhooks; publish to its own queue and
webhooks; the api everywhere (retry resumes at any stage, it queues publish tasks and events, its
/health reads every queue); the sweeper to the stage queues and webhooks (job.failed). Whoever
creates tasks may act as the invoker account their OIDC tokens are minted for; nobody else may.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from tests.support.cloud_run.infra import load_spec, stages
from tests.unit.infra.hcl import Terraform
from tests.unit.infra.terraform_cli import evaluate, needs_terraform
from trendreel import tasks

pytestmark = needs_terraform

STAGES = list(stages())
QUEUES = list(tasks.TASK_FUNCTIONS)
VARIABLES = 'variable "name_prefix" {\n  default = "trendreel"\n}\n'
# Which secrets a deployment mounts where: a stand-in for functions.tf's secret_env.
SECRET_ENV = {
    "trend_collection": ["gemini_api_key"],
    "publish": ["youtube_account", "youtube_client_secret"],
    "webhooks": ["webhook_secret"],
    "api": [],
}


@pytest.fixture(scope="module")
def grants(tf: Terraform, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    identities = [*load_spec()["services"]]
    members = {name: f"serviceAccount:{name}@p.iam.gserviceaccount.com" for name in identities}
    names = (
        "next_stage",
        "task_functions",
        "queue_names",
        "enqueues",
        "views",
        "queue_grants",
        "enqueuers",
    )
    reads = tf.resource("google_secret_manager_secret_iam_member", "reads")["for_each"]
    locals_ = (
        {"stages": STAGES, "members": members, "secret_env": SECRET_ENV}
        | {name: tf.local(name) for name in names}
        | {"reads": reads}
    )
    return evaluate(tmp_path_factory.mktemp("iam"), locals_, VARIABLES)


def _granted(grants: dict[str, Any], role: str) -> dict[str, set[str]]:
    """identity -> the queues it has ``role`` on."""
    found: dict[str, set[str]] = {}
    for grant in grants["queue_grants"].values():
        if grant["role"] == role:
            who = grant["member"].removeprefix("serviceAccount:").split("@")[0]
            found.setdefault(who, set()).add(grant["queue"])
    return found


def test_each_identity_enqueues_only_where_it_must(grants: dict[str, Any]) -> None:
    expected = {
        "api": set(QUEUES),
        "sweeper": {*STAGES, "webhooks"},  # job.failed of a job it fails
        "publish": {"publish", "webhooks"},
        **{stage: {nxt, "webhooks"} for stage, nxt in pairwise(STAGES)},
        "review": {"webhooks"},  # last: job.completed, job.failed
    }
    assert _granted(grants, "roles/cloudtasks.enqueuer") == expected
    assert _granted(grants, "roles/cloudtasks.viewer") == {
        "api": set(QUEUES),
        "sweeper": set(STAGES),
    }
    assert set(grants["queue_names"]) == set(QUEUES)
    assert all(grant["queue"] in grants["queue_names"] for grant in grants["queue_grants"].values())


def test_the_grants_existing_deployments_hold_keep_their_keys(grants: dict[str, Any]) -> None:
    """Keys are resource addresses: a grant whose key changed would be revoked and made again."""
    before = (
        [f"api/{stage}/{role}" for stage in STAGES for role in ("enqueuer", "viewer")]
        + [f"sweeper/{stage}/{role}" for stage in STAGES for role in ("enqueuer", "viewer")]
        + [f"{a}/{b}/enqueuer" for a, b in pairwise(STAGES)]
    )
    assert set(before) <= set(grants["queue_grants"])


def test_whoever_enqueues_may_act_as_the_invoker_and_nobody_else(grants: dict[str, Any]) -> None:
    enqueuing = set(_granted(grants, "roles/cloudtasks.enqueuer"))
    assert set(grants["enqueuers"]) == enqueuing
    assert "metrics" not in enqueuing
    assert "webhooks" not in enqueuing
    for who, member in grants["enqueuers"].items():
        assert member == f"serviceAccount:{who}@p.iam.gserviceaccount.com"


def test_each_function_reads_only_its_mounted_secrets(grants: dict[str, Any]) -> None:
    # Keyed "function/secret", as stage_reads_provider_keys was: its grants move, not renew.
    expected = {f"{name}/{key}": (name, key) for name, keys in SECRET_ENV.items() for key in keys}
    found = {key: (g["function"], g["secret"]) for key, g in grants["reads"].items()}
    assert found == expected
