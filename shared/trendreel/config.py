"""Loading and validating the theme config (YAML or JSON). Errors name the failing field.

A config document is bounded before it is built, not only in bytes: its nesting (a valid one is
four collections deep; PyYAML and ``json`` parse recursively, so a document thousands deep is a
RecursionError) and, for YAML, its size once aliases are expanded (an alias shares the node it
names, so a few hundred bytes can stand for billions of nodes that validation or JSON encoding
would walk: "billion laughs").
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from trendreel.errors import ConfigError
from trendreel.models import ThemeConfig

MAX_CONFIG_BYTES = 256 * 1024
MAX_CONFIG_DEPTH = 32  # collections inside collections; a valid theme config has 4
#: Nodes plus scalar characters, every alias counted in full. A document without aliases stays
#: under twice its length, so only aliases can reach this.
MAX_CONFIG_EXPANDED = 4 * MAX_CONFIG_BYTES
DEFAULT_CONFIG_NAME = "default_config.yaml"


def default_config_text() -> str:
    return resources.files("trendreel.data").joinpath(DEFAULT_CONFIG_NAME).read_text("utf-8")


def load_default_config() -> ThemeConfig:
    return parse_config(default_config_text(), source=f"<bundled {DEFAULT_CONFIG_NAME}>")


def load_config_file(path: Path) -> ThemeConfig:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"config file {path} is larger than {MAX_CONFIG_BYTES} bytes", field="config"
            )
        text = path.read_text("utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"cannot read config file {path}: {reason}", field="config") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text", field="config") from exc
    return parse_config(text, source=str(path))


def parse_config(text: str, *, source: str = "<config>") -> ThemeConfig:
    data = _parse_document(text, source)
    return validate_config(data, source=source)


def validate_config(data: Any, *, source: str = "<config>") -> ThemeConfig:
    try:
        return ThemeConfig.model_validate(data)
    except ValidationError as exc:
        problems = [
            {
                "field": ".".join(str(part) for part in error["loc"]) or "(root)",
                "message": str(error["msg"]),
                "type": str(error["type"]),
            }
            for error in exc.errors()
        ]  # no "input": a pasted secret is never echoed back
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(
            f"invalid config {source}: field '{first['field']}': {first['message']}{more}",
            field=first["field"],
            problems=problems,
        ) from exc


def apply_overrides(config: ThemeConfig, **overrides: Any) -> ThemeConfig:
    """A copy of ``config`` with ``config.*`` fields replaced, validated again."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    if not clean:
        return config
    data = config.model_dump()
    data["config"].update(clean)
    return validate_config(data, source="<overrides>")


def _parse_document(text: str, source: str) -> Any:
    stripped = text.lstrip()
    try:
        if stripped.startswith(("{", "[")):
            _check_json_depth(text)
            return json.loads(text)
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 (a SafeLoader that measures)
    except DocumentShapeError as exc:
        raise ConfigError(f"config {source} {exc}", field="(document)") from exc
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"config {source} is not valid YAML/JSON: {exc}", field="(document)"
        ) from exc


class DocumentShapeError(ValueError):
    """A config document nested too deep or too large once expanded (the message says which)."""


def _too_deep(where: str) -> DocumentShapeError:
    return DocumentShapeError(f"nests collections more than {MAX_CONFIG_DEPTH} deep ({where})")


# A JSON string (escapes included; unterminated, up to the end) or a bracket: brackets inside
# strings are skipped whole, so they are never counted.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\Z)|[\[\]{}]', re.DOTALL)


def _check_json_depth(text: str) -> None:
    """Refuse a JSON document nested past MAX_CONFIG_DEPTH before ``json.loads`` recurses."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_CONFIG_DEPTH:
                raise _too_deep(f"at character {match.start()}")
        elif token in ("]", "}"):
            depth -= 1


class _BoundedLoader(yaml.SafeLoader):
    """yaml.SafeLoader that measures every node as it is composed, before anything is built:
    how many collections deep it sits, and its expanded size (nodes plus scalar characters,
    with an alias counting everything the node it names holds)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._ancestors = 0
        self._measured: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, height)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        alias = self.check_event(yaml.AliasEvent)
        collection = self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent)
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        line = f"line {event.start_mark.line + 1}" if event.start_mark else "in the document"
        if collection and self._ancestors >= MAX_CONFIG_DEPTH:
            raise _too_deep(line)  # before composing it: the composer recurses
        self._ancestors += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._ancestors -= 1
        assert node is not None  # compose_node returns None only past the end of the stream
        measured = self._measured.get(id(node))
        if measured is None:
            if alias:  # the alias sits inside the node it names: an infinite document
                raise DocumentShapeError(f"has an alias inside its own anchor ({line})")
            measured = self._measured[id(node)] = self._measure(node)
        size, height = measured
        if self._ancestors + height > MAX_CONFIG_DEPTH:  # an alias can add depth
            raise _too_deep(line)
        if size > MAX_CONFIG_EXPANDED:
            raise DocumentShapeError(
                f"expands through its aliases to more than {MAX_CONFIG_EXPANDED} nodes and "
                f"characters ({line})"
            )
        return node

    def _measure(self, node: yaml.Node) -> tuple[int, int]:
        if isinstance(node, yaml.ScalarNode):
            return 1 + len(node.value), 0
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = list(node.value)
        parts = [self._measured[id(child)] for child in children]
        return 1 + sum(size for size, _ in parts), 1 + max((h for _, h in parts), default=0)
