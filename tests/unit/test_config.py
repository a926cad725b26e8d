"""Theme config loading: the bundled default, and errors that name the failing field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from trendreel.config import (
    MAX_CONFIG_BYTES,
    MAX_CONFIG_DEPTH,
    apply_overrides,
    default_config_text,
    load_config_file,
    load_default_config,
    parse_config,
)
from trendreel.errors import ConfigError
from trendreel.models import ThemeConfig

VALID = """
config:
  theme: "home coffee"
  video_duration_seconds: 45
content_references:
  - ref_id: beans
    title: Fresh beans
    talking_points: ["Grind right before brewing"]
"""


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="theme.yaml")
    return caught.value


def test_default_config_is_valid() -> None:
    config = load_default_config()
    assert isinstance(config, ThemeConfig)
    assert config.config.theme == "everyday tech tips"
    assert config.config.video_duration_seconds == 30
    assert config.config.auto_post is False
    ids = [ref.ref_id for ref in config.content_references]
    assert ids == ["why-now", "how-it-works"]
    assert config.talking_points()
    assert "video_duration_seconds" in default_config_text()


def test_yaml_and_json_files_load(tmp_path: Path) -> None:
    yaml_path = tmp_path / "theme.yaml"
    yaml_path.write_text(VALID, "utf-8")
    json_path = tmp_path / "theme.json"
    json_path.write_text(
        '{"config": {"theme": "home coffee", "style": "calm"}, "content_references": []}',
        "utf-8",
    )
    from_yaml = load_config_file(yaml_path)
    from_json = load_config_file(json_path)
    assert from_yaml.config.video_duration_seconds == 45
    assert from_yaml.talking_points() == ["Grind right before brewing"]
    assert (from_json.config.theme, from_json.config.style) == ("home coffee", "calm")


@pytest.mark.parametrize(
    "text",
    [
        "config:\n  theme: [unclosed\n",
        "config:\n\ttheme: tabs are not yaml\n",
        '{"config": {"theme": "x",}}',
        '{"config": ',
    ],
)
def test_invalid_yaml_or_json_names_the_document(text: str) -> None:
    err = _error(text)
    assert err.field == "(document)"
    assert "theme.yaml" in err.message
    assert "not valid YAML/JSON" in err.message


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("config:\n  theme: x\n  colour: red\n", "config.colour"),
        ("config:\n  theme: x\nextras: 1\n", "extras"),
        ("config:\n  theme: x\ncontent_references:\n  - ref_id: a\n    title: t\n    url: u\n",
         "content_references.0.url"),
    ],
)  # fmt: skip
def test_an_unknown_field_is_named(text: str, field: str) -> None:
    err = _error(text)
    assert err.field == field
    assert f"'{field}'" in err.message


@pytest.mark.parametrize("seconds", [2, 4, 181, 600])
def test_an_out_of_range_duration_is_named(seconds: int) -> None:
    err = _error(f"config:\n  theme: x\n  video_duration_seconds: {seconds}\n")
    assert err.field == "config.video_duration_seconds"
    assert "config.video_duration_seconds" in err.message


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("config:\n  theme: ''\n", "config.theme"),
        ("config:\n  theme: x\n  style: moody\n", "config.style"),
        ("config:\n  theme: x\n  target_platform: myspace\n", "config.target_platform"),
        ("content_references: []\n", "config"),
    ],
)
def test_other_invalid_fields_are_named(text: str, field: str) -> None:
    err = _error(text)
    assert err.field == field
    assert f"'{field}'" in err.message


DUPLICATE = """
config:
  theme: x
content_references:
  - {ref_id: same, title: one}
  - {ref_id: other, title: two}
  - {ref_id: same, title: three}
"""


def test_a_duplicate_ref_id_is_named_in_the_message() -> None:
    err = _error(DUPLICATE)
    assert "duplicate content_references ref_id 'same'" in err.message


def test_a_duplicate_ref_id_names_the_field() -> None:
    err = _error(DUPLICATE)
    assert err.field is not None
    assert err.field.startswith("content_references")


def _too_large(tmp_path: Path) -> Path:
    path = tmp_path / "huge.yaml"
    padding = "# " + "x" * 98 + "\n"
    path.write_text(VALID + padding * (MAX_CONFIG_BYTES // len(padding) + 1), "utf-8")
    assert path.stat().st_size > MAX_CONFIG_BYTES
    return path


def test_a_too_large_file_is_rejected(tmp_path: Path) -> None:
    path = _too_large(tmp_path)
    with pytest.raises(ConfigError, match=f"larger than {MAX_CONFIG_BYTES} bytes") as caught:
        load_config_file(path)
    assert str(path) in caught.value.message


def test_a_too_large_file_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_file(_too_large(tmp_path))
    assert caught.value.field == "config"


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file") as caught:
        load_config_file(tmp_path / "nope.yaml")
    assert caught.value.field == "config"


def test_apply_overrides_returns_a_validated_copy() -> None:
    config = load_default_config()
    changed = apply_overrides(config, video_duration_seconds=60)
    assert changed.config.video_duration_seconds == 60
    assert config.config.video_duration_seconds == 30
    assert changed.content_references == config.content_references
    assert apply_overrides(config, video_duration_seconds=None) is config


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"video_duration_seconds": 2}, "config.video_duration_seconds"),
        ({"video_duration_seconds": 1000}, "config.video_duration_seconds"),
        ({"style": "loud"}, "config.style"),
        ({"no_such_option": 1}, "config.no_such_option"),
    ],
)
def test_apply_overrides_validates(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        apply_overrides(load_default_config(), **overrides)
    assert caught.value.field == field
    assert field in caught.value.message


def test_a_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("config:\n  theme: café\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config_file(path)
    assert caught.value.field is not None


def test_a_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config_file(tmp_path)


# --- documents bounded before they are built --------------------------------------------------

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)  # 9**9 (387 million) strings in 600 bytes


def _nested(depth: int, leaf: str = "x") -> str:
    return "[" * depth + leaf + "]" * depth


@pytest.mark.parametrize(
    "text",
    [
        "config: " + _nested(5000),  # YAML flow
        "".join(f"{' ' * i}k{i}:\n" for i in range(600)),  # YAML block mappings
        "- " * 5000 + "x\n",  # YAML block sequences
        '{"config": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}",  # JSON objects
        _nested(100_000, "1"),  # JSON arrays, within MAX_CONFIG_BYTES
        "a: &a " + _nested(20) + "\nb: " + _nested(20, "*a"),  # depth added by an alias
    ],
    ids=["yaml-flow", "yaml-block", "yaml-sequences", "json-objects", "json-arrays", "alias"],
)
def test_a_document_nested_too_deep_is_a_config_error_not_a_recursion_error(text: str) -> None:
    err = _error(text)
    assert err.field == "(document)"
    assert f"nests collections more than {MAX_CONFIG_DEPTH} deep" in err.message
    assert "theme.yaml" in err.message


def test_nesting_up_to_the_limit_is_parsed() -> None:
    # The limit counts collections: the root mapping, then MAX_CONFIG_DEPTH - 1 lists.
    inner = _nested(MAX_CONFIG_DEPTH - 1, "")
    for text in (
        f"config: {{theme: x}}\ncontent_references: {inner}\n",
        f'{{"config": {{"theme": "x"}}, "content_references": {inner}}}',
    ):
        assert "more than" not in _error(text).message  # the model, not the parser, refuses it
    assert "more than" in _error(f"config: {{theme: x}}\ncontent_references: [{inner}]\n").message


def test_brackets_inside_json_strings_do_not_count() -> None:
    text = '{"config": {"theme": "' + "[{" * 50 + '\\"' + "[" * 50 + '"}}'
    assert "more than" not in _error(text).message  # too long a theme, not too deep


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (LAUGHS + "config: {theme: *i}\n", "expands through its aliases"),
        ("s: &s " + "x" * 200_000 + "\nconfig: {theme: [*s, *s, *s, *s, *s, *s]}\n",
         "expands through its aliases"),
        ("config: &c {theme: x, loop: *c}\n", "alias inside its own anchor"),
        ("config: &c [*c]\n", "alias inside its own anchor"),
    ],
    ids=["billion-laughs", "big-scalar", "recursive-mapping", "recursive-sequence"],
)  # fmt: skip
def test_yaml_aliases_are_bounded_by_what_they_expand_to(text: str, problem: str) -> None:
    err = _error(text)
    assert err.field == "(document)"
    assert problem in err.message
    # Refused while composing: no object graph was built for a validation error (whose text
    # alone would expand all 387 million strings) to describe.
    assert err.__cause__ is not None
    assert not isinstance(err.__cause__, ValidationError)


def test_aliases_that_stay_small_are_fine() -> None:
    config = parse_config(
        "config: {theme: &t tea, tagline: *t}\n"
        "content_references:\n"
        "  - {ref_id: a, title: &title Brewing, talking_points: &points [warm the pot, wait]}\n"
        "  - {ref_id: b, title: *title, talking_points: *points}\n"
    )
    assert config.config.tagline == "tea"
    assert config.content_references[1].talking_points == ["warm the pot", "wait"]
