"""infra/*.tf, parsed with python-hcl2 and checked against the code it deploys.

Terraform cannot plan here (no provider, no project), so these tests read the configuration as
data and hold it to what the code needs: a service for every function folder, an index for
every Firestore query, nothing public, OIDC on the scheduled calls, and credentials only from
Secret Manager, only where they are used (the queues: test_queues.py). What each service
and schedule is given (sizes, invokers, environment) is data in services.yaml: test_services.py
checks it, resolved as Terraform resolves it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import SecretStr

from tests.support.cloud_run.infra import INFRA, load_spec, resolve
from tests.support.cloud_run.spec import Infra
from tests.unit.adapters.test_firestore_indexes import (
    captured_queries,
    index_serves,
    required_index,
)
from tests.unit.infra.conftest import DEFAULT
from tests.unit.infra.hcl import (
    Terraform,
    block,
    comprehension_template,
    dynamic_blocks,
    inner,
    parsed,
    render,
)
from trendreel.models import Stage
from trendreel.models.content import Script
from trendreel.settings import Settings
from trendreel.stages import keys

ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS = ROOT / "functions"
FILES = {
    "versions.tf",
    "variables.tf",
    "apis.tf",
    "firestore.tf",
    "storage.tf",
    "configs.tf",
    "tasks.tf",
    "iam.tf",
    "functions.tf",
    "scheduler.tf",
    "secrets.tf",
    "outputs.tf",
}
PUBLIC = ("allUsers", "allAuthenticatedUsers")
STAGES = [stage.value for stage in Stage]
# Functions besides the api and the stages, each a folder under functions/ and a service.
OTHER_FUNCTIONS = ["sweeper", "publish", "metrics", "webhooks"]
MAX_PREFIX = "a" * 11  # the longest name_prefix variables.tf allows
PROJECT_NUMBER = "1" * 12


# --- the configuration is complete -------------------------------------------------------------


def test_every_file_parses_and_the_split_is_kept(tf: Terraform) -> None:
    assert set(tf.texts) >= FILES
    assert tf.locals
    assert tf.variables
    assert tf.resources


def test_the_stage_list_is_the_pipeline(tf: Terraform) -> None:
    assert tf.local("stages") == STAGES


def test_every_function_folder_has_a_service(tf: Terraform, spec: dict[str, Any]) -> None:
    folders = {p.parent.name for p in FUNCTIONS.glob("*/main.py")}
    assert folders == {"api", *STAGES, *OTHER_FUNCTIONS}
    assert set(spec["services"]) == folders
    # The services are services.yaml's, resolved by the module.
    assert tf.local("spec") == '${yamldecode(file("${path.module}/services.yaml"))}'
    module = tf.modules["services"]
    assert module["source"] == "./modules/services"
    assert module["spec"] == "${local.spec}"
    assert module["refs"] == "${local.refs}"
    assert module["function_sizes"] == "${var.function_sizes}"
    assert tf.local("services") == "${module.services.services}"
    service = tf.resource("google_cloud_run_v2_service", "function")
    assert inner(service["for_each"]) == "local.services"
    # function_sizes may only name functions.
    validation = block(tf.variables["function_sizes"], "validation")["condition"]
    named = re.search(r"contains\(\[([^\]]*)\]", validation)
    assert named is not None, validation
    assert set(re.findall(r'"(\w+)"', named.group(1))) == folders
    for name in folders:
        assert re.search(r"^handle = ", (FUNCTIONS / name / "main.py").read_text(), re.M), name


def test_each_service_runs_its_own_entry_point_with_its_own_identity(
    tf: Terraform, infra: Infra
) -> None:
    template = block(tf.resource("google_cloud_run_v2_service", "function"), "template")
    assert template["service_account"] == "${local.service_accounts[each.key]}"
    source_dir = tf.variables["function_source_dir"]["default"]
    for name, service in infra.services.items():
        assert service.env["FUNCTION_SOURCE"] == f"{source_dir}/functions/{name}/main.py"
        assert service.env["FUNCTION_TARGET"] == "handle"
        assert service.env["FUNCTION_SIGNATURE_TYPE"] == "http"
    envs = dynamic_blocks(container(tf), "env")
    (plain,) = [e for e in envs if "value_source" not in block(e, "content")]
    assert plain["for_each"] == "${each.value.env}"


def container(tf: Terraform) -> dict[str, Any]:
    service = tf.resource("google_cloud_run_v2_service", "function")
    return block(block(service, "template"), "containers")


def test_the_service_takes_its_configuration_from_the_module(tf: Terraform) -> None:
    service = tf.resource("google_cloud_run_v2_service", "function")
    template = block(service, "template")
    assert service["ingress"] == "${each.value.ingress}"
    assert service["invoker_iam_disabled"] == "${each.value.invoker_iam_disabled}"
    assert template["timeout"] == "${each.value.timeout_seconds}s"
    assert template["max_instance_request_concurrency"] == "${each.value.concurrency}"
    scaling = block(template, "scaling")
    assert scaling["min_instance_count"] == "${each.value.min_instances}"
    assert scaling["max_instance_count"] == "${each.value.max_instances}"
    limits = block(container(tf), "resources")["limits"]
    assert limits == {"cpu": "${each.value.cpu}", "memory": "${each.value.memory}"}
    # Terraform owns the configuration, Cloud Build the image.
    lifecycle = block(service, "lifecycle")
    assert "${template[0].containers[0].image}" in lifecycle["ignore_changes"]
    assert service["deletion_protection"] == "${var.deletion_protection}"


def test_service_names_and_deterministic_urls_fit(tf: Terraform, spec: dict[str, Any]) -> None:
    template = comprehension_template(tf.local("service_names"))
    urls = inner(tf.local("function_urls"))
    assert "https://${service}-${data.google_project.this.number}.${var.region}.run.app" in urls
    for prefix in ("trendreel", MAX_PREFIX):
        for name in spec["services"]:
            service = render(template, prefix, name, "name")
            assert re.fullmatch(r"[a-z][a-z0-9-]{0,47}[a-z0-9]", service), service
            # A deterministic URL exists only when SERVICE-PROJECT_NUMBER fits a DNS label.
            assert len(f"{service}-{PROJECT_NUMBER}") <= 63, service


def test_service_account_ids_fit(tf: Terraform) -> None:
    ids = [body["account_id"] for _, body in tf.typed("google_service_account")]
    assert len(ids) == 2 + len(OTHER_FUNCTIONS) + 2  # api, stage, the others, the two tokens
    for prefix in ("trendreel", MAX_PREFIX):
        for template in ids:
            for stage in STAGES:
                account = template.replace("${var.name_prefix}", prefix).replace(
                    '${replace(each.key, "_", "-")}', stage.replace("_", "-")
                )
                assert re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", account), account


def test_every_reference_names_something_declared(tf: Terraform) -> None:
    """What `terraform validate` would catch first, were the provider here."""
    parsed = json.dumps([tf.locals, tf.resources, tf.modules, tf.outputs])
    for name in set(re.findall(r"\blocal\.(\w+)", parsed)):
        assert name in tf.locals, f"local.{name} is not declared"
    for name in set(re.findall(r"\bvar\.(\w+)", parsed)):
        assert name in tf.variables, f"var.{name} is not declared"
    for name in set(re.findall(r"\bmodule\.(\w+)", parsed)):
        assert name in tf.modules, f"module.{name} is not declared"
    # Resources only: data.google_project.this is preceded by "data.".
    for rtype, name in set(re.findall(r"(?<![\w.])(google_\w+)\.(\w+)", parsed)):
        assert name in tf.resources.get(rtype, {}), f"{rtype}.{name} is not declared"


# --- Firestore ---------------------------------------------------------------------------------


def _index_file() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((INFRA / "firestore.indexes.json").read_text())
    return data


def _index_key(index: dict[str, Any]) -> str:
    """firestore.tf's for_each key, computed the same way."""
    parts = [index["collectionGroup"]]
    for f in index["fields"]:
        parts.append(f"{f['fieldPath']}-{f.get('order', f.get('arrayConfig', '')).lower()}")
    return "-".join(parts)


def test_indexes_are_generated_from_the_index_file(tf: Terraform) -> None:
    assert inner(tf.local("firestore")) == (
        'jsondecode(file("${path.module}/firestore.indexes.json"))'
    )
    assert inner(tf.local("firestore_indexes")).startswith(
        "{for index in local.firestore.indexes :"
    )
    resource = tf.resource("google_firestore_index", "composite")
    assert inner(resource["for_each"]) == "local.firestore_indexes"
    assert resource["collection"] == "${each.value.collectionGroup}"
    assert resource["query_scope"] == "${each.value.queryScope}"
    assert resource["database"] == "${google_firestore_database.main.name}"
    (fields,) = dynamic_blocks(resource, "fields")
    assert fields["for_each"] == "${each.value.fields}"
    content = block(fields, "content")
    assert content["field_path"] == "${fields.value.fieldPath}"
    assert content["order"] == '${lookup(fields.value, "order", null)}'
    # Every index in the file gets its own resource: the content keys do not collide.
    indexes = _index_file()["indexes"]
    assert len({_index_key(index) for index in indexes}) == len(indexes)


def test_field_overrides_are_generated_from_the_index_file(tf: Terraform) -> None:
    assert inner(tf.local("firestore_field_overrides")).startswith(
        "{for override in local.firestore.fieldOverrides :"
    )
    resource = tf.resource("google_firestore_field", "override")
    assert inner(resource["for_each"]) == "local.firestore_field_overrides"
    assert resource["field"] == "${each.value.fieldPath}"
    (indexes,) = dynamic_blocks(block(resource, "index_config"), "indexes")
    assert indexes["for_each"] == "${each.value.indexes}"


def test_every_query_of_the_job_store_has_a_declared_index(
    spec: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    collection = spec["env_groups"]["common"]["TRENDREEL_FIRESTORE_COLLECTION"]
    assert collection == Settings.model_fields["firestore_collection"].default
    declared = _index_file()["indexes"]  # all of them, by the for_each above
    assert {index["collectionGroup"] for index in declared} == {collection}
    queries = captured_queries(monkeypatch)
    assert queries
    for query in queries:
        need = required_index(query)
        if need is not None:
            assert any(index_serves(index, need) for index in declared), f"no index for {need}"


# --- nothing is public -------------------------------------------------------------------------


def _members(body: dict[str, Any]) -> list[str]:
    if "member" in body:
        return [body["member"]]
    members: list[str] = body.get("members", [])
    return members


def _rejects_public(tf: Terraform, var: str) -> bool:
    conditions = " ".join(v["condition"] for v in tf.variables[var].get("validation", []))
    return all(public in conditions for public in PUBLIC)


def _check_each_members(tf: Terraform, rtype: str, name: str, body: dict[str, Any]) -> None:
    """A member taken from for_each is only safe if every source of it rejects public members:
    a variable by its validation; services.yaml's invokers by being identities or such
    variables. (Locals hold no public member: test_no_iam_member_is_public.)"""
    source = inner(body.get("for_each", "${}"))
    for var in re.findall(r"var\.(\w+)", source):
        assert _rejects_public(tf, var), f"{rtype}.{name}: var.{var} does not reject public"
    if "local.services" in source:
        assert source.startswith("merge([for name, service in local.services :")
        assert "for member in service.invokers" in source
        _check_spec_invokers(tf)


def _check_spec_invokers(tf: Terraform) -> None:
    for name, service in load_spec()["services"].items():
        for member in service["invokers"]:
            assert isinstance(member, dict), f"{name}: literal invoker {member!r}"
            ref = member["ref"]
            if ref.startswith("var."):
                assert _rejects_public(tf, ref.removeprefix("var.")), f"{name}: {ref}"
            else:
                assert ref.startswith("member."), f"{name}: invoker {ref} is not an identity"


def test_no_iam_member_is_public(tf: Terraform) -> None:
    iam = [r for r in tf.every_resource() if re.search(r"_iam_(member|binding|policy)$", r[0])]
    assert len(iam) >= 8
    for rtype, name, body in iam:
        assert not rtype.endswith("_iam_policy"), f"{rtype}.{name}: authoritative policy"
        for member in _members(body):
            assert not any(p in member for p in PUBLIC), f"{rtype}.{name}: {member}"
            if "each." in member:
                _check_each_members(tf, rtype, name, body)
    for var, spec in tf.variables.items():
        assert not any(p in json.dumps(spec.get("default")) for p in PUBLIC), var
    assert not any(p in json.dumps(tf.locals) for p in PUBLIC)
    assert not any(p in json.dumps(load_spec()) for p in PUBLIC)


def test_api_invoker_members_rejects_public_principals(tf: Terraform) -> None:
    assert _rejects_public(tf, "api_invoker_members")
    (validation,) = tf.variables["api_invoker_members"]["validation"]
    assert validation["condition"] == (
        '${alltrue([for m in var.api_invoker_members : !contains(["allUsers", '
        '"allAuthenticatedUsers"], m)])}'
    )


def test_only_the_spec_sets_the_invoker_check(tf: Terraform) -> None:
    service = tf.resource("google_cloud_run_v2_service", "function")
    for rtype, name, body in tf.every_resource():
        if body is not service:
            assert body.get("invoker_iam_disabled") in (None, False), f"{rtype}.{name}"


def test_who_may_invoke_which_service(tf: Terraform) -> None:
    grants = list(tf.typed("google_cloud_run_v2_service_iam_member"))
    assert [name for name, _ in grants] == ["invoker"]
    ((_, invoker),) = grants
    assert invoker["role"] == "roles/run.invoker"
    assert invoker["member"] == "${each.value.member}"
    assert invoker["name"] == "${google_cloud_run_v2_service.function[each.value.service].name}"
    assert invoker["for_each"] == parsed(
        "merge([for name, service in local.services : {for member in service.invokers : "
        '"${name}/${member}" => {service = name, member = member}}]...)'
    )


def test_the_bucket_is_private(tf: Terraform) -> None:
    bucket = tf.resource("google_storage_bucket", "media")
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket["uniform_bucket_level_access"] is True
    assert block(bucket, "versioning")["enabled"] is False
    acl_types = [
        t for t, _, _ in tf.every_resource() if "access_control" in t or t.endswith("_acl")
    ]
    assert acl_types == []


def _intermediate_suffixes(tf: Terraform) -> list[str]:
    expr = inner(tf.local("intermediate_suffixes"))
    literal = re.search(r"concat\(\[([^\]]*)\]", expr)
    pattern = re.search(r'range\(local\.max_scenes\) : format\("([^"]+)", i\)', expr)
    assert literal is not None, expr
    assert pattern is not None, expr
    scenes = int(tf.local("max_scenes"))
    return re.findall(r'"([^"]+)"', literal.group(1)) + [
        pattern.group(1) % i for i in range(scenes)
    ]


def test_the_lifecycle_rule_deletes_intermediates_and_keeps_products(tf: Terraform) -> None:
    rule = block(tf.resource("google_storage_bucket", "media"), "lifecycle_rule")
    assert block(rule, "action")["type"] == "Delete"
    condition = block(rule, "condition")
    assert condition["age"] == "${var.intermediate_retention_days}"
    assert condition["matches_prefix"] == ["jobs/"]
    assert condition["matches_suffix"] == "${local.intermediate_suffixes}"
    suffixes = _intermediate_suffixes(tf)

    def deleted(key: str) -> bool:
        return key.startswith("jobs/") and any(key.endswith(s) for s in suffixes)

    def stage_key(stage: Stage, name: str) -> str:
        return f"jobs/20240501T120000-abcd1234/{stage.value}/{name}"

    scenes = Script.model_fields["scenes"].metadata
    most = max(m.max_length for m in scenes if hasattr(m, "max_length"))
    assert int(tf.local("max_scenes")) >= most
    generated = [keys.VOICE_WAV, keys.MUSIC_WAV] + [
        f"visuals/scene_{i:02d}.mp4" for i in range(most)
    ]
    assert all(deleted(stage_key(Stage.CONTENT_GENERATION, name)) for name in generated)
    kept = {
        Stage.TREND_COLLECTION: [keys.TRENDS],
        Stage.TREND_ANALYSIS: [keys.REPORT],
        Stage.CONTENT_GENERATION: [keys.SCRIPT, keys.VOICE, keys.VISUALS, keys.MUSIC],
        Stage.COMPOSITION: [keys.VIDEO, keys.THUMBNAIL, keys.CAPTIONS],
        Stage.REVIEW: [keys.QC, keys.MANIFEST],
    }
    for stage, names in kept.items():
        assert not any(deleted(stage_key(stage, name)) for name in names), stage
    # The theme configs POST /generate reads (configs.tf) are never touched.
    configs = [p.relative_to(INFRA).as_posix() for p in (INFRA / "configs").rglob("*.*")]
    assert configs
    assert not any(deleted(key) for key in configs)


# --- the scheduled calls -----------------------------------------------------------------------


def test_every_schedule_posts_its_body_with_an_oidc_token_for_its_target(tf: Terraform) -> None:
    job = tf.resource("google_cloud_scheduler_job", "schedule")
    assert inner(job["for_each"]) == "module.services.schedules"
    assert job["schedule"] == "${each.value.schedule}"
    assert job["time_zone"] == "${var.time_zone}"
    assert job["attempt_deadline"] == "${each.value.attempt_deadline_seconds}s"
    assert block(job, "retry_config")["retry_count"] == "${each.value.retry_count}"
    target = block(job, "http_target")
    assert target["http_method"] == "POST"
    assert target["uri"] == "${each.value.uri}"
    assert target["headers"] == "${each.value.headers}"
    assert target["body"] == "${base64encode(each.value.body)}"
    assert "oauth_token" not in target
    token = block(target, "oidc_token")
    # An ID token for the target's own URL: the audience Cloud Run and the function check.
    assert token["audience"] == "${local.function_urls[each.value.target]}"
    assert token["service_account_email"] == "${local.service_accounts.scheduler}"


def test_the_scheduled_calls_resolve_to_the_api_and_the_sweeper(infra: Infra) -> None:
    generate, sweeper = infra.schedules["generate"], infra.schedules["sweeper"]
    api_url, sweeper_url = infra.services["api"].url, infra.services["sweeper"].url
    scheduler = infra.service_accounts["scheduler"]
    assert (generate.uri, generate.oidc_audience) == (f"{api_url}/generate", api_url)
    assert (sweeper.uri, sweeper.oidc_audience) == (f"{sweeper_url}/", sweeper_url)
    for job in (generate, sweeper):
        assert job.http_method == "POST"
        assert job.headers == {"Content-Type": "application/json"}
        json.loads(job.body)
        assert job.oidc_service_account == scheduler
        # Cloud Scheduler's HTTP attempt deadline: 15 s to 30 min, and no longer than the
        # target may run.
        assert 15 <= job.attempt_deadline_seconds <= 1800
        assert job.attempt_deadline_seconds <= infra.services[job.target].timeout_seconds
    # The api checks the same audience, and lets the scheduler's identity in.
    api_env = infra.services["api"].env
    assert api_env["TRENDREEL_API_AUDIENCE"] == api_url
    assert scheduler in api_env["TRENDREEL_API_ALLOWED_PRINCIPALS"].split(",")


def test_renamed_resources_are_kept(tf: Terraform) -> None:
    """The scheduler jobs move to their new addresses, and so do the secrets and their grants
    (one resource for every credential now); the three old run.invoker grant resources are
    forgotten, not destroyed, so no grant is revoked while it is made again."""
    renamed = {
        (f"${{google_cloud_scheduler_job.{n}}}", f'${{google_cloud_scheduler_job.schedule["{n}"]}}')
        for n in ("generate", "sweeper")
    } | {
        ("${google_secret_manager_secret.provider}", "${google_secret_manager_secret.setting}"),
        (
            "${google_secret_manager_secret_iam_member.stage_reads_provider_keys}",
            "${google_secret_manager_secret_iam_member.reads}",
        ),
    }
    assert {(m["from"], m["to"]) for m in tf.blocks["moved"]} == renamed
    old = ("tasks_invoke_stages", "scheduler_invokes", "api_invokers")
    assert {r["from"] for r in tf.blocks["removed"]} == {
        f"${{google_cloud_run_v2_service_iam_member.{name}}}" for name in old
    }
    assert all(block(r, "lifecycle")["destroy"] is False for r in tf.blocks["removed"])
    # The grants keep their keys ("stage/secret"), or moving them would not keep them.
    reads = tf.resource("google_secret_manager_secret_iam_member", "reads")
    assert '"${name}/${key}"' in reads["for_each"]


# --- environment and secrets -------------------------------------------------------------------


def _infra_texts(tf: Terraform) -> dict[str, str]:
    """Every file infra/ configures the functions with: the root's .tf, the module, the spec."""
    module = {p.name: p.read_text() for p in (INFRA / "modules" / "services").glob("*.tf")}
    return {**tf.texts, **module, "services.yaml": (INFRA / "services.yaml").read_text()}


def test_every_trendreel_variable_is_a_setting(tf: Terraform) -> None:
    texts = _infra_texts(tf)
    names = {n for text in texts.values() for n in re.findall(r"\bTRENDREEL_([A-Z0-9_]+)", text)}
    assert {"BACKEND", "INVOKER_IAM_CHECK", "CONFIG_ROOT", "ALLOWED_CALLERS"} <= names
    unknown = sorted(n for n in names if n.lower() not in Settings.model_fields)
    assert unknown == [], f"not fields of trendreel.settings.Settings: {unknown}"
    # Stages check their caller from the token Cloud Run verified: no stage_auth switch any more.
    assert "STAGE_AUTH" not in names


def _secret_fields() -> set[str]:
    def secret(annotation: object) -> bool:
        if get_origin(annotation) in (Union, types.UnionType):
            return SecretStr in get_args(annotation)
        return annotation is SecretStr

    fields = {name for name, f in Settings.model_fields.items() if secret(f.annotation)}
    return fields - {"api_token"}  # the local-mode token; the gcp api uses ID tokens and key hashes


def test_every_credential_has_a_secret(tf: Terraform, spec: dict[str, Any]) -> None:
    credentials = _secret_fields()
    assert {"gemini_api_key", "youtube_account", "tiktok_client_secret"} <= credentials
    grouped = {key for keys in spec["secret_groups"].values() for key in keys}
    assert sorted(credentials - grouped) == [], "credentials with no secret"
    assert sorted(grouped - credentials) == [], "secrets that are no Settings credential"
    assert tf.local("secrets") == parsed("toset(flatten(values(local.spec.secret_groups)))")
    secret = tf.resource("google_secret_manager_secret", "setting")
    assert inner(secret["for_each"]) == "local.secrets"
    in_use = inner(tf.local("secrets_in_use"))
    for key in grouped:
        assert f'"{key}"' in in_use, f"{key} is never mounted"


def test_credentials_reach_the_functions_only_from_secret_manager(
    tf: Terraform, spec: dict[str, Any]
) -> None:
    credentials = {key for keys in spec["secret_groups"].values() for key in keys}
    from_secrets = [
        env
        for env in dynamic_blocks(container(tf), "env")
        if "value_source" in block(env, "content")
    ]
    assert len(from_secrets) == 1
    content = block(from_secrets[0], "content")
    assert content["name"] == "TRENDREEL_${upper(env.value)}"
    assert "value" not in content
    ref = block(block(content, "value_source"), "secret_key_ref")
    assert ref["secret"] == "${google_secret_manager_secret.setting[env.value].secret_id}"
    assert inner(from_secrets[0]["for_each"]) == "toset(local.secret_env[each.key])"
    # Never a plain value: no literal env name, no variable, no secret value in the state.
    for key in credentials:
        for name, text in _infra_texts(tf).items():
            assert f"TRENDREEL_{key.upper()}" not in text, f"{name} sets {key} in plain text"
        assert key not in tf.variables
    assert "google_secret_manager_secret_version" not in tf.resources


def test_each_function_reads_exactly_the_secrets_mounted_on_it(tf: Terraform) -> None:
    reads = tf.resource("google_secret_manager_secret_iam_member", "reads")
    assert reads["for_each"] == parsed(
        "merge([for name, keys in local.secret_env :"
        ' {for key in keys : "${name}/${key}" => {function = name, secret = key}}]...)'
    )
    assert (
        reads["secret_id"] == "${google_secret_manager_secret.setting[each.value.secret].secret_id}"
    )
    assert reads["member"] == "${local.members[each.value.function]}"
    assert reads["role"] == "roles/secretmanager.secretAccessor"
    # A revision whose identity cannot read a secret it references does not start.
    service = tf.resource("google_cloud_run_v2_service", "function")
    assert "${google_secret_manager_secret_iam_member.reads}" in service["depends_on"]


def test_each_function_gets_only_the_secrets_it_uses(infra: Infra) -> None:
    # The defaults need none: offline providers, no platform, no webhook secret.
    assert all(service.secret_env == () for service in infra.services.values())
    chosen = {
        "trend_sources": ["bundled", "youtube"],
        "analyzer": "gemini",
        "tts": "google",
        "publish_platforms": ["youtube"],
        "youtube_client_id": "1234-abc.apps.googleusercontent.com",
        "webhook_secret_enabled": True,
    }
    deployment = dataclasses.replace(DEFAULT, variables=chosen)
    providers = (
        "TRENDREEL_GEMINI_API_KEY",
        "TRENDREEL_GOOGLE_TTS_API_KEY",
        "TRENDREEL_YOUTUBE_API_KEY",
    )
    youtube = ("TRENDREEL_YOUTUBE_ACCOUNT", "TRENDREEL_YOUTUBE_CLIENT_SECRET")
    expected = {stage: providers for stage in STAGES} | {
        "publish": youtube,
        "metrics": youtube,
        "webhooks": ("TRENDREEL_WEBHOOK_SECRET",),  # signs with it
        "api": ("TRENDREEL_WEBHOOK_SECRET",),  # refuses a config webhook_url without one
        "sweeper": (),
    }
    assert {name: s.secret_env for name, s in resolve(deployment).services.items()} == expected
    tiktok = resolve(dataclasses.replace(DEFAULT, variables={"publish_platforms": ["tiktok"]}))
    assert tiktok.services["publish"].secret_env == (
        "TRENDREEL_TIKTOK_ACCOUNT",
        "TRENDREEL_TIKTOK_CLIENT_SECRET",
    )


def test_a_platform_is_published_to_only_with_its_oauth_client(tf: Terraform) -> None:
    lifecycle = block(tf.resource("google_cloud_run_v2_service", "function"), "lifecycle")
    conditions = [check["condition"] for check in lifecycle["precondition"]]
    for platform, client in (("youtube", "youtube_client_id"), ("tiktok", "tiktok_client_key")):
        expected = f'${{!contains(var.publish_platforms, "{platform}") || var.{client} != null}}'
        assert expected in conditions, platform
