"""cloudbuild.yaml and the Dockerfile, read as data and held to what a safe deploy needs.

Cloud Build cannot run here, so the build is checked as a graph: a step without ``waitFor``
waits for every step before it, ``waitFor: ['-']`` starts at once, otherwise it waits for the
listed steps. On that graph: the first step is the README's test command and nothing starts
before it passes; every folder under functions/ is rolled out, with its traffic sent to the new
revision; Terraform (which owns the Firestore indexes) applies before any function gets the new
image; what served before is recorded before Terraform or a rollout can change it; the deploy
gate is the last step, after every rollout: ``/health``, then one real 5-second job that must
reach ``completed``, and on any failure every function routed back to what was recorded. Names
are checked against infra/ so a rename on either side fails here, not in production.

Each check is a function returning the problems it finds, and the last tests feed it the real
files with one realistic mistake each, so a check that could never fail is caught too. The
recording and the gate are also run as they are written (bash, curl, python3) against a fake api
and a fake gcloud, so their behaviour is checked, not only their text.
"""

from __future__ import annotations

import copy
import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from trendreel.config import validate_config
from trendreel.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
CLOUDBUILD = ROOT / "cloudbuild.yaml"
DOCKERFILE = ROOT / "infra" / "Dockerfile"
README = ROOT / "README.md"
FUNCTIONS = ROOT / "functions"
INFRA = ROOT / "infra"

#: Substitutions Cloud Build provides itself (everything else must be declared, with a '_').
BUILTINS = {
    "PROJECT_ID",
    "PROJECT_NUMBER",
    "BUILD_ID",
    "LOCATION",
    "TRIGGER_NAME",
    "COMMIT_SHA",
    "REVISION_ID",
    "SHORT_SHA",
    "REPO_NAME",
    "REPO_FULL_NAME",
    "BRANCH_NAME",
    "TAG_NAME",
    "REF_NAME",
    "TRIGGER_BUILD_CONFIG_PATH",
    "SERVICE_ACCOUNT_EMAIL",
    "SERVICE_ACCOUNT",
}
_DEPLOY = re.compile(r"gcloud\s+run\s+(?:services\s+update|deploy)\s+(?P<service>[^\s\\]+)")
_TERRAFORM_APPLY = re.compile(r"terraform\s+(?:-chdir=\S+\s+)?apply\b")
_DESCRIBE = re.compile(r"gcloud\s+run\s+services\s+describe\b")
_UPDATE_TRAFFIC = re.compile(r"gcloud\s+run\s+services\s+update-traffic\s+(?P<service>[^\s\\]+)")
_POST_GENERATE = re.compile(r"[\"']POST[\"'],\s*[\"']/generate[\"']")
#: Where the recording step leaves what served before this build, and the rollouts their markers.
REVISIONS = "/workspace/revisions.txt"
ROLLOUT_MARKERS = "/workspace/rollout/"
#: The gate's whole job, POST /generate to `completed`, must be bounded by this (seconds).
GATE_TIME_LIMIT = 15 * 60

Build = dict[str, Any]
Step = dict[str, Any]


# -- reading ------------------------------------------------------------------------------------


def load_build() -> Build:
    build = yaml.safe_load(CLOUDBUILD.read_text("utf-8"))
    assert isinstance(build, dict), "cloudbuild.yaml is not a mapping"
    assert build.get("steps"), "cloudbuild.yaml has no steps"
    return build


def step_ids(build: Build) -> list[str]:
    return [str(step.get("id", f"#{i}")) for i, step in enumerate(build["steps"])]


def script(step: Step) -> str:
    """What the step runs: its ``script``, else its entrypoint and args (continuations joined)."""
    text = step.get("script") or "\n".join(
        [str(step.get("entrypoint", ""))] + [str(arg) for arg in step.get("args", [])]
    )
    return re.sub(r"\\\n\s*", " ", text)


def script_lines(step: Step) -> list[str]:
    return [line.strip() for line in script(step).splitlines() if line.strip()]


def direct_dependencies(build: Build) -> dict[str, set[str]]:
    """Cloud Build's rule: no waitFor = every earlier step; ['-'] = none; else the listed ids."""
    ids = step_ids(build)
    deps: dict[str, set[str]] = {}
    for i, step in enumerate(build["steps"]):
        wait_for = step.get("waitFor")
        if wait_for is None:
            deps[ids[i]] = set(ids[:i])
        elif wait_for == ["-"]:
            deps[ids[i]] = set()
        else:
            deps[ids[i]] = {str(w) for w in wait_for}
    return deps


def ancestors(build: Build, step_id: str) -> set[str]:
    deps = direct_dependencies(build)
    seen: set[str] = set()
    todo = list(deps[step_id])
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(deps.get(current, ()))
    return seen


def resolve(build: Build, text: str) -> str:
    """``text`` with the declared substitutions' defaults filled in."""
    for name, value in (build.get("substitutions") or {}).items():
        text = text.replace("${" + name + "}", str(value)).replace("$" + name, str(value))
    return text


def function_names() -> list[str]:
    return sorted(p.parent.name for p in FUNCTIONS.glob("*/main.py"))


def service_name(prefix: str, function: str) -> str:
    """infra/functions.tf: "${var.name_prefix}-${replace(name, "_", "-")}"."""
    return f"{prefix}-{function.replace('_', '-')}"


def deploy_steps(build: Build) -> dict[str, str]:
    """step id -> Cloud Run service it rolls an image out to."""
    found: dict[str, str] = {}
    for step_id, step in zip(step_ids(build), build["steps"], strict=True):
        text = script(step)
        match = _DEPLOY.search(text)
        if match and "--image" in text:
            found[step_id] = resolve(build, match["service"])
    return found


def terraform_variable_default(name: str) -> str:
    text = (INFRA / "variables.tf").read_text("utf-8")
    block = re.search(r'variable\s+"' + re.escape(name) + r'"\s*\{(.*?)\n\}', text, re.S)
    assert block, f"infra/variables.tf declares no variable {name!r}"
    default = re.search(r'^\s*default\s*=\s*"([^"]*)"', block.group(1), re.M)
    assert default, f"variable {name!r} in infra/variables.tf has no string default"
    return default.group(1)


def readme_test_command() -> list[str]:
    """The lines of the README code block that runs pytest (the project's test command)."""
    text = README.read_text("utf-8")
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S)
    commands = [block for block in blocks if "pytest" in block]
    assert commands, "README.md has no code block that runs pytest"
    lines = [line.strip() for line in commands[0].splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


# -- checks (each returns what is wrong) ---------------------------------------------------------


def gate_problems(build: Build, command: list[str]) -> list[str]:
    """The first step runs the test command as its last lines; every other step waits for it."""
    problems: list[str] = []
    first, *_ = build["steps"]
    test_id = step_ids(build)[0]
    lines = script_lines(first)
    # Last, because `a && b && c` under `bash -e` does not stop the script when a or b fails:
    # only the script's exit status (its last command's) can fail the step.
    if lines[-len(command) :] != command:
        problems.append(f"step {test_id!r} does not end with the README test command {command}")
    for step_id in step_ids(build)[1:]:
        if test_id not in ancestors(build, step_id):
            problems.append(f"step {step_id!r} can start before the tests pass ({test_id!r})")
    return problems


def undeployed_functions(build: Build, functions: list[str]) -> list[str]:
    prefix = str(build["substitutions"]["_PREFIX"])
    services = set(deploy_steps(build).values())
    return [f for f in functions if service_name(prefix, f) not in services]


def rollout_problems(build: Build) -> list[str]:
    """Each rollout uses the pushed image, after terraform apply (indexes first)."""
    problems: list[str] = []
    applies = [
        i for i, step in zip(step_ids(build), build["steps"], strict=True)
        if _TERRAFORM_APPLY.search(script(step))
    ]  # fmt: skip
    if not applies:
        problems.append("no step runs terraform apply (it owns the Firestore indexes)")
    pushes = [
        i for i, step in zip(step_ids(build), build["steps"], strict=True)
        if re.search(r"docker\s+push\b", script(step))
    ]  # fmt: skip
    if not pushes:
        problems.append("no step pushes the image")
    for step_id in deploy_steps(build):
        before = ancestors(build, step_id)
        for needed in applies + pushes:
            if needed not in before:
                problems.append(f"{step_id!r} does not wait for {needed!r}")
    return problems


def smoke_problems(build: Build) -> list[str]:
    smoke = [
        i for i, step in zip(step_ids(build), build["steps"], strict=True)
        if "/health" in script(step) and re.search(r"\b(curl|wget)\b", script(step))
    ]  # fmt: skip
    if not smoke:
        return ["no step calls GET /health"]
    problems: list[str] = []
    for step_id in smoke:
        missing = sorted(set(deploy_steps(build)) - ancestors(build, step_id))
        if missing:
            problems.append(f"smoke test {step_id!r} can run before {missing}")
    return problems


def _references(text: str) -> list[str]:
    """Substitution references in ``text``: $NAME and ${...}; $$ is a literal dollar."""
    found: list[str] = []
    for match in re.finditer(r"\$(\$|\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)", text):
        token = match.group(1)
        if token != "$":
            found.append(token.strip("{}"))
    return found


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def substitution_problems(build: Build) -> list[str]:
    """Cloud Build rejects a build that names an unknown substitution, and a shell variable
    written $VAR instead of $$VAR is one."""
    declared = build.get("substitutions") or {}
    problems = [f"substitution {n!r} must start with '_'" for n in declared if n[:1] != "_"]
    used: set[str] = set()
    for text in _strings([build["steps"], build.get("images", []), list(declared.values())]):
        for name in _references(text):
            used.add(name)
            if name not in BUILTINS and name not in declared:
                problems.append(f"${name} is not a substitution (a shell variable needs $$)")
    problems += [f"substitution {n!r} is never used" for n in declared if n not in used]
    return problems


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", dockerfile)
    found = []
    for raw in joined.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def _copy_parts(args: str) -> list[str]:
    parts = json.loads(args) if args.startswith("[") else shlex.split(args)
    return [p for p in parts if not p.startswith("--")]


Instruction = tuple[str, str]  # (KEYWORD, the rest of the line)


def _install_problems(final: list[Instruction], everything: str) -> list[str]:
    installs = [
        rest for keyword, rest in final
        if keyword == "RUN" and re.search(r"pip3?\s+install\b[^&;|]*(\.whl|\s\.(\[|\s|$))", rest)
    ]  # fmt: skip
    if not installs:
        return ["the final stage does not pip install the package (a wheel or `.`)"]
    problems: list[str] = []
    if any(re.search(r"\s(-e|--editable)\b", rest) for rest in installs):
        problems.append("the package is installed editable: shared/ would be needed at run time")
    builds_wheel = re.search(r"pip3?\s+wheel\b|python3?\s+-m\s+build\b", everything)
    if any(".whl" in rest for rest in installs) and not builds_wheel:
        problems.append("a wheel is installed but no stage builds it from this repository")
    return problems


def _layout_problems(final: list[Instruction], source_dir: str) -> list[str]:
    problems: list[str] = []
    workdir = "/"
    copies_functions = False
    for keyword, rest in final:
        if keyword == "WORKDIR":
            workdir = posixpath.join(workdir, rest)
        elif keyword == "COPY" and not rest.startswith("--from"):
            *sources, dest = _copy_parts(rest)
            names = {posixpath.normpath(s).split("/")[0] for s in sources}
            target = posixpath.normpath(posixpath.join(workdir, dest))
            if "shared" in names:
                problems.append("the final stage copies shared/: trendreel must come installed")
            copies_functions |= "functions" in names and target == f"{source_dir}/functions"
        elif keyword == "ENV" and re.search(r"PYTHONPATH\S*shared", rest):
            problems.append("PYTHONPATH points at shared/: trendreel must come installed")
    if not copies_functions:
        problems.append(f"functions/ is not copied to {source_dir}/functions (FUNCTION_SOURCE)")
    return problems


def _entry_problems(final: list[Instruction]) -> list[str]:
    command = " ".join(rest for keyword, rest in final if keyword in {"CMD", "ENTRYPOINT"})
    env = " ".join(rest for keyword, rest in final if keyword == "ENV")
    problems: list[str] = []
    if "functions-framework" not in command:
        problems.append("the image does not start functions-framework")
    if not re.search(r"--target[ =]\S*handle", command) and "FUNCTION_TARGET=handle" not in env:
        problems.append("the entry point is not target `handle`")
    return problems


def dockerfile_problems(dockerfile: str, source_dir: str) -> list[str]:
    """The final stage installs the package (from a wheel or `.`, not editable), does not run it
    from a copy of shared/, has functions/ at {source_dir}/functions (where infra/ points
    FUNCTION_SOURCE) and runs functions-framework with target handle."""
    instructions = _instructions(dockerfile)
    starts = [i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    if not starts:
        return ["the Dockerfile has no FROM"]
    final = instructions[starts[-1] :]
    everything = " ".join(rest for _, rest in instructions)
    return (
        _install_problems(final, everything)
        + _layout_problems(final, source_dir)
        + _entry_problems(final)
    )


# -- the deploy gate ------------------------------------------------------------------------------


def steps_by_id(build: Build) -> list[tuple[str, Step]]:
    return list(zip(step_ids(build), build["steps"], strict=True))


def expected_services(build: Build) -> list[str]:
    prefix = str(build["substitutions"]["_PREFIX"])
    return [service_name(prefix, f) for f in function_names()]


def _names(service: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(service)}(?![\w-])", text) is not None


def step_env(step: Step) -> dict[str, str]:
    pairs = (str(item).partition("=") for item in step.get("env", []))
    return {name: value for name, _, value in pairs}


def logging_problems(build: Build) -> list[str]:
    """A build that runs as a user-specified service account fails before its first step unless
    its logs go to Cloud Logging or to a user-created bucket."""
    options = build.get("options") or {}
    if options.get("logging") == "CLOUD_LOGGING_ONLY" or build.get("logsBucket"):
        return []
    return ["options.logging is not CLOUD_LOGGING_ONLY and the build names no logsBucket"]


def recorders(build: Build) -> list[str]:
    """Steps that describe services into REVISIONS."""
    writes = re.compile(r">>?\s*" + re.escape(REVISIONS))
    return [
        i for i, step in steps_by_id(build)
        if writes.search(script(step)) and _DESCRIBE.search(script(step))
    ]  # fmt: skip


def record_problems(build: Build) -> list[str]:
    """One step writes what serves every service (its traffic) to REVISIONS, before terraform
    apply (which makes a revision when a service's configuration changes) and every rollout."""
    found = recorders(build)
    if len(found) != 1:
        return [f"{len(found)} steps record the serving revisions in {REVISIONS}, not one"]
    recorder = found[0]
    text = resolve(build, script(_step(build, recorder)))
    problems = [
        f"{recorder!r} does not record {service}"
        for service in expected_services(build)
        if not _names(service, text)
    ]
    if "traffic" not in text:
        problems.append(f"{recorder!r} does not read the services' traffic")
    applies = [i for i, step in steps_by_id(build) if _TERRAFORM_APPLY.search(script(step))]
    for step_id in [*applies, *deploy_steps(build)]:
        if recorder not in ancestors(build, step_id):
            problems.append(f"{step_id!r} can change what serves before {recorder!r} records it")
    return problems


def _line(lines: list[str], found: Callable[[str], bool]) -> int:
    return next((n for n, line in enumerate(lines) if found(line)), -1)


def _sends_traffic_to_latest(service: str) -> Callable[[str], bool]:
    def found(line: str) -> bool:
        return "--to-latest" in line and any(
            m["service"] == service for m in _UPDATE_TRAFFIC.finditer(line)
        )

    return found


def _leaves_marker(service: str) -> Callable[[str], bool]:
    def found(line: str) -> bool:
        return ROLLOUT_MARKERS + service in line

    return found


def traffic_problems(build: Build) -> list[str]:
    """Each rollout updates the image, then sends all traffic to the latest revision (traffic
    pinned by an earlier rollback would keep the new revision idle, and the gate would test the
    old one), then leaves its marker for the gate."""
    problems: list[str] = []
    for step_id, service in deploy_steps(build).items():
        lines = resolve(build, script(_step(build, step_id))).splitlines()
        image = _line(lines, lambda line: bool(_DEPLOY.search(line)) and "--image" in line)
        latest = _line(lines, _sends_traffic_to_latest(service))
        marker = _line(lines, _leaves_marker(service))
        if not image < latest:
            problems.append(f"{step_id!r} does not send {service}'s traffic to the new revision")
        if not latest < marker:
            problems.append(f"{step_id!r} leaves no marker {ROLLOUT_MARKERS}{service} at its end")
    return problems


def gate_config_problems(path: Path) -> list[str]:
    """The gate's config: JSON, a complete theme config, a 5-second video."""
    try:
        config = validate_config(json.loads(path.read_text("utf-8")), source=str(path))
    except (OSError, ValueError, ConfigError) as exc:
        return [f"the gate's config is not a theme config: {exc}"]
    seconds = config.config.video_duration_seconds
    return [] if seconds == 5 else [f"the gate's video lasts {seconds} s, not 5"]


def _gate_job_problems(step: Step) -> list[str]:
    """The job: the config file, a bounded wait for `completed`, a failure on `failed`, one job
    per build (Idempotency-Key from $BUILD_ID), an ID token for the api URL."""
    env, text = step_env(step), script(step)
    problems = gate_config_problems(ROOT / env.get("GATE_CONFIG", "(no GATE_CONFIG)"))
    limit = env.get("GATE_TIMEOUT_SECONDS", "")
    if not (limit.isdigit() and 0 < int(limit) <= GATE_TIME_LIMIT):
        problems.append(f"GATE_TIMEOUT_SECONDS={limit!r}: the job must be bounded by 15 min")
    if '"completed"' not in text or '"failed"' not in text:
        problems.append("the gate does not wait for `completed` and stop at `failed`")
    if "Idempotency-Key" not in text or not re.search(r"=\S*\$\{?BUILD_ID\b", text):
        problems.append("the gate's job has no Idempotency-Key derived from $BUILD_ID")
    if not re.search(r"print-identity-token\s+--audiences=\S*API_URL", text):
        problems.append("the gate calls the api without an ID token for its URL")
    elif "--token-format=full" not in text:
        problems.append("the gate's ID token lacks the email claim the api allow-lists")
    return problems


def _gate_flow_problems(text: str) -> list[str]:
    """/health first (fast failure); every failure, rollout missing included, routes every
    function back to what the recorder wrote."""
    problems: list[str] = []
    health, generate = text.find("/health"), text.find("/generate")
    if not 0 <= health < generate:
        problems.append("the gate does not check GET /health before the job")
    for what, found in (("/health", "/health"), ("the job", "python3 -")):
        line = next((line for line in text.splitlines() if found in line), "")
        if not re.search(r"\|\|\s*fail\b", line):
            problems.append(f"a failure of {what} does not fail the gate and roll back")
    if ROLLOUT_MARKERS not in text:
        problems.append("the gate does not check that every rollout finished")
    rolls_back = any(
        _UPDATE_TRAFFIC.search(line) and "--to-revisions" in line for line in text.splitlines()
    )
    if REVISIONS not in text or not rolls_back:
        problems.append(f"the gate does not route traffic back to the revisions in {REVISIONS}")
    return problems


def deploy_gate_problems(build: Build) -> list[str]:
    gates = [i for i, step in steps_by_id(build) if _POST_GENERATE.search(script(step))]
    if len(gates) != 1:
        return [f"{len(gates)} steps POST /generate: there must be one deploy gate"]
    gate = gates[0]
    problems: list[str] = []
    if gate != step_ids(build)[-1]:
        problems.append(f"the deploy gate {gate!r} is not the last step")
    missing = sorted(set(deploy_steps(build)) - ancestors(build, gate))
    if missing:
        problems.append(f"the deploy gate {gate!r} can run before {missing}")
    step = _step(build, gate)
    return problems + _gate_job_problems(step) + _gate_flow_problems(script(step))


# -- the real files --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def build() -> Build:
    return load_build()


def test_the_first_step_is_the_readme_test_command_on_python_311(build: Build) -> None:
    first = build["steps"][0]
    assert str(first["name"]).startswith("python:3.11"), first["name"]
    assert '".[dev]"' in script(first) or "'.[dev]'" in script(first), "install .[dev]"
    assert gate_problems(build, readme_test_command()) == []


def test_the_gate_runs_the_emulator_tests_instead_of_skipping_them(build: Build) -> None:
    first = build["steps"][0]
    assert "TRENDREEL_REQUIRE_EMULATORS=1" in first.get("env", [])
    assert re.search(r"openjdk-\d+-jre|default-jre", script(first)), "Java for Firestore"
    assert "firestore-emulator" in script(first)


def test_nothing_reaches_google_cloud_before_the_tests_pass(build: Build) -> None:
    assert len(set(step_ids(build))) == len(build["steps"]), "step ids must be unique"
    ids = step_ids(build)
    for step_id, deps in direct_dependencies(build).items():
        unknown = deps - set(ids[: ids.index(step_id)])
        assert not unknown, f"{step_id!r} waits for unknown or later steps {unknown}"
    assert gate_problems(build, readme_test_command()) == []


def test_every_function_folder_is_rolled_out(build: Build) -> None:
    assert len(function_names()) == 10, function_names()
    assert undeployed_functions(build, function_names()) == []
    prefix = build["substitutions"]["_PREFIX"]
    expected = {service_name(prefix, f) for f in function_names()}
    assert set(deploy_steps(build).values()) == expected, "a rollout to an unknown service"


def test_rollouts_use_the_pushed_digest_after_terraform_apply(build: Build) -> None:
    assert rollout_problems(build) == []
    for step_id in deploy_steps(build):
        step = build["steps"][step_ids(build).index(step_id)]
        assert "/workspace/image.ref" in script(step), f"{step_id} must deploy the pushed digest"


def test_the_smoke_test_calls_health_after_every_rollout(build: Build) -> None:
    assert smoke_problems(build) == []


def test_every_substitution_is_declared_and_shell_variables_are_escaped(build: Build) -> None:
    assert substitution_problems(build) == []
    for key in ("_REGION", "_REPO", "_PREFIX"):
        assert build["substitutions"].get(key), f"substitution {key} missing"


def test_names_match_infra(build: Build) -> None:
    subs = build["substitutions"]
    assert subs["_PREFIX"] == terraform_variable_default("name_prefix")
    assert subs["_REGION"] == terraform_variable_default("region")
    functions_tf = (INFRA / "functions.tf").read_text("utf-8")
    # The Artifact Registry repository is named after the prefix, services after prefix-function.
    assert re.search(r"repository_id\s*=\s*var\.name_prefix\b", functions_tf)
    assert subs["_REPO"] == subs["_PREFIX"]
    assert '"${var.name_prefix}-${replace(name, "_", "-")}"' in functions_tf
    # The smoke test calls the api's deterministic URL, the one infra/ builds.
    assert "https://${service}-${data.google_project.this.number}.${var.region}.run.app" in (
        functions_tf
    )
    smoke = next(s for s in build["steps"] if "/health" in script(s))
    assert "https://${_PREFIX}-api-$PROJECT_NUMBER.${_REGION}.run.app" in script(smoke)


def test_build_logs_go_to_cloud_logging(build: Build) -> None:
    assert build["options"]["logging"] == "CLOUD_LOGGING_ONLY"
    assert logging_problems(build) == []


def test_what_serves_is_recorded_before_terraform_and_every_rollout(build: Build) -> None:
    assert record_problems(build) == []


def test_every_rollout_sends_traffic_to_the_new_revision(build: Build) -> None:
    assert traffic_problems(build) == []


def test_the_deploy_gate_runs_one_real_job_last_and_rolls_back_on_failure(build: Build) -> None:
    assert deploy_gate_problems(build) == []
    # A rollout may fail without stopping the build only because the gate then rolls back.
    allowed = {i for i, step in steps_by_id(build) if step.get("allowFailure")}
    assert allowed <= set(deploy_steps(build)), allowed


def test_the_dockerfile_installs_the_package_and_copies_functions(build: Build) -> None:
    builds_image = any(re.search(r"docker\s+build\b", script(s)) for s in build["steps"])
    assert builds_image, "no step builds the image"
    assert DOCKERFILE.is_file(), "the build step builds from infra/Dockerfile"
    source_dir = terraform_variable_default("function_source_dir")
    assert dockerfile_problems(DOCKERFILE.read_text("utf-8"), source_dir) == []


# -- the checks catch realistic mistakes -----------------------------------------------------------


def _step(build: Build, step_id: str) -> Step:
    step: Step = build["steps"][step_ids(build).index(step_id)]
    return step


def _first_deploy(build: Build) -> str:
    return next(iter(deploy_steps(build)))


def _no_wait(build: Build) -> None:
    _step(build, _first_deploy(build))["waitFor"] = ["-"]


def _deploy_first(build: Build) -> None:
    step = _step(build, _first_deploy(build))
    build["steps"].remove(step)
    step.pop("waitFor", None)
    build["steps"].insert(0, step)


def _parallel_build(build: Build) -> None:
    _step(build, "build")["waitFor"] = ["-"]


def _masked_failure(build: Build) -> None:
    first = build["steps"][0]
    first["args"][-1] = first["args"][-1] + "echo tests done\n"


@pytest.mark.parametrize(
    "mistake", [_no_wait, _deploy_first, _parallel_build, _masked_failure], ids=lambda f: f.__name__
)
def test_the_gate_check_fails_on(build: Build, mistake: Any) -> None:
    broken = copy.deepcopy(build)
    mistake(broken)
    assert gate_problems(broken, readme_test_command())


def test_the_rollout_check_fails_when_a_function_is_left_out(build: Build) -> None:
    broken = copy.deepcopy(build)
    composition = next(s for s, svc in deploy_steps(broken).items() if svc.endswith("composition"))
    broken["steps"].remove(_step(broken, composition))
    assert undeployed_functions(broken, function_names()) == ["composition"]
    assert undeployed_functions(build, [*function_names(), "thumbnails"]) == ["thumbnails"]


def test_the_rollout_check_fails_when_terraform_comes_after_a_rollout(build: Build) -> None:
    broken = copy.deepcopy(build)
    _step(broken, _first_deploy(broken))["waitFor"] = ["push"]
    assert rollout_problems(broken)


def test_the_smoke_check_fails_when_it_can_run_before_a_rollout(build: Build) -> None:
    broken = copy.deepcopy(build)
    smoke = next(s for s in broken["steps"] if "/health" in script(s))
    smoke["waitFor"] = [smoke["waitFor"][0]]
    assert smoke_problems(broken)
    broken["steps"].remove(smoke)
    assert smoke_problems(broken) == ["no step calls GET /health"]


def test_the_substitution_check_fails_on_an_unescaped_shell_variable(build: Build) -> None:
    broken = copy.deepcopy(build)
    step = _step(broken, "gate")
    step["args"][-1] = step["args"][-1].replace('"$$API_URL/health"', '"$API_URL/health"', 1)
    assert substitution_problems(broken) == [
        "$API_URL is not a substitution (a shell variable needs $$)"
    ]


@pytest.mark.parametrize(
    ("dockerfile", "expected"),
    [
        (
            "FROM python:3.11-slim\nWORKDIR /app\nCOPY shared ./shared\n"
            "COPY functions ./functions\nENV PYTHONPATH=/app/shared FUNCTION_TARGET=handle\n"
            "CMD functions-framework\n",
            "does not pip install",
        ),
        (
            "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -e .\n"
            "COPY functions ./functions\nCMD functions-framework --target handle\n",
            "editable",
        ),
        (
            "FROM python:3.11-slim\nCOPY . /src\nRUN pip install /src/dist/x.whl\n"
            "COPY functions /app/functions\nCMD functions-framework --target handle\n",
            "no stage builds it",
        ),
        (
            "FROM python:3.11-slim\nCOPY . /src\nRUN pip install /src\nWORKDIR /srv\n"
            "COPY functions ./functions\nCMD functions-framework --target handle\n",
            "not copied to /app/functions",
        ),
        (
            "FROM python:3.11-slim\nWORKDIR /app\nCOPY pyproject.toml README.md ./\n"
            "COPY shared ./shared\nRUN pip install . \\\n && true\nCOPY functions ./functions\n"
            "CMD functions-framework --target handle\n",
            "copies shared/",
        ),
    ],
    ids=["only-copies-shared", "editable", "foreign-wheel", "wrong-folder", "ships-shared"],
)
def test_the_dockerfile_check_fails_on(dockerfile: str, expected: str) -> None:
    problems = dockerfile_problems(dockerfile, "/app")
    assert any(expected in problem for problem in problems), problems


def _no_logging(build: Build) -> None:
    del build["options"]["logging"]


def test_the_logging_check_fails_without_logging(build: Build) -> None:
    broken = copy.deepcopy(build)
    _no_logging(broken)
    assert logging_problems(broken)
    broken["logsBucket"] = "gs://a-user-created-bucket"
    assert logging_problems(broken) == []


def _record_after_terraform(build: Build) -> None:
    recorder, infra = _step(build, "revisions"), _step(build, "infra")
    infra["waitFor"] = [w for w in infra["waitFor"] if w != "revisions"]
    recorder["waitFor"] = ["infra"]
    build["steps"].remove(recorder)
    build["steps"].insert(build["steps"].index(infra) + 1, recorder)


def _record_misses_the_sweeper(build: Build) -> None:
    recorder = _step(build, "revisions")
    recorder["args"][-1] = recorder["args"][-1].replace("${_PREFIX}-sweeper", "")


def _record_nothing(build: Build) -> None:
    build["steps"].remove(_step(build, "revisions"))
    _step(build, "infra")["waitFor"] = ["push", "infra-vars"]
    _step(build, "gate")["waitFor"].remove("revisions")


@pytest.mark.parametrize(
    "mistake",
    [_record_after_terraform, _record_misses_the_sweeper, _record_nothing],
    ids=lambda f: f.__name__,
)
def test_the_record_check_fails_on(build: Build, mistake: Any) -> None:
    broken = copy.deepcopy(build)
    mistake(broken)
    assert record_problems(broken)


def test_the_traffic_check_fails_when_a_rollout_leaves_traffic_pinned(build: Build) -> None:
    broken = copy.deepcopy(build)
    step = _step(broken, "deploy-composition")
    lines = step["args"][-1].splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if "update-traffic" in line)
    step["args"][-1] = "".join(lines[:at] + lines[at + 2 :])
    assert traffic_problems(broken) == [
        "'deploy-composition' does not send trendreel-composition's traffic to the new revision"
    ]


def _gate_not_last(build: Build, _: Path) -> None:
    build["steps"].append({"id": "after", "name": "ubuntu", "args": ["true"]})


def _gate_skips_a_rollout(build: Build, _: Path) -> None:
    _step(build, "gate")["waitFor"].remove("deploy-review")


def _edit_gate(build: Build, old: str, new: str) -> None:
    gate = _step(build, "gate")
    assert old in gate["args"][-1], old
    gate["args"][-1] = gate["args"][-1].replace(old, new)


def _gate_without_rollback(build: Build, _: Path) -> None:
    _edit_gate(build, "elif gcloud run services update-traffic", "elif true")


def _gate_ignores_a_rollout(build: Build, _: Path) -> None:
    _edit_gate(build, '"/workspace/rollout/$$SERVICE"', '"/workspace/revisions.txt"')


def _gate_without_health(build: Build, _: Path) -> None:
    _edit_gate(build, "/health", "/")


def _gate_ignores_the_job(build: Build, _: Path) -> None:
    _edit_gate(build, "<<'PY' || fail", "<<'PY' || true")


def _gate_without_key(build: Build, _: Path) -> None:
    _edit_gate(build, "deploy-gate-$BUILD_ID", "deploy-gate")


def _gate_without_token(build: Build, _: Path) -> None:
    _edit_gate(build, '--audiences="$$API_URL"', "")


def _gate_never_fails(build: Build, _: Path) -> None:
    _edit_gate(build, 'job["status"] == "failed"', 'job["status"] == "lost"')


def _gate_unbounded(build: Build, _: Path) -> None:
    gate = _step(build, "gate")
    gate["env"] = [e.replace("GATE_TIMEOUT_SECONDS=900", "GATE_TIMEOUT_SECONDS=3600")
                   for e in gate["env"]]  # fmt: skip


def _gate_on_a_long_video(build: Build, tmp_path: Path) -> None:
    gate = _step(build, "gate")
    config = json.loads((ROOT / step_env(gate)["GATE_CONFIG"]).read_text("utf-8"))
    config["config"]["video_duration_seconds"] = 30
    (tmp_path / "gate.json").write_text(json.dumps(config), "utf-8")
    gate["env"] = [f"GATE_CONFIG={tmp_path / 'gate.json'}" if e.startswith("GATE_CONFIG=") else e
                   for e in gate["env"]]  # fmt: skip


GATE_MISTAKES = [
    (_gate_not_last, "is not the last step"),
    (_gate_skips_a_rollout, "can run before ['deploy-review']"),
    (_gate_without_rollback, "does not route traffic back"),
    (_gate_ignores_a_rollout, "does not check that every rollout finished"),
    (_gate_without_health, "does not check GET /health before the job"),
    (_gate_ignores_the_job, "a failure of the job does not fail the gate"),
    (_gate_without_key, "no Idempotency-Key derived from $BUILD_ID"),
    (_gate_without_token, "without an ID token"),
    (_gate_never_fails, "does not wait for `completed` and stop at `failed`"),
    (_gate_unbounded, "must be bounded by 15 min"),
    (_gate_on_a_long_video, "the gate's video lasts 30 s, not 5"),
]


@pytest.mark.parametrize(
    ("mistake", "expected"), GATE_MISTAKES, ids=[m.__name__ for m, _ in GATE_MISTAKES]
)
def test_the_deploy_gate_check_fails_on(
    build: Build, mistake: Any, expected: str, tmp_path: Path
) -> None:
    broken = copy.deepcopy(build)
    mistake(broken, tmp_path)
    problems = deploy_gate_problems(broken)
    assert any(expected in problem for problem in problems), problems


# -- the recording and the gate, run against a fake gcloud and a fake api -------------------------

#: gcloud as far as the recording and the gate use it. Every call is logged; `update-traffic`
#: fails for a service named in a file broken-SERVICE.
FAKE_GCLOUD = """#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_GCLOUD_DIR/calls"
case "$1 $2 $3" in
  "auth print-identity-token "*) echo fake-id-token ;;
  "run services list") cat "$FAKE_GCLOUD_DIR/services" ;;
  "run services describe") cat "$FAKE_GCLOUD_DIR/$4.json" ;;
  "run services update-traffic") test ! -e "$FAKE_GCLOUD_DIR/broken-$4" ;;
  *) echo "fake gcloud: unexpected call: $*" >&2; exit 2 ;;
esac
"""
BUILD_VALUES = {"PROJECT_ID": "demo-project", "PROJECT_NUMBER": "123456789", "BUILD_ID": "b-42"}
JOB_ID = "20260101T090000-0badc0de"
needs_shell = pytest.mark.skipif(
    not (shutil.which("bash") and shutil.which("curl")), reason="the steps run bash and curl"
)


def substituted(build: Build, text: str) -> str:
    """``text`` as Cloud Build hands it to the step: $$ is $, $NAME and ${NAME} are values."""
    values = {**BUILD_VALUES, **{k: str(v) for k, v in build["substitutions"].items()}}

    def value(match: re.Match[str]) -> str:
        token = match.group(1)
        return "$" if token == "$" else values[token.strip("{}")]

    return re.sub(r"\$(\$|\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)", value, text)


class Sandbox:
    """A workspace, a fake gcloud first on PATH and python3 = this interpreter: a step runs here
    as it would in Cloud Build, with /workspace/ moved and the api's URL pointed at a fake."""

    def __init__(self, root: Path) -> None:
        self.workspace, self.gcloud, self.bin = root / "workspace", root / "gcloud", root / "bin"
        for folder in (self.workspace, self.gcloud, self.bin):
            folder.mkdir()
        (self.bin / "gcloud").write_text(FAKE_GCLOUD)
        (self.bin / "gcloud").chmod(0o755)
        (self.bin / "python3").symlink_to(sys.executable)
        (self.gcloud / "calls").touch()

    def calls(self, command: str) -> list[str]:
        lines = (self.gcloud / "calls").read_text().splitlines()
        return [line for line in lines if line.startswith(command)]

    def run(
        self, build: Build, step_id: str, api: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        step = _step(build, step_id)
        prefix, region = build["substitutions"]["_PREFIX"], build["substitutions"]["_REGION"]
        api_url = f"https://{prefix}-api-{BUILD_VALUES['PROJECT_NUMBER']}.{region}.run.app"
        args = [substituted(build, str(arg)) for arg in step["args"]]
        args = [arg.replace("/workspace/", f"{self.workspace}/") for arg in args]
        if api is not None:
            assert any(api_url in arg for arg in args), f"{step_id} does not call {api_url}"
            args = [arg.replace(api_url, api) for arg in args]
        full_env = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.workspace),
            "FAKE_GCLOUD_DIR": str(self.gcloud),
            **{k: substituted(build, v) for k, v in step_env(step).items()},
            **env,
        }
        return subprocess.run(
            [str(step["entrypoint"]), *args],
            cwd=ROOT,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


class FakeApi:
    """The api as the gate meets it. GET /jobs/{id} answers ``jobs`` in turn, the last one
    again and again; ``generate`` is POST /generate's status and body."""

    def __init__(self, jobs: list[dict[str, Any]], generate: tuple[int, Any] | None = None):
        self.jobs = jobs
        self.generate = generate or (202, {"job_id": JOB_ID, "message": "job accepted"})
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.url = ""

    def answer(self, method: str, path: str) -> tuple[int, Any]:
        if path == "/health":
            return 200, {"status": "ok"}
        if (method, path) == ("POST", "/generate"):
            return self.generate
        if (method, path) == ("GET", f"/jobs/{JOB_ID}"):
            polls = sum(1 for m, p, _, _ in self.requests if (m, p) == (method, path))
            return 200, self.jobs[min(polls, len(self.jobs)) - 1]
        if (method, path) == ("POST", f"/videos/{JOB_ID}/reject"):
            return 200, {"id": JOB_ID, "review_status": "rejected"}
        return 404, {"error": {"code": "not_found", "message": path}}

    def paths(self) -> list[str]:
        return [f"{method} {path}" for method, path, _, _ in self.requests]


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            api.requests.append((self.command, self.path, dict(self.headers), body))
            status, payload = api.answer(self.command, self.path)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def serve() -> Iterator[Callable[[FakeApi], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(api: FakeApi) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        api.url = f"http://127.0.0.1:{server.server_address[1]}"
        return api.url

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def job(status: str, stage: str, error: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": JOB_ID,
        "status": status,
        "stage": stage,
        "completed_stages": [],
        "stages": {stage: {"attempts": 1, "progress": 0.5, "message": "encoding"}},
        "error": error,
        "error_message": error and error["message"],
    }


def _traffic(*split: tuple[str, int | None]) -> str:
    targets = [{"revisionName": r, **({"percent": p} if p else {"tag": "old"})} for r, p in split]
    return json.dumps({"metadata": {}, "status": {"traffic": targets}})


#: What serves before the build: the api routes to its latest revision, composition is pinned
#: by an earlier rollback (a newer revision, tagged, gets nothing), trend_analysis is split, and
#: the sweeper, publish, metrics and webhooks do not exist yet (new functions).
SERVING = {
    "trendreel-api": _traffic(("trendreel-api-00007-abc", 100)),
    "trendreel-trend-collection": _traffic(("trendreel-trend-collection-00003-x", 100)),
    "trendreel-trend-analysis": _traffic(
        ("trendreel-trend-analysis-00004-a", 90), ("trendreel-trend-analysis-00005-b", 10)
    ),
    "trendreel-content-generation": _traffic(("trendreel-content-generation-00002-q", 100)),
    "trendreel-composition": _traffic(
        ("trendreel-composition-00042-old", 100), ("trendreel-composition-00043-bad", None)
    ),
    "trendreel-review": _traffic(("trendreel-review-00009-r", 100)),
}
RECORDED = {
    "trendreel-api": "trendreel-api-00007-abc=100",
    "trendreel-trend-collection": "trendreel-trend-collection-00003-x=100",
    "trendreel-trend-analysis": "trendreel-trend-analysis-00004-a=90,"
    "trendreel-trend-analysis-00005-b=10",
    "trendreel-content-generation": "trendreel-content-generation-00002-q=100",
    "trendreel-composition": "trendreel-composition-00042-old=100",
    "trendreel-review": "trendreel-review-00009-r=100",
    "trendreel-sweeper": "-",
    "trendreel-publish": "-",
    "trendreel-metrics": "-",
    "trendreel-webhooks": "-",
}


@pytest.fixture(scope="module")
def recorded(build: Build, tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """The recording step, run once on SERVING."""
    sandbox = Sandbox(tmp_path_factory.mktemp("recording"))
    (sandbox.gcloud / "services").write_text("".join(f"{name}\n" for name in SERVING))
    for name, traffic in SERVING.items():
        (sandbox.gcloud / f"{name}.json").write_text(traffic)
    result = sandbox.run(build, recorders(build)[0])
    assert result.returncode == 0, result.stderr
    return sandbox


@pytest.fixture
def deployed(build: Build, recorded: Sandbox, tmp_path: Path) -> Sandbox:
    """After the recording and every rollout: revisions.txt and every marker in place."""
    sandbox = Sandbox(tmp_path)
    shutil.copy(recorded.workspace / "revisions.txt", sandbox.workspace / "revisions.txt")
    (sandbox.workspace / "rollout").mkdir()
    for service in expected_services(build):
        (sandbox.workspace / "rollout" / service).write_text(f"{service}-00100-new\n")
    return sandbox


FAST = {"GATE_POLL_SECONDS": "0.05", "GATE_RETRY_SECONDS": "1", "GATE_UNREACHABLE_SECONDS": "0"}


def _rollbacks(sandbox: Sandbox) -> dict[str, str]:
    calls = [shlex.split(c) for c in sandbox.calls("run services update-traffic")]
    return {c[3]: c[4].removeprefix("--to-revisions=") for c in calls if "--to-latest" not in c}


def assert_rolled_back(
    sandbox: Sandbox, result: subprocess.CompletedProcess[str], broken: str = ""
) -> None:
    """Every service that existed before was routed back to what served it, and said so."""
    assert result.returncode != 0
    assert "DEPLOY GATE FAILED" in result.stdout
    expected = {name: traffic for name, traffic in RECORDED.items() if traffic != "-"}
    assert _rollbacks(sandbox) == expected
    for name, traffic in expected.items():
        said = "ROLLBACK FAILED" if name == broken else f"traffic back on {traffic}"
        assert f"  {name}: {said}" in result.stdout, result.stdout


@needs_shell
def test_the_recording_writes_what_serves_each_function(build: Build, recorded: Sandbox) -> None:
    lines = (recorded.workspace / "revisions.txt").read_text().splitlines()
    assert dict(line.split(" ", 1) for line in lines) == RECORDED
    assert sorted(line.split()[0] for line in lines) == sorted(expected_services(build))
    assert recorded.calls("run services update-traffic") == []


@needs_shell
def test_the_gate_passes_when_the_job_completes(
    build: Build, deployed: Sandbox, serve: Callable[[FakeApi], str]
) -> None:
    api = FakeApi([job("running", "trend_collection"), job("completed", "review")])
    result = deployed.run(build, "gate", serve(api), GATE_TIMEOUT_SECONDS="30", **FAST)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "deploy gate passed" in result.stdout
    assert api.paths()[:2] == ["GET /health", "POST /generate"]
    assert f"POST /videos/{JOB_ID}/reject" in api.paths()
    _, _, headers, body = next(r for r in api.requests if r[1] == "/generate")
    assert headers["Authorization"] == "Bearer fake-id-token"
    assert headers["Idempotency-Key"] == f"deploy-gate-{BUILD_VALUES['BUILD_ID']}"
    sent = json.loads(body)
    assert set(sent) == {"config"}
    assert validate_config(sent["config"]).config.video_duration_seconds == 5
    assert _rollbacks(deployed) == {}
    assert deployed.calls("auth print-identity-token") == [
        f"auth print-identity-token --audiences={api.url} --token-format=full"
    ]


@needs_shell
def test_a_failed_job_is_explained_and_every_function_is_rolled_back(
    build: Build, deployed: Sandbox, serve: Callable[[FakeApi], str]
) -> None:
    error = {
        "stage": "composition",
        "code": "render_failed",
        "message": "ffmpeg exited with 1",
        "retryable": False,
        "attempt": 5,
        "provider": None,
        "hint": "Read the composition logs for the job.",
    }
    api = FakeApi([job("running", "composition"), job("failed", "composition", error)])
    result = deployed.run(build, "gate", serve(api), GATE_TIMEOUT_SECONDS="30", **FAST)

    assert result.returncode != 0
    for shown in ("failed in stage composition", "render_failed", "ffmpeg exited", "Read the"):
        assert shown in result.stdout, result.stdout
    assert_rolled_back(deployed, result)
    for new in ("sweeper", "publish", "metrics", "webhooks"):
        assert f"trendreel-{new}: no earlier revision" in result.stdout, new
    assert f"POST /videos/{JOB_ID}/reject" not in api.paths()


@needs_shell
def test_a_job_that_does_not_complete_in_time_fails_the_gate(
    build: Build, deployed: Sandbox, serve: Callable[[FakeApi], str]
) -> None:
    api = FakeApi([job("running", "composition")])
    result = deployed.run(build, "gate", serve(api), GATE_TIMEOUT_SECONDS="1", **FAST)

    assert result.returncode != 0
    assert "did not complete within 1 s: it is running at stage composition" in result.stdout
    assert_rolled_back(deployed, result)


@pytest.mark.parametrize(
    ("generate", "shown"),
    [
        ((503, {"error": {"code": "service_unavailable", "message": "firestore"}}), "unreachable"),
        ((403, {"error": {"code": "forbidden", "message": "principal x"}}), "HTTP 403 forbidden"),
    ],
    ids=["unreachable", "refused"],
)
@needs_shell
def test_an_api_that_does_not_take_the_job_fails_the_gate(
    build: Build,
    deployed: Sandbox,
    serve: Callable[[FakeApi], str],
    generate: tuple[int, Any],
    shown: str,
) -> None:
    api = FakeApi([job("running", "trend_collection")], generate)
    result = deployed.run(build, "gate", serve(api), GATE_TIMEOUT_SECONDS="30", **FAST)

    assert result.returncode != 0
    assert shown in result.stdout, result.stdout
    assert_rolled_back(deployed, result)


@needs_shell
def test_a_failed_rollout_rolls_every_function_back_before_the_job(
    build: Build, deployed: Sandbox, serve: Callable[[FakeApi], str]
) -> None:
    (deployed.workspace / "rollout" / "trendreel-review").unlink()
    (deployed.gcloud / "broken-trendreel-api").touch()  # and one rollback fails
    api = FakeApi([job("completed", "review")])
    result = deployed.run(build, "gate", serve(api), GATE_TIMEOUT_SECONDS="30", **FAST)

    assert result.returncode != 0
    assert "the rollout of trendreel-review did not finish" in result.stdout
    assert api.requests == []
    assert_rolled_back(deployed, result, broken="trendreel-api")
    assert "trendreel-api: ROLLBACK FAILED; run: gcloud run services update-traffic" in (
        result.stdout
    )
