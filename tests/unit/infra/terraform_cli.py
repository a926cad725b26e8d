"""terraform itself, run offline on a throwaway root module: no provider, local state.

Terraform cannot plan infra/ here (no provider, no project), but expressions that use no
provider (the services module, the locals that pick secrets and grant queues) evaluate exactly
as they will when planning. Tests using this skip where terraform is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.unit.infra.hcl import inner

TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(
    TERRAFORM is None,
    reason="terraform is not on PATH: the resolver is held to infra/'s HCL text only "
    "(test_mirror.py), not to terraform's evaluation of it",
)


class TerraformError(Exception):
    pass


def run(folder: Path, *args: str) -> str:
    """``terraform -chdir=folder ARGS``, isolated from the caller's TF_* settings."""
    assert TERRAFORM is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_VAR_", "TF_DATA_DIR"))}
    config = folder / "terraformrc"
    config.touch()
    env |= {"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": str(config)}
    done = subprocess.run(
        [TERRAFORM, f"-chdir={folder}", *args, "-no-color"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise TerraformError(done.stderr or done.stdout)
    return done.stdout


def hcl(value: Any) -> str:
    """A value as python-hcl2 read it, written back as HCL: ``"${expr}"`` is the expression."""
    if isinstance(value, str) and value.startswith("${"):
        return inner(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {hcl(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(hcl(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def evaluate(folder: Path, locals_: dict[str, Any], variables: str = "") -> dict[str, Any]:
    """Every local in ``locals_`` (python-hcl2 values or HCL text in ``${...}``), evaluated by
    terraform apply in ``folder``, by name."""
    body = "\n".join(f"  {name} = {hcl(value)}" for name, value in locals_.items())
    outputs = "\n".join(f'output "{name}" {{\n  value = local.{name}\n}}' for name in locals_)
    (folder / "main.tf").write_text(f"{variables}\nlocals {{\n{body}\n}}\n\n{outputs}\n")
    run(folder, "init", "-input=false")
    run(folder, "apply", "-auto-approve", "-input=false")
    found: dict[str, Any] = json.loads(run(folder, "output", "-json"))
    return {name: output["value"] for name, output in found.items()}
