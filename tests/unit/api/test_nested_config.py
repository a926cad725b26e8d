"""POST /generate with a config nested thousands deep or blown up by YAML aliases: a 400 that
names the problem, no job, and never a RecursionError (500) or a document built in memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH
from tests.unit.api.fakes import FakeJobStore, FakeTaskQueue
from trendreel.bootstrap import Runtime

DEEP = 5000  # far past Python's recursion limit (1000)
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)  # 9**9 (387 million) strings in 600 bytes


@pytest.fixture
def config_root(tmp_path: Path, rt: Runtime) -> Path:
    root = tmp_path / "configs"
    root.mkdir()
    files = {
        "deep-flow.yaml": "config: " + "[" * DEEP + "]" * DEEP,
        # 600 levels of indentation fit in MAX_CONFIG_BYTES (5000 would not)
        "deep-block.yaml": "".join(f"{' ' * i}k{i}:\n" for i in range(600)),
        "deep-seq.yaml": "- " * DEEP + "x\n",
        "deep.json": '{"config": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}",
        "deep-array.json": "[" * DEEP + "]" * DEEP,
        "laughs.yaml": LAUGHS + "config: {theme: *i}\n",
        "recursive.yaml": "config: &c {theme: x, loop: *c}\n",
    }
    for name, text in files.items():
        (root / name).write_text(text)
    (root / "loop.yaml").symlink_to(root / "loop.yaml")
    rt.settings = rt.settings.model_copy(update={"config_root": str(root)})
    return root


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("deep-flow.yaml", "more than 32 deep"),
        ("deep-block.yaml", "more than 32 deep"),
        ("deep-seq.yaml", "more than 32 deep"),
        ("deep.json", "more than 32 deep"),
        ("deep-array.json", "more than 32 deep"),
        ("laughs.yaml", "expands through its aliases"),
        ("recursive.yaml", "alias inside its own anchor"),
    ],
)
def test_a_config_file_too_deep_or_too_big_once_expanded_is_400(
    client: FlaskClient,
    store: FakeJobStore,
    queue: FakeTaskQueue,
    config_root: Path,
    name: str,
    problem: str,
) -> None:
    response = client.post("/generate", json={"config_path": name}, headers=AUTH)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_config"
    assert problem in error["message"]
    assert f"config_path '{name}'" in error["message"]
    assert [d["field"] for d in error["details"]] == ["(document)"]
    assert str(config_root) not in response.get_data(as_text=True)
    assert store.jobs == {}
    assert queue.tasks == {}


def test_an_unreadable_config_file_is_400_naming_only_the_client_path(
    client: FlaskClient, store: FakeJobStore, config_root: Path
) -> None:
    response = client.post("/generate", json={"config_path": "loop.yaml"}, headers=AUTH)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_config_path"
    assert "'loop.yaml'" in error["message"]
    assert str(config_root) not in response.get_data(as_text=True)
    assert store.jobs == {}


def test_aliases_within_bounds_still_work(
    client: FlaskClient, store: FakeJobStore, config_root: Path
) -> None:
    (config_root / "anchors.yaml").write_text(
        "config: {theme: &t tea, tagline: *t}\n"
        "content_references:\n"
        "  - {ref_id: a, title: &title Brewing, talking_points: &points [warm the pot, wait]}\n"
        "  - {ref_id: b, title: *title, talking_points: *points}\n"
    )

    response = client.post("/generate", json={"config_path": "anchors.yaml"}, headers=AUTH)

    assert response.status_code == 202
    [job] = store.jobs.values()
    assert job.config.config.tagline == "tea"
    assert job.config.content_references[1].talking_points == ["warm the pot", "wait"]


@pytest.mark.parametrize("depth", [150, DEEP])
@pytest.mark.parametrize("opener", ['{"a": ', "["])
def test_an_inline_config_nested_deep_is_400(
    client: FlaskClient, store: FakeJobStore, queue: FakeTaskQueue, depth: int, opener: str
) -> None:
    # pydantic's JSON parser stops at its own recursion limit (a 400 invalid_json); below it,
    # the theme config's validation names the field that is not what it should be.
    closer = "}" if opener.startswith("{") else "]"
    nested = opener * depth + "1" + closer * depth
    body = '{"config": {"config": {"theme": "x"}, "content_references": ' + nested + "}}"

    response = client.post(
        "/generate", data=body, headers={**AUTH, "Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] in ("invalid_json", "invalid_config")
    assert store.jobs == {}
    assert queue.tasks == {}
