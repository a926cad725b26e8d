"""cloudbuild.yaml and the Dockerfile, read as data and held to what a safe deploy needs.

Cloud Build cannot run here, so the build is checked as a graph: a step without ``waitFor``
waits for every step before it, ``waitFor: ['-']`` starts at once, otherwise it waits for the
listed steps. On that graph: the first step is the README's test command and nothing starts
before it passes; every folder under functions/ is rolled out; Terraform (which owns the
Firestore indexes) applies before any function gets the new image; the smoke test calls
``/health`` after every rollout. Names are checked against infra/ so a rename on either side
fails here, not in production.

Each check is a function returning the problems it finds, and the last tests feed it the real
files with one realistic mistake each, so a check that could never fail is caught too.
"""

from __future__ import annotations

import copy
import json
import posixpath
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

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
    assert len(function_names()) == 7, function_names()
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
    assert undeployed_functions(build, [*function_names(), "publish"]) == ["publish"]


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
    step = _step(broken, "smoke")
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
