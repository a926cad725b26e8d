"""What infra/ deploys, resolved for one test deployment the way Terraform resolves it.

infra/services.yaml lists every Cloud Run service and Cloud Scheduler job; Terraform resolves it
in modules/services with the refs functions.tf builds (``local.refs``). ``resolve`` builds the
same refs for a ``Deployment`` (the tests' project, bucket and URLs) and applies the same rules,
so the Cloud Run edge runs each function with exactly the configuration infra/ gives it.

Nothing here copies that configuration: sizes, environments, invokers and secret groups come
from the yaml, variable defaults from variables.tf, the stage list from functions.tf. What has to
be mirrored, how each ref, name and secret choice is made, sits in ``REF_VALUES``, ``SECRETS``
and ``MIRRORED`` next to the HCL it mirrors; tests/unit/infra holds those tables to infra/*.tf,
and the whole resolution to what terraform itself makes of it, where terraform is installed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Final

import hcl2
import yaml

from tests.support.cloud_run.spec import Infra, ScheduleSpec, ServiceSpec

INFRA: Final = Path(__file__).resolve().parents[3] / "infra"
HCL_OPTIONS: Final = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)
# Identities besides one per function (iam.tf): they only sign tokens, for Cloud Tasks and
# Cloud Scheduler.
TOKEN_IDENTITIES: Final = ("tasks_invoker", "scheduler")
SIZE_FIELDS: Final = (
    "cpu",
    "memory",
    "timeout_seconds",
    "concurrency",
    "min_instances",
    "max_instances",
)
# Functions Cloud Tasks delivers to besides the stages: tasks.tf's local.task_functions is the
# stages, then these; one queue each.
DELIVERY_FUNCTIONS: Final = ("publish", "webhooks")
# Variables a Deployment sets through its own fields.
_OWN_VARIABLES: Final = ("project", "region", "name_prefix", "firestore_database", "bucket_name")


@dataclass(frozen=True, kw_only=True)
class Deployment:
    """One deployment of infra/ as a test stands it up: where it is, and its tfvars."""

    project: str
    project_number: str
    region: str = "us-central1"
    name_prefix: str = "trendreel"
    bucket: str
    firestore_database: str = "(default)"
    # function -> URL without a trailing slash (a schedule's path is appended). None: the
    # deterministic https://SERVICE-PROJECT_NUMBER.REGION.run.app that Cloud Run gives.
    function_urls: Mapping[str, str] | None = None
    # Any other variable of variables.tf, as a tfvars file sets it.
    variables: Mapping[str, Any] = field(default_factory=dict)

    def tfvars(self) -> dict[str, Any]:
        """Every variable this deployment sets (`terraform apply -var-file` would take them)."""
        clash = sorted(set(self.variables) & set(_OWN_VARIABLES))
        if clash:
            raise ValueError(f"set {clash} through the Deployment's fields, not its variables")
        own = {
            "project": self.project,
            "region": self.region,
            "name_prefix": self.name_prefix,
            "firestore_database": self.firestore_database,
            "bucket_name": self.bucket,
        }
        return own | dict(self.variables)


# --- reading infra/ ------------------------------------------------------------------------------


def parse_hcl(path: Path) -> dict[str, Any]:
    """A .tf file as python-hcl2 reads it: expressions stay strings like ``"${var.x}"``."""
    parsed: dict[str, Any] = hcl2.loads(path.read_text("utf-8"), serialization_options=HCL_OPTIONS)
    return parsed


@cache
def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((INFRA / "services.yaml").read_text("utf-8"))
    return spec


@cache
def declared_variables() -> dict[str, dict[str, Any]]:
    """variables.tf: name -> its block (``default`` present only when it has one)."""
    blocks = parse_hcl(INFRA / "variables.tf")["variable"]
    return {name: body for block in blocks for name, body in block.items()}


@cache
def stages() -> tuple[str, ...]:
    """functions.tf's local.stages: the pipeline, one queue and one identity per stage."""
    for block in parse_hcl(INFRA / "functions.tf")["locals"]:
        if "stages" in block:
            return tuple(block["stages"])
    raise LookupError("functions.tf declares no local.stages")


def task_functions() -> tuple[str, ...]:
    """tasks.tf's local.task_functions: the stages, publish and webhooks."""
    return (*stages(), *DELIVERY_FUNCTIONS)


def variable_values(deployment: Deployment) -> dict[str, Any]:
    """Every variable with a value: variables.tf's defaults, then the deployment's tfvars."""
    declared = declared_variables()
    given = deployment.tfvars()
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ValueError(f"not variables of infra/variables.tf: {unknown}")
    defaults = {name: body["default"] for name, body in declared.items() if "default" in body}
    return defaults | given


# --- names and refs ------------------------------------------------------------------------------


def resource_name(prefix: str, name: str) -> str:
    """Service, queue and service-account ids: trendreel-content-generation."""
    return f"{prefix}-{name.replace('_', '-')}"


def _jsonencode(value: Mapping[str, str]) -> str:
    """Terraform's jsonencode of a map: keys sorted, no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Context:
    """One deployment's variables, and the names infra/ derives from them."""

    deployment: Deployment
    variables: Mapping[str, Any]
    functions: tuple[str, ...]  # services.yaml's services

    @classmethod
    def of(cls, deployment: Deployment) -> Context:
        return cls(deployment, variable_values(deployment), tuple(load_spec()["services"]))

    @property
    def prefix(self) -> str:
        return str(self.variables["name_prefix"])

    @cached_property
    def service_names(self) -> dict[str, str]:
        return {name: resource_name(self.prefix, name) for name in self.functions}

    @cached_property
    def function_urls(self) -> dict[str, str]:
        if self.deployment.function_urls is not None:
            return _checked_urls(self.deployment.function_urls, self.functions)
        number, region = self.deployment.project_number, self.variables["region"]
        return {
            name: f"https://{service}-{number}.{region}.run.app"
            for name, service in self.service_names.items()
        }

    @cached_property
    def queue_names(self) -> dict[str, str]:
        """Every function Cloud Tasks delivers to -> its queue id."""
        return {name: resource_name(self.prefix, name) for name in task_functions()}

    @cached_property
    def service_accounts(self) -> dict[str, str]:
        project = self.variables["project"]
        return {
            identity: f"{resource_name(self.prefix, identity)}@{project}.iam.gserviceaccount.com"
            for identity in (*self.functions, *TOKEN_IDENTITIES)
        }

    @cached_property
    def members(self) -> dict[str, str]:
        return {name: f"serviceAccount:{email}" for name, email in self.service_accounts.items()}

    @cached_property
    def refs(self) -> dict[str, Any]:
        """functions.tf's local.refs: every {ref: NAME} services.yaml may use."""
        return (
            {name: rule(self) for name, (_, rule) in REF_VALUES.items()}
            | {f"service_account.{name}": email for name, email in self.service_accounts.items()}
            | {f"member.{name}": member for name, member in self.members.items()}
            | {f"var.{name}": value for name, value in self.variables.items()}
        )


def _checked_urls(urls: Mapping[str, str], functions: tuple[str, ...]) -> dict[str, str]:
    if sorted(urls) != sorted(functions):
        raise ValueError(f"function_urls must name exactly {sorted(functions)}")
    if any(url.endswith("/") for url in urls.values()):
        raise ValueError("function_urls: no trailing slash (a schedule's path is appended)")
    return dict(urls)


Rule = Callable[[Context], Any]

# functions.tf's local.ref_values, entry by entry: the HCL, and the Python computing the same.
REF_VALUES: Final[dict[str, tuple[str, Rule]]] = {
    "project": ("var.project", lambda c: c.variables["project"]),
    "region": ("var.region", lambda c: c.variables["region"]),
    "bucket": ("google_storage_bucket.media.name", lambda c: c.deployment.bucket),
    "firestore_database": (
        "google_firestore_database.main.name",
        lambda c: c.variables["firestore_database"],
    ),
    "function_urls": ("jsonencode(local.function_urls)", lambda c: _jsonencode(c.function_urls)),
    "queue_names": ("jsonencode(local.queue_names)", lambda c: _jsonencode(c.queue_names)),
    "api_url": ('local.function_urls["api"]', lambda c: c.function_urls["api"]),
    "api_allowed_principals": (
        'join(",", concat([local.service_accounts.scheduler], var.api_allowed_principals))',
        lambda c: ",".join(
            [c.service_accounts["scheduler"], *c.variables["api_allowed_principals"]]
        ),
    ),
    "config_root": (
        '"gs://${google_storage_bucket.media.name}/configs"',
        lambda c: f"gs://{c.deployment.bucket}/configs",
    ),
}

# secrets.tf's secrets_in_use, key by key: when what needs it is chosen.
SECRETS: Final[dict[str, tuple[str, Callable[[Mapping[str, Any]], bool]]]] = {
    "apify_token": (
        'contains(var.trend_sources, "tiktok")',
        lambda v: "tiktok" in v["trend_sources"],
    ),
    "gemini_api_key": (
        'var.analyzer == "gemini" || var.writer == "gemini"',
        lambda v: "gemini" in (v["analyzer"], v["writer"]),
    ),
    "google_tts_api_key": ('var.tts == "google"', lambda v: v["tts"] == "google"),
    "pexels_api_key": ('var.visuals == "pexels"', lambda v: v["visuals"] == "pexels"),
    "youtube_api_key": (
        'contains(var.trend_sources, "youtube")',
        lambda v: "youtube" in v["trend_sources"],
    ),
    "tiktok_account": (
        'contains(var.publish_platforms, "tiktok")',
        lambda v: "tiktok" in v["publish_platforms"],
    ),
    "tiktok_client_secret": (
        'contains(var.publish_platforms, "tiktok")',
        lambda v: "tiktok" in v["publish_platforms"],
    ),
    "youtube_account": (
        'contains(var.publish_platforms, "youtube")',
        lambda v: "youtube" in v["publish_platforms"],
    ),
    "youtube_client_secret": (
        'contains(var.publish_platforms, "youtube")',
        lambda v: "youtube" in v["publish_platforms"],
    ),
    "webhook_secret": ("var.webhook_secret_enabled", lambda v: bool(v["webhook_secret_enabled"])),
}

# The rest of the HCL mirrored here, by where it lives: Context, secrets_in_use, _service and
# _schedule compute the same.
MIRRORED: Final[dict[str, str]] = {
    "local.service_names": (
        "{for name in keys(local.spec.services) : name => "
        '"${var.name_prefix}-${replace(name, "_", "-")}"}'
    ),
    "local.function_urls": (
        "{for name, service in local.service_names : name => "
        '"https://${service}-${data.google_project.this.number}.${var.region}.run.app"}'
    ),
    "local.task_functions": (
        "concat(local.stages, [" + ", ".join(f'"{name}"' for name in DELIVERY_FUNCTIONS) + "])"
    ),
    "local.queue_names": (
        "{for name in local.task_functions : name => "
        '"${var.name_prefix}-${replace(name, "_", "-")}"}'
    ),
    "local.service_accounts": (
        "{for name, account in local.identities : name => "
        '"${account.account_id}@${var.project}.iam.gserviceaccount.com"}'
    ),
    "local.members": (
        '{for name, email in local.service_accounts : name => "serviceAccount:${email}"}'
    ),
    "local.refs": (
        "merge(local.ref_values,"
        ' {for name, email in local.service_accounts : "service_account.${name}" => email},'
        ' {for name, member in local.members : "member.${name}" => member},'
        " local.ref_variables)"
    ),
    "local.secret_env": (
        "{for name, service in local.spec.services : name => [for key in local.secrets_in_use :"
        " key if anytrue([for group in try(service.secrets, []) :"
        " contains(local.spec.secret_groups[group], key)])]}"
    ),
    "local.secrets": "toset(flatten(values(local.spec.secret_groups)))",
    "local.secrets_in_use": (
        "sort(compact(["
        + ", ".join(f'{condition} ? "{key}" : ""' for key, (condition, _) in SECRETS.items())
        + "]))"
    ),
    "google_cloud_scheduler_job.schedule.name": '"${var.name_prefix}-${each.key}"',
}


def secrets_in_use(variables: Mapping[str, Any]) -> list[str]:
    return sorted(key for key, (_, needed) in SECRETS.items() if needed(variables))


def secret_env(service: Mapping[str, Any], variables: Mapping[str, Any]) -> tuple[str, ...]:
    """functions.tf's secret_env of one service, as the variable names the secrets reach it
    under: the secrets in use that belong to one of its secret groups."""
    groups = load_spec()["secret_groups"]
    allowed = {key for group in service.get("secrets") or [] for key in groups[group]}
    return tuple(f"TRENDREEL_{key.upper()}" for key in secrets_in_use(variables) if key in allowed)


# --- modules/services, mirrored ------------------------------------------------------------------


def take(value: Any, refs: Mapping[str, Any]) -> Any:
    """try(var.refs[value.ref], value): a ref's value, or the literal as it is."""
    if isinstance(value, dict) and "ref" in value:
        if value["ref"] not in refs:
            raise KeyError(f"services.yaml uses {{ref: {value['ref']}}}, which refs does not give")
        return refs[value["ref"]]
    return value


def env_string(value: Any) -> str:
    """A value as the module writes it into the environment: lists joined with ",", null as
    "", numbers and bools as Terraform's tostring writes them."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(env_string(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        raise TypeError(f"a mapping cannot be an environment variable: {value!r}")
    return str(value)


def _env(
    name: str, service: Mapping[str, Any], refs: Mapping[str, Any], source_dir: str
) -> dict[str, str]:
    spec = load_spec()
    merged: dict[str, Any] = {}
    for group in service["env_groups"]:
        merged |= spec["env_groups"][group]
    merged |= service.get("env") or {}
    env = {key: env_string(take(value, refs)) for key, value in merged.items()}
    return env | {
        "TRENDREEL_INVOKER_IAM_CHECK": env_string(not take(service["invoker_iam_disabled"], refs)),
        "FUNCTION_TARGET": "handle",
        "FUNCTION_SIGNATURE_TYPE": "http",
        "FUNCTION_SOURCE": f"{source_dir}/functions/{name}/main.py",
    }


def _invokers(service: Mapping[str, Any], refs: Mapping[str, Any]) -> tuple[str, ...]:
    """Flattened: a ref may be a list of members (var.api_invoker_members)."""
    members: list[str] = []
    for member in service["invokers"]:
        value = take(member, refs)
        members.extend(value if isinstance(value, list) else [value])
    return tuple(members)


def _sizes(name: str, fields: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The spec's sizes, then the function's non-null overrides (var.function_sizes)."""
    given = overrides.get(name) or {}
    allowed = overridable_sizes()
    if not set(given) <= set(allowed):
        raise ValueError(f"function_sizes[{name!r}] may set only {allowed}")
    return {f: fields[f] for f in SIZE_FIELDS} | {k: v for k, v in given.items() if v is not None}


@cache
def overridable_sizes() -> tuple[str, ...]:
    """The attributes of var.function_sizes' object type."""
    declared = declared_variables()["function_sizes"]["type"]
    return tuple(re.findall(r"(\w+) = optional\(", declared))


def _service(name: str, context: Context) -> ServiceSpec:
    raw, refs = load_spec()["services"][name], context.refs
    fields = {key: take(value, refs) for key, value in raw.items()}
    variables = context.variables
    return ServiceSpec(
        name=name,
        service_name=context.service_names[name],
        url=context.function_urls[name],
        env=_env(name, raw, refs, variables["function_source_dir"]),
        ingress=fields["ingress"],
        invoker_iam_disabled=fields["invoker_iam_disabled"],
        invokers=_invokers(raw, refs),
        secret_env=secret_env(raw, variables),
        **_sizes(name, fields, variables["function_sizes"] or {}),
    )


def _schedule(key: str, context: Context) -> ScheduleSpec:
    raw, refs = load_spec()["schedules"][key], context.refs
    job = {field: take(value, refs) for field, value in raw.items()}
    # The module appends the path to the URL it finds in the function_urls ref.
    url = json.loads(refs["function_urls"])[job["target"]]
    return ScheduleSpec(
        name=f"{context.prefix}-{key}",
        schedule=job["schedule"],
        time_zone=context.variables["time_zone"],
        target=job["target"],
        uri=f"{url}{job['path']}",
        http_method="POST",
        body=job["body"].encode("utf-8"),
        headers=dict(job.get("headers") or {}),
        oidc_service_account=context.service_accounts["scheduler"],
        oidc_audience=context.function_urls[job["target"]],
        attempt_deadline_seconds=job["attempt_deadline_seconds"],
        retry_count=job["retry_count"],
    )


def resolve(deployment: Deployment) -> Infra:
    """Every service and schedule of ``deployment``, configured as infra/ configures them."""
    context = Context.of(deployment)
    return Infra(
        project=context.variables["project"],
        region=context.variables["region"],
        services={name: _service(name, context) for name in context.functions},
        schedules={key: _schedule(key, context) for key in load_spec()["schedules"]},
        queue_names=context.queue_names,
        service_accounts=context.service_accounts,
        task_max_attempts=int(context.variables["task_max_attempts"]),
    )
