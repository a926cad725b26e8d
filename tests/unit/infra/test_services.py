"""services.yaml, resolved for a test deployment as Terraform resolves it
(tests/support/cloud_run/infra.py): what each function runs with, who may call it, and how the
schedules call them. test_module.py checks that the resolution is Terraform's own."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from typing import Any

import pytest

from tests.support.cloud_run.infra import (
    SIZE_FIELDS,
    Context,
    env_string,
    resolve,
)
from tests.support.cloud_run.spec import Infra
from tests.unit.infra.conftest import DEFAULT
from trendreel import tasks
from trendreel.lifecycle import STAGE_TIMEOUT_SECONDS
from trendreel.models import Stage
from trendreel.providers.publish import tiktok
from trendreel.providers.publish.tiktok_limits import LIMITS_PER_MINUTE
from trendreel.settings import Settings

STAGES = [stage.value for stage in Stage]
# Who calls each function besides the api: Cloud Tasks or Cloud Scheduler, with their identity.
TASK_TARGETS = [*STAGES, "publish", "webhooks"]
SCHEDULED = ["sweeper", "metrics"]
FIXED_ENV = {"TRENDREEL_INVOKER_IAM_CHECK", "FUNCTION_TARGET", "FUNCTION_SIGNATURE_TYPE"}
CLOUD_RUN_MAX_TIMEOUT = 3600
INTERNAL = "INGRESS_TRAFFIC_INTERNAL_ONLY"


def _member(email: str) -> str:
    return f"serviceAccount:{email}"


# --- the spec itself ---------------------------------------------------------------------------


def _values(spec: dict[str, Any]) -> list[Any]:
    """Every value a {ref: NAME} may stand for: fields, env values, invokers."""
    found: list[Any] = [v for group in spec["env_groups"].values() for v in group.values()]
    for service in spec["services"].values():
        found += list(service.values()) + list((service.get("env") or {}).values())
        found += service["invokers"]
    for job in spec["schedules"].values():
        found += list(job.values())
    return found


def test_a_ref_is_a_mapping_with_one_name(spec: dict[str, Any]) -> None:
    for value in _values(spec):
        if isinstance(value, dict) and "ref" in value:
            assert set(value) == {"ref"}, value
            assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)?", value["ref"]), value


def test_every_service_names_real_groups_and_every_field(spec: dict[str, Any]) -> None:
    fields = {*SIZE_FIELDS, "ingress", "invoker_iam_disabled", "invokers", "env_groups"}
    for name, service in spec["services"].items():
        assert set(service) - {"env", "secrets"} == fields, name
        assert set(service["env_groups"]) <= set(spec["env_groups"]), name
        assert set(service.get("secrets") or []) <= set(spec["secret_groups"]), name
    required = {"description", "schedule", "target", "path", "body", "attempt_deadline_seconds"}
    for name, job in spec["schedules"].items():
        assert required | {"retry_count"} <= set(job), name
        assert job["target"] in spec["services"], name
        assert job["path"].startswith("/"), name


# --- what each function runs with ----------------------------------------------------------------


def test_every_function_gets_exactly_the_environment_the_spec_gives_it(
    spec: dict[str, Any], infra: Infra
) -> None:
    refs = Context.of(DEFAULT).refs
    for name, service in infra.services.items():
        raw = spec["services"][name]
        layers = [spec["env_groups"][group] for group in raw["env_groups"]]
        layers.append(raw.get("env") or {})
        expected = {key: value for layer in layers for key, value in layer.items()}
        assert set(service.env) == set(expected) | FIXED_ENV | {"FUNCTION_SOURCE"}, name
        for key, value in expected.items():
            wanted = env_string(refs[value["ref"]]) if isinstance(value, dict) else value
            assert service.env[key] == wanted, (name, key)


def _settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings as a function reads them from exactly ``env``."""
    for key in [k for k in os.environ if k.startswith("TRENDREEL_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings()


def test_every_environment_is_valid_settings(infra: Infra, monkeypatch: pytest.MonkeyPatch) -> None:
    webhook_attempts = Context.of(DEFAULT).variables["webhook_max_attempts"]
    for name, service in infra.services.items():
        settings = _settings(service.env, monkeypatch)
        assert settings.backend == "gcp"
        assert settings.invoker_iam_check is not service.invoker_iam_disabled
        assert settings.function_urls == {n: s.url for n, s in infra.services.items()}
        assert settings.queue_names == infra.queue_names
        # The webhooks delivery gives up on its own queue's last attempt (test_terraform.py).
        attempts = webhook_attempts if name == "webhooks" else infra.task_max_attempts
        assert settings.task_max_attempts == attempts, name


def test_every_task_is_routed_to_a_queue_of_its_own(infra: Infra) -> None:
    assert set(infra.queue_names) == set(tasks.TASK_FUNCTIONS)
    assert len(set(infra.queue_names.values())) == len(infra.queue_names)
    # Each task goes to its function's URL, and that function exists.
    assert set(tasks.TASK_FUNCTIONS) <= set(infra.services)


def test_publishing_is_configured_where_it_is_used(
    infra: Infra, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = {
        "publish_platforms": ["youtube", "tiktok"],
        "youtube_client_id": "1234-abc.apps.googleusercontent.com",
        "tiktok_client_key": "awclientkey123",
        "publish_privacy": "unlisted",
        "publish_made_for_kids": True,
    }
    deployed = resolve(dataclasses.replace(DEFAULT, variables=chosen))
    for name in ("publish", "metrics"):  # they refresh access tokens through the clients
        settings = _settings(deployed.services[name].env, monkeypatch)
        assert settings.youtube_client_id == chosen["youtube_client_id"], name
        assert settings.tiktok_client_key == chosen["tiktok_client_key"], name
    assert _settings(deployed.services["publish"].env, monkeypatch).publish_made_for_kids
    # The api records the privacy on each publication (POST /videos/{id}/publish, auto_post).
    assert _settings(deployed.services["api"].env, monkeypatch).publish_privacy == "unlisted"
    for name, service in deployed.services.items():
        if name not in ("publish", "metrics"):
            assert "TRENDREEL_YOUTUBE_CLIENT_ID" not in service.env, name
    # Unset, the clients are empty, which the accounts code reports as not configured.
    default = _settings(infra.services["publish"].env, monkeypatch)
    assert (default.youtube_client_id, default.tiktok_client_key) == ("", "")
    assert _settings(infra.services["api"].env, monkeypatch).publish_privacy == "private"


def test_the_invoker_check_setting_agrees_with_the_service(infra: Infra) -> None:
    for service in infra.services.values():
        expected = "false" if service.invoker_iam_disabled else "true"
        assert service.env["TRENDREEL_INVOKER_IAM_CHECK"] == expected, service.name


def test_every_function_but_the_api_accepts_exactly_its_invokers(infra: Infra) -> None:
    assert sorted(infra.services) == sorted(["api", *TASK_TARGETS, *SCHEDULED])
    for name in [*TASK_TARGETS, *SCHEDULED]:
        service = infra.services[name]
        callers = service.env["TRENDREEL_ALLOWED_CALLERS"].split(",")
        assert {c.lower() for c in callers} == service.invoker_emails, name


def test_the_api_reads_configs_from_the_bucket(infra: Infra) -> None:
    assert infra.services["api"].env["TRENDREEL_CONFIG_ROOT"] == f"gs://{DEFAULT.bucket}/configs"


def test_only_the_api_may_skip_the_invoker_check_and_only_it_faces_outside(
    spec: dict[str, Any], infra: Infra
) -> None:
    for name, service in spec["services"].items():
        if name != "api":
            assert service["invoker_iam_disabled"] is False, name
            assert service["ingress"] == INTERNAL, name
    # The api may rely on its own auth (it checks every route but /health); stages never.
    api = spec["services"]["api"]
    assert api["invoker_iam_disabled"] == {"ref": "var.api_app_auth_only"}
    assert api["ingress"] == {"ref": "var.api_ingress"}
    for setting in (
        "TRENDREEL_API_AUDIENCE",
        "TRENDREEL_API_ALLOWED_PRINCIPALS",
        "TRENDREEL_API_KEY_HASHES",
    ):
        assert setting in infra.services["api"].env, f"the api's own auth needs {setting}"
    skipping = [s.name for s in infra.services.values() if s.invoker_iam_disabled]
    assert skipping == ["api"]  # api_app_auth_only defaults to true


def test_who_may_invoke_which_service(infra: Infra) -> None:
    accounts = infra.service_accounts
    for name in TASK_TARGETS:
        assert infra.services[name].invokers == (_member(accounts["tasks_invoker"]),), name
    scheduler = _member(accounts["scheduler"])
    assert infra.services["api"].invokers == (scheduler,)  # api_invoker_members defaults to []
    for name in SCHEDULED:
        assert infra.services[name].invokers == (scheduler,), name


def test_scheduled_functions_are_invoked_and_called_by_the_schedulers_account(
    infra: Infra,
) -> None:
    scheduler = infra.service_accounts["scheduler"]
    for name in SCHEDULED:
        service = infra.services[name]
        assert service.invoker_emails == {scheduler}, name
        assert service.env["TRENDREEL_ALLOWED_CALLERS"] == scheduler, name
        job = infra.schedules[name]
        assert (job.target, job.oidc_service_account) == (name, scheduler)


def test_metrics_are_read_hourly_one_pass_at_a_time(infra: Infra) -> None:
    job, metrics = infra.schedules["metrics"], infra.services["metrics"]
    assert job.schedule == "0 * * * *"
    assert (job.uri, job.body) == (f"{metrics.url}/", b"{}")
    assert job.retry_count == 0  # a missed run is caught up by the next
    assert (metrics.max_instances, metrics.concurrency) == (1, 1)
    assert job.attempt_deadline_seconds <= metrics.timeout_seconds == 300
    schedule = resolve(dataclasses.replace(DEFAULT, variables={"metrics_schedule": "15 * * * *"}))
    assert schedule.schedules["metrics"].schedule == "15 * * * *"


def test_api_app_auth_only_false_puts_the_api_behind_the_invoker_check(infra: Infra) -> None:
    variables = {"api_app_auth_only": False, "api_invoker_members": ["group:oncall@example.com"]}
    checked = resolve(dataclasses.replace(DEFAULT, variables=variables))
    api = checked.services["api"]
    assert api.invoker_iam_disabled is False
    assert api.env["TRENDREEL_INVOKER_IAM_CHECK"] == "true"
    assert api.invokers == (
        _member(checked.service_accounts["scheduler"]),
        "group:oncall@example.com",
    )
    unchanged = {name: s for name, s in checked.services.items() if name != "api"}
    assert unchanged == {name: s for name, s in infra.services.items() if name != "api"}


# --- sizes and timeouts ------------------------------------------------------------------------


def test_each_stage_may_run_as_long_as_its_tasks_may(infra: Infra) -> None:
    assert set(STAGE_TIMEOUT_SECONDS) == set(Stage)
    lease = Settings.model_fields["lease_seconds"].default
    for stage, longest in STAGE_TIMEOUT_SECONDS.items():
        timeout = infra.services[stage.value].timeout_seconds
        assert longest <= timeout <= CLOUD_RUN_MAX_TIMEOUT, stage
        assert lease < timeout, stage  # a heartbeat renews the lease well inside the timeout


def test_each_function_tasks_go_to_may_run_as_long_as_its_tasks_may(infra: Infra) -> None:
    lease = Settings.model_fields["lease_seconds"].default
    for name in tasks.TASK_FUNCTIONS:
        timeout = infra.services[name].timeout_seconds
        assert tasks.timeout_seconds(name) <= timeout <= CLOUD_RUN_MAX_TIMEOUT, name
    assert infra.services["publish"].timeout_seconds == tasks.PUBLISH_TIMEOUT_SECONDS
    assert infra.services["webhooks"].timeout_seconds == tasks.WEBHOOK_TIMEOUT_SECONDS
    assert lease < infra.services["publish"].timeout_seconds  # its claim is renewed too


def test_publish_holds_one_video_and_keeps_within_tiktoks_limits(infra: Infra) -> None:
    publish = infra.services["publish"]
    # /tmp is memory: Python and its clients (~200 MB) and one video of a few hundred MB.
    assert _bytes(publish.memory) >= 200 * 10**6 + 600 * 10**6
    assert publish.concurrency == 1
    # TikTok counts requests per user token in-process; each delivery polls the post's status
    # every POLL_INTERVAL_SECONDS: all instances together stay under the token's limit.
    polls = publish.max_instances * publish.concurrency * 60 / tiktok.POLL_INTERVAL_SECONDS
    assert polls <= LIMITS_PER_MINUTE["status_fetch"]


def test_overrides_change_sizes_but_never_timeouts() -> None:
    sizes = {"composition": {"memory": "4Gi", "max_instances": 2, "cpu": None}}
    composition = resolve(dataclasses.replace(DEFAULT, variables={"function_sizes": sizes}))
    service = composition.services["composition"]
    assert (service.memory, service.max_instances, service.cpu) == ("4Gi", 2, "2")
    timeout = {"composition": {"timeout_seconds": 60}}
    with pytest.raises(ValueError, match="may set only"):
        resolve(dataclasses.replace(DEFAULT, variables={"function_sizes": timeout}))


def _bytes(quantity: str) -> int:
    match = re.fullmatch(r"(\d+)(Mi|Gi)", quantity)
    assert match is not None, quantity
    return int(match.group(1)) * {"Mi": 2**20, "Gi": 2**30}[match.group(2)]


def test_composition_is_sized_for_its_benchmark(infra: Infra) -> None:
    composition = infra.services["composition"]
    peak = 450 * 10**6  # README "Performance": Python + ffmpeg encoder
    assert _bytes(composition.memory) >= 4 * peak  # /tmp (the mp4, the inputs) is memory too
    assert float(composition.cpu) >= 2
    assert composition.concurrency == 1


# --- a deployment of the tests' own --------------------------------------------------------------


def test_a_deployment_may_give_its_own_urls(infra: Infra) -> None:
    urls = {name: f"http://127.0.0.1:8080/{name}" for name in infra.services}
    edge = resolve(dataclasses.replace(DEFAULT, function_urls=urls))
    assert {name: s.url for name, s in edge.services.items()} == urls
    api_env = edge.services["api"].env
    assert json.loads(api_env["TRENDREEL_FUNCTION_URLS"]) == urls
    assert api_env["TRENDREEL_API_AUDIENCE"] == urls["api"]
    assert edge.schedules["generate"].uri == f"{urls['api']}/generate"
    assert edge.schedules["sweeper"].oidc_audience == urls["sweeper"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"function_urls": {"api": "http://127.0.0.1:1"}}, "must name exactly"),
        ({"variables": {"nonsense": 1}}, "not variables of infra/variables.tf"),
        ({"variables": {"region": "europe-west1"}}, "through the Deployment's fields"),
    ],
)
def test_a_deployment_infra_would_not_take_is_refused(change: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        resolve(dataclasses.replace(DEFAULT, **change))


def test_urls_with_a_trailing_slash_are_refused(infra: Infra) -> None:
    urls = {name: f"http://127.0.0.1:8080/{name}/" for name in infra.services}
    with pytest.raises(ValueError, match="trailing slash"):
        resolve(dataclasses.replace(DEFAULT, function_urls=urls))
