"""infra/*.tf, parsed with python-hcl2 and checked against the code it deploys.

Terraform cannot plan here (no provider, no project), so these tests read the configuration as
data and hold it to what the code needs: a service for every function folder, a queue with an
explicit retry policy for every stage, an index for every Firestore query, nothing public,
OIDC on the scheduled call, stage timeouts at least the leases, and only real settings in the
environment, with provider keys coming from Secret Manager.

Expressions stay strings (``"${local.sizes}"``); the few this file resolves (``local.x``,
``toset(local.x)``, and ``{for k in local.x : k => ...}``) are what the configuration uses for
``for_each``. A refactor into another shape fails here loudly rather than passing silently.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import hcl2
import pytest
from pydantic import SecretStr

from tests.unit.adapters.test_firestore_indexes import (
    captured_queries,
    index_serves,
    required_index,
)
from trendreel.lifecycle import STAGE_TIMEOUT_SECONDS
from trendreel.models import Stage
from trendreel.models.content import Script
from trendreel.settings import Settings
from trendreel.stages import keys

ROOT = Path(__file__).resolve().parents[3]
INFRA = ROOT / "infra"
FUNCTIONS = ROOT / "functions"
OPTIONS = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)
FILES = {
    "versions.tf",
    "variables.tf",
    "apis.tf",
    "firestore.tf",
    "storage.tf",
    "tasks.tf",
    "iam.tf",
    "functions.tf",
    "scheduler.tf",
    "secrets.tf",
    "outputs.tf",
}
PUBLIC = ("allUsers", "allAuthenticatedUsers")
API_URL = '${local.function_urls["api"]}'
SWEEPER_URL = '${local.function_urls["sweeper"]}'
STAGES = [stage.value for stage in Stage]
MAX_PREFIX = "a" * 11  # the longest name_prefix variables.tf allows
PROJECT_NUMBER = "1" * 12
CLOUD_RUN_MAX_TIMEOUT = 3600


@dataclass
class Terraform:
    texts: dict[str, str] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def resource(self, rtype: str, name: str) -> dict[str, Any]:
        assert name in self.resources.get(rtype, {}), f"no resource {rtype}.{name}"
        return self.resources[rtype][name]

    def every_resource(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for rtype, named in self.resources.items():
            for name, body in named.items():
                yield rtype, name, body

    def local(self, name: str) -> Any:
        assert name in self.locals, f"no local.{name}"
        return self.locals[name]


def load(folder: Path) -> Terraform:
    tf = Terraform()
    for path in sorted(folder.glob("*.tf")):
        text = path.read_text()
        tf.texts[path.name] = text
        doc = hcl2.loads(text, serialization_options=OPTIONS)
        for block in doc.get("locals", []):
            assert not set(block) & set(tf.locals), f"local declared twice in {path.name}"
            tf.locals.update(block)
        for block in doc.get("variable", []):
            tf.variables.update(block)
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                tf.resources.setdefault(rtype, {}).update(named)
    return tf


@pytest.fixture(scope="module")
def tf() -> Terraform:
    return load(INFRA)


# --- evaluating the few expression shapes for_each uses ----------------------------------------


def inner(value: object) -> str:
    """``${expr}`` -> ``expr``; anything else is not a pure expression."""
    assert isinstance(value, str), value
    assert value.startswith("${"), f"not an expression: {value!r}"
    assert value.endswith("}"), f"not an expression: {value!r}"
    return value[2:-1]


_FOR = re.compile(r"\{for (\w+)(?:, (\w+))? in (local\.\w+) : (\w+) =>")


def keys_of(tf: Terraform, expr: str) -> list[str]:
    """The keys (or set members) a for_each expression yields."""
    expr = expr.strip()
    if expr.startswith("toset(") and expr.endswith(")"):
        expr = expr[len("toset(") : -1]
    if (literal := re.fullmatch(r"\[(.*)\]", expr)) is not None:
        return re.findall(r'"([^"]*)"', literal.group(1))
    assert re.fullmatch(r"local\.\w+", expr), f"unsupported for_each source {expr!r}"
    value = tf.local(expr.removeprefix("local."))
    if isinstance(value, str) and (comprehension := _FOR.match(inner(value))) is not None:
        first, _, source, key = comprehension.groups()
        assert key == first, f"{expr}: keyed by {key}, not by the iterated key or item"
        return keys_of(tf, source)
    if isinstance(value, str):
        return keys_of(tf, inner(value))
    if isinstance(value, dict):
        return list(value)
    assert isinstance(value, list), f"{expr} is neither a map nor a list: {value!r}"
    return [str(v) for v in value]


def for_each_keys(tf: Terraform, body: dict[str, Any]) -> list[str]:
    return keys_of(tf, inner(body["for_each"]))


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The single nested block ``name`` (python-hcl2 gives blocks as one-element lists)."""
    found = body.get(name)
    assert isinstance(found, list), f"no {name} block"
    assert len(found) == 1, f"expected one {name} block, got {found!r}"
    result: dict[str, Any] = found[0]
    return result


def dynamic_blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [entry[name] for entry in body.get("dynamic", []) if name in entry]


def container(tf: Terraform) -> dict[str, Any]:
    service = tf.resource("google_cloud_run_v2_service", "function")
    return block(block(service, "template"), "containers")


def render(template: str, prefix: str, name: str, var: str) -> str:
    """A name template like ``${var.name_prefix}-${replace(x, "_", "-")}`` for one value."""
    expected = f'${{var.name_prefix}}-${{replace({var}, "_", "-")}}'
    assert template == expected, f"name template changed: {template!r}"
    return f"{prefix}-{name.replace('_', '-')}"


def _typed(tf: Terraform, rtype: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    return ((t, n, b) for t, n, b in tf.every_resource() if t == rtype)


def comprehension_template(value: str) -> str:
    match = re.search(r'=> "(.*)"\}$', inner(value))
    assert match is not None, value
    return match.group(1).replace('\\"', '"')


# --- the configuration is complete -------------------------------------------------------------


def test_every_file_parses_and_the_split_is_kept(tf: Terraform) -> None:
    assert set(tf.texts) >= FILES
    assert tf.locals
    assert tf.variables
    assert tf.resources


def test_the_stage_list_is_the_pipeline(tf: Terraform) -> None:
    assert tf.local("stages") == STAGES
    assert set(STAGE_TIMEOUT_SECONDS) == set(Stage)


def test_every_function_folder_has_a_service(tf: Terraform) -> None:
    folders = {p.parent.name for p in FUNCTIONS.glob("*/main.py")}
    assert folders == {"api", "sweeper", *STAGES}
    service = tf.resource("google_cloud_run_v2_service", "function")
    assert inner(service["for_each"]) == "local.sizes"
    assert sorted(for_each_keys(tf, service)) == sorted(folders)
    # Each service runs its own folder's entry point out of the one image.
    env = tf.local("env")
    assert 'FUNCTION_SOURCE = "${var.function_source_dir}/functions/${name}/main.py"' in env
    assert 'FUNCTION_TARGET = "handle"' in env
    for name in folders:
        assert re.search(r"^handle = ", (FUNCTIONS / name / "main.py").read_text(), re.M), name


def test_service_names_and_deterministic_urls_fit(tf: Terraform) -> None:
    template = comprehension_template(tf.local("service_names"))
    urls = inner(tf.local("function_urls"))
    assert "https://${service}-${data.google_project.this.number}.${var.region}.run.app" in urls
    for prefix in ("trendreel", MAX_PREFIX):
        for name in tf.local("default_sizes"):
            service = render(template, prefix, name, "name")
            assert re.fullmatch(r"[a-z][a-z0-9-]{0,47}[a-z0-9]", service), service
            # A deterministic URL exists only when SERVICE-PROJECT_NUMBER fits a DNS label.
            assert len(f"{service}-{PROJECT_NUMBER}") <= 63, service


def test_service_account_ids_fit(tf: Terraform) -> None:
    ids = [body["account_id"] for _, _, body in _typed(tf, "google_service_account")]
    assert len(ids) == 5
    for prefix in ("trendreel", MAX_PREFIX):
        for template in ids:
            for stage in STAGES:
                account = template.replace("${var.name_prefix}", prefix).replace(
                    '${replace(each.key, "_", "-")}', stage.replace("_", "-")
                )
                assert re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", account), account


# --- queues ------------------------------------------------------------------------------------


def test_every_stage_has_a_queue_with_an_explicit_retry_policy(tf: Terraform) -> None:
    queue = tf.resource("google_cloud_tasks_queue", "stage")
    assert sorted(for_each_keys(tf, queue)) == sorted(STAGES)
    retry = block(queue, "retry_config")
    for knob in ("max_attempts", "min_backoff", "max_backoff", "max_doublings"):
        assert retry.get(knob) not in (None, ""), f"retry_config.{knob} is not set"
    limits = block(queue, "rate_limits")
    for knob in ("max_dispatches_per_second", "max_concurrent_dispatches"):
        assert limits.get(knob) not in (None, ""), f"rate_limits.{knob} is not set"


def test_the_queue_and_the_runner_agree_on_the_last_attempt(tf: Terraform) -> None:
    retry = block(tf.resource("google_cloud_tasks_queue", "stage"), "retry_config")
    assert retry["max_attempts"] == "${var.task_max_attempts}"
    env = tf.local("common_env")
    assert env["TRENDREEL_TASK_MAX_ATTEMPTS"] == "${tostring(var.task_max_attempts)}"
    default = tf.variables["task_max_attempts"]["default"]
    assert default == Settings.model_fields["task_max_attempts"].default


def test_queue_names_are_valid_and_the_functions_get_their_prefix(tf: Terraform) -> None:
    template = comprehension_template(tf.local("queue_names"))
    names = {render(template, MAX_PREFIX, stage, "stage") for stage in STAGES}
    assert len(names) == len(STAGES)
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9-]{1,100}", name), name  # Cloud Tasks queue id rules
    assert tf.resource("google_cloud_tasks_queue", "stage")["name"] == "${each.value}"
    # The adapter derives {TRENDREEL_QUEUE_NAME}-{stage with '-' for '_'} (see tasks.tf).
    assert tf.local("common_env")["TRENDREEL_QUEUE_NAME"] == "${var.name_prefix}"


def test_a_stage_may_enqueue_only_into_the_next_stage(tf: Terraform) -> None:
    assert inner(tf.local("next_stage")) == (
        "{for i, stage in local.stages : stage => local.stages[i + 1]"
        " if i + 1 < length(local.stages)}"
    )
    grants = inner(tf.local("queue_grants"))
    comprehensions = re.findall(r"\{for (.+?)\}\}", grants)
    stage_grants = [c for c in comprehensions if "local.stage_members" in c]
    assert stage_grants == [
        'stage, next in local.next_stage : "${stage}/${next}/enqueuer" => {queue = next, '
        'member = local.stage_members[stage], role = "roles/cloudtasks.enqueuer"'
    ]


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
    tf: Terraform, monkeypatch: pytest.MonkeyPatch
) -> None:
    collection = tf.local("jobs_collection")
    assert collection == Settings.model_fields["firestore_collection"].default
    assert tf.local("common_env")["TRENDREEL_FIRESTORE_COLLECTION"] == "${local.jobs_collection}"
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


def _check_variable_members(tf: Terraform, rtype: str, name: str, body: dict[str, Any]) -> None:
    """A member taken from a variable is only safe if the variable rejects public members."""
    source = inner(body.get("for_each", "${}"))
    for var in re.findall(r"var\.(\w+)", source):
        conditions = " ".join(v["condition"] for v in tf.variables[var].get("validation", []))
        for public in PUBLIC:
            assert public in conditions, f"{rtype}.{name}: var.{var} does not reject {public}"


def test_no_iam_member_is_public(tf: Terraform) -> None:
    iam = [r for r in tf.every_resource() if re.search(r"_iam_(member|binding|policy)$", r[0])]
    assert len(iam) >= 10
    for rtype, name, body in iam:
        assert not rtype.endswith("_iam_policy"), f"{rtype}.{name}: authoritative policy"
        for member in _members(body):
            assert not any(p in member for p in PUBLIC), f"{rtype}.{name}: {member}"
            if "each." in member:
                _check_variable_members(tf, rtype, name, body)
    for var, spec in tf.variables.items():
        assert not any(p in json.dumps(spec.get("default")) for p in PUBLIC), var
    assert not any(p in json.dumps(tf.locals) for p in PUBLIC)


def test_only_the_api_may_skip_the_invoker_check_and_only_it_faces_outside(tf: Terraform) -> None:
    service = tf.resource("google_cloud_run_v2_service", "function")
    for rtype, name, body in tf.every_resource():
        if body is not service:
            assert body.get("invoker_iam_disabled") in (None, False), f"{rtype}.{name}"
    # The api may rely on its own auth (it checks every route but /health); stages never.
    assert service["invoker_iam_disabled"] == (
        '${each.key == "api" ? var.api_app_auth_only : false}'
    )
    env = json.dumps(tf.locals)
    for setting in (
        "TRENDREEL_API_AUDIENCE",
        "TRENDREEL_API_ALLOWED_PRINCIPALS",
        "TRENDREEL_API_KEY_HASHES",
    ):
        assert setting in env, f"the api's own auth needs {setting}"
    assert service["ingress"] == (
        '${each.key == "api" ? var.api_ingress : "INGRESS_TRAFFIC_INTERNAL_ONLY"}'
    )


def test_who_may_invoke_which_service(tf: Terraform) -> None:
    tasks = tf.resource("google_cloud_run_v2_service_iam_member", "tasks_invoke_stages")
    assert sorted(for_each_keys(tf, tasks)) == sorted(STAGES)
    assert tasks["member"] == "${local.members.tasks_invoker}"
    scheduler = tf.resource("google_cloud_run_v2_service_iam_member", "scheduler_invokes")
    assert sorted(for_each_keys(tf, scheduler)) == ["api", "sweeper"]
    assert scheduler["member"] == "${local.members.scheduler}"
    for _, name, body in _typed(tf, "google_cloud_run_v2_service_iam_member"):
        assert body["role"] == "roles/run.invoker", name


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

    def deleted(stage: Stage, name: str) -> bool:
        key = f"jobs/20240501T120000-abcd1234/{stage.value}/{name}"
        return key.startswith("jobs/") and any(key.endswith(s) for s in suffixes)

    scenes = Script.model_fields["scenes"].metadata
    most = max(m.max_length for m in scenes if hasattr(m, "max_length"))
    assert int(tf.local("max_scenes")) >= most
    generated = [keys.VOICE_WAV, keys.MUSIC_WAV] + [
        f"visuals/scene_{i:02d}.mp4" for i in range(most)
    ]
    assert all(deleted(Stage.CONTENT_GENERATION, name) for name in generated)
    kept = {
        Stage.TREND_COLLECTION: [keys.TRENDS],
        Stage.TREND_ANALYSIS: [keys.REPORT],
        Stage.CONTENT_GENERATION: [keys.SCRIPT, keys.VOICE, keys.VISUALS, keys.MUSIC],
        Stage.COMPOSITION: [keys.VIDEO, keys.THUMBNAIL, keys.CAPTIONS],
        Stage.REVIEW: [keys.QC, keys.MANIFEST],
    }
    for stage, names in kept.items():
        assert not any(deleted(stage, name) for name in names), stage


# --- the scheduled call ------------------------------------------------------------------------


def test_the_scheduler_posts_json_to_generate_with_an_oidc_token_for_the_api(
    tf: Terraform,
) -> None:
    target = block(tf.resource("google_cloud_scheduler_job", "generate"), "http_target")
    assert target["http_method"] == "POST"
    assert target["uri"] == f"{API_URL}/generate"
    assert target["headers"] == {"Content-Type": "application/json"}
    assert target["body"] == "${base64encode(var.generate_body)}"
    json.loads(tf.variables["generate_body"]["default"])
    assert "oauth_token" not in target
    token = block(target, "oidc_token")
    assert token["audience"] == API_URL
    assert token["service_account_email"] == "${google_service_account.scheduler.email}"
    # The api checks the same audience, and lets the scheduler's identity in.
    api_env = tf.local("api_env")
    assert api_env["TRENDREEL_API_AUDIENCE"] == API_URL
    assert "google_service_account.scheduler.email" in api_env["TRENDREEL_API_ALLOWED_PRINCIPALS"]


def test_the_sweeper_is_scheduled_with_its_own_audience(tf: Terraform) -> None:
    target = block(tf.resource("google_cloud_scheduler_job", "sweeper"), "http_target")
    assert target["http_method"] == "POST"
    assert target["uri"] == f"{SWEEPER_URL}/"
    assert block(target, "oidc_token")["audience"] == SWEEPER_URL


# --- sizes and timeouts ------------------------------------------------------------------------


def test_each_stage_may_run_as_long_as_its_lease(tf: Terraform) -> None:
    service = tf.resource("google_cloud_run_v2_service", "function")
    assert block(service, "template")["timeout"] == "${each.value.timeout_seconds}s"
    # Overrides cannot shorten a timeout: the variable has no such attribute.
    assert "timeout" not in json.dumps(tf.variables["function_sizes"]["type"])
    sizes = tf.local("default_sizes")
    for stage, lease in STAGE_TIMEOUT_SECONDS.items():
        timeout = sizes[stage.value]["timeout_seconds"]
        assert lease <= timeout <= CLOUD_RUN_MAX_TIMEOUT, stage


def _bytes(quantity: str) -> int:
    match = re.fullmatch(r"(\d+)(Mi|Gi)", quantity)
    assert match is not None, quantity
    return int(match.group(1)) * {"Mi": 2**20, "Gi": 2**30}[match.group(2)]


def test_composition_is_sized_for_its_benchmark(tf: Terraform) -> None:
    composition = tf.local("default_sizes")["composition"]
    peak = 450 * 10**6  # README "Performance": Python + ffmpeg encoder
    assert _bytes(composition["memory"]) >= 4 * peak  # /tmp (the mp4, the inputs) is memory too
    assert float(composition["cpu"]) >= 2
    assert composition["concurrency"] == 1


# --- environment and secrets -------------------------------------------------------------------


def test_every_trendreel_variable_is_a_setting(tf: Terraform) -> None:
    names = {n for text in tf.texts.values() for n in re.findall(r"\bTRENDREEL_([A-Z0-9_]+)", text)}
    assert "BACKEND" in names
    unknown = sorted(n for n in names if n.lower() not in Settings.model_fields)
    assert unknown == [], f"not fields of trendreel.settings.Settings: {unknown}"


def test_literal_settings_are_valid(tf: Terraform) -> None:
    env = {**tf.local("common_env"), **tf.local("api_env")}
    literals = {
        name.removeprefix("TRENDREEL_").lower(): value
        for name, value in env.items()
        if name.startswith("TRENDREEL_") and "${" not in value
    }
    assert literals["backend"] == "gcp"
    Settings.model_validate(literals)


def _secret_fields() -> set[str]:
    def secret(annotation: object) -> bool:
        if get_origin(annotation) in (Union, types.UnionType):
            return SecretStr in get_args(annotation)
        return annotation is SecretStr

    fields = {name for name, f in Settings.model_fields.items() if secret(f.annotation)}
    return fields - {"api_token"}  # the local-mode token; the gcp api uses ID tokens and key hashes


def test_every_provider_key_has_a_secret(tf: Terraform) -> None:
    provider_keys = _secret_fields()
    assert {"gemini_api_key", "pexels_api_key"} <= provider_keys
    assert set(keys_of(tf, "local.provider_secrets")) == provider_keys
    secret = tf.resource("google_secret_manager_secret", "provider")
    assert inner(secret["for_each"]) == "local.provider_secrets"
    in_use = inner(tf.local("provider_secrets_in_use"))
    for key in provider_keys:
        assert f'"{key}"' in in_use, f"{key} is never wired to the stages"


def test_provider_keys_reach_the_stages_only_from_secret_manager(tf: Terraform) -> None:
    provider_keys = _secret_fields()
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
    assert ref["secret"] == "${google_secret_manager_secret.provider[env.value].secret_id}"
    assert inner(from_secrets[0]["for_each"]) == "toset(local.secret_env[each.key])"
    # Never a plain value: no literal env name, no variable, no secret value in the state.
    for key in provider_keys:
        for name, text in tf.texts.items():
            assert f"TRENDREEL_{key.upper()}" not in text, f"{name} sets {key} in plain text"
        assert key not in tf.variables
    assert "google_secret_manager_secret_version" not in tf.resources
