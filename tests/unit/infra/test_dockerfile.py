"""infra/Dockerfile imports every module the functions' entry points import while it builds, so a
module missing from the wheel (or failing to import) fails the build, not a function's first
request on Cloud Run. tests/unit/test_cloudbuild.py checks the rest of the Dockerfile."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from tests.support.cloud_run.infra import INFRA

FUNCTIONS = INFRA.parent / "functions"
_IMPORT_CHECK = re.compile(r'python3?\s+-c\s+"import\s+([^";]+)"')
_TRENDREEL_IMPORT = re.compile(
    r"^\s*(?:from\s+(trendreel[\w.]*)\s+import|import\s+(trendreel[\w.]*))"
)


def checked_imports(dockerfile: str) -> set[str]:
    """The modules a `python -c "import a, b"` of a RUN imports. Docker joins a line ending in
    a backslash with the next one, dropping both the backslash and the line break."""
    joined = dockerfile.replace("\\\n", "")
    found: set[str] = set()
    for match in _IMPORT_CHECK.finditer(joined):
        found |= {name.strip() for name in match.group(1).split(",") if name.strip()}
    return found


def entry_point_imports(folder: Path = FUNCTIONS) -> dict[str, set[str]]:
    """function -> the trendreel modules its main.py imports."""
    imports: dict[str, set[str]] = {}
    for main in sorted(folder.glob("*/main.py")):
        lines = main.read_text("utf-8").splitlines()
        matches = [_TRENDREEL_IMPORT.match(line) for line in lines]
        imports[main.parent.name] = {m.group(1) or m.group(2) for m in matches if m}
    return imports


def missing_imports(dockerfile: str) -> list[str]:
    checked = checked_imports(dockerfile)
    return sorted(
        f"{function}: {module}"
        for function, modules in entry_point_imports().items()
        for module in modules - checked
    )


def test_the_build_imports_every_entry_points_modules() -> None:
    imports = entry_point_imports()
    assert {"publish", "metrics", "webhooks"} <= set(imports)
    assert all(imports.values()), "an entry point imports nothing from trendreel"
    assert missing_imports((INFRA / "Dockerfile").read_text("utf-8")) == []


def test_the_build_imports_only_modules_that_exist() -> None:
    for module in checked_imports((INFRA / "Dockerfile").read_text("utf-8")):
        assert importlib.util.find_spec(module) is not None, module


def test_a_module_left_out_of_the_import_check_is_found() -> None:
    dockerfile = (INFRA / "Dockerfile").read_text("utf-8")
    assert "trendreel.publishing.http, " in dockerfile
    broken = dockerfile.replace("trendreel.publishing.http, ", "")
    assert missing_imports(broken) == ["publish: trendreel.publishing.http"]
    assert checked_imports('RUN python -c "import a, \\\nb"') == {"a", "b"}
