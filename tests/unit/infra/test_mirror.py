"""The HCL tests/support/cloud_run/infra.py mirrors is the HCL in infra/: change one side
without the other and these fail.

Both sides are compared as python-hcl2 reads them, so formatting does not matter."""

from __future__ import annotations

import re
from typing import Any

from tests.support.cloud_run.infra import (
    MIRRORED,
    REF_VALUES,
    SECRETS,
    TOKEN_IDENTITIES,
    Context,
    Deployment,
    declared_variables,
    resource_name,
    stages,
)
from tests.unit.infra.conftest import DEFAULT
from tests.unit.infra.hcl import Terraform, inner, parsed


def _hcl(tf: Terraform, where: str) -> Any:
    """``local.NAME`` or ``TYPE.NAME.ARGUMENT`` of the root module."""
    if where.startswith("local."):
        return tf.local(where.removeprefix("local."))
    rtype, name, argument = where.split(".")
    return tf.resource(rtype, name)[argument]


def test_each_ref_value_is_the_expression_the_resolver_mirrors(tf: Terraform) -> None:
    values = tf.local("ref_values")
    assert set(values) == set(REF_VALUES)
    for name, (expression, _) in REF_VALUES.items():
        assert values[name] == parsed(expression), name


def test_each_variable_ref_is_the_variable(tf: Terraform) -> None:
    for name, expression in tf.local("ref_variables").items():
        assert name.startswith("var."), name
        assert expression == "${" + name + "}", name
        assert name.removeprefix("var.") in tf.variables, name


def test_the_rest_of_the_mirrored_hcl_is_infras(tf: Terraform) -> None:
    for where, expression in MIRRORED.items():
        assert _hcl(tf, where) == parsed(expression), where


def _used_refs(spec: dict[str, Any]) -> set[str]:
    text = repr(spec)
    return set(re.findall(r"\{'ref': '([^']+)'\}", text))


def test_terraform_gives_every_ref_the_spec_uses(tf: Terraform, spec: dict[str, Any]) -> None:
    merged = inner(tf.local("identities"))
    named = dict(re.findall(r"(\w+) = google_service_account\.(\w+)", merged))
    # One identity per function (the stages' from one resource), and the two that sign tokens.
    functions = [name for name in spec["services"] if name not in stages()]
    assert named == {name: name for name in [*functions, *TOKEN_IDENTITIES]}
    identities = list(named)
    assert merged.endswith(", google_service_account.stage)"), merged
    every_identity = [*identities, *stages()]
    given = (
        set(tf.local("ref_values"))
        | set(tf.local("ref_variables"))
        | {f"{kind}.{name}" for kind in ("service_account", "member") for name in every_identity}
    )
    used = _used_refs(spec)
    assert used
    assert used <= given, f"refs Terraform does not give: {sorted(used - given)}"
    # The resolver gives at least as much.
    assert used <= set(Context.of(DEFAULT).refs)


def test_service_accounts_are_named_as_the_resolver_names_them(tf: Terraform) -> None:
    rendered: dict[str, str] = {}
    for name, body in tf.typed("google_service_account"):
        template = body["account_id"]
        members = stages() if name == "stage" else (name,)
        for identity in members:
            rendered[identity] = template.replace("${var.name_prefix}", "p").replace(
                '${replace(each.key, "_", "-")}', identity.replace("_", "-")
            )
    context = Context.of(DEFAULT)
    assert set(rendered) == set(context.service_accounts)
    for identity, account_id in rendered.items():
        assert account_id == resource_name("p", identity), identity


def test_the_secrets_are_the_ones_services_yaml_groups(spec: dict[str, Any]) -> None:
    grouped = [key for keys in spec["secret_groups"].values() for key in keys]
    assert len(grouped) == len(set(grouped)), "a secret in two groups"
    assert set(SECRETS) == set(grouped)


def test_the_deployment_defaults_are_the_variables_defaults() -> None:
    declared = declared_variables()
    bare = Deployment(project="p", project_number="1", bucket="b")
    for name in ("region", "name_prefix", "firestore_database"):
        assert getattr(bare, name) == declared[name]["default"], name
