"""Loading and validating the theme config (YAML or JSON). Errors name the failing field."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from trendreel.errors import ConfigError
from trendreel.models import ThemeConfig

MAX_CONFIG_BYTES = 256 * 1024
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
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(root)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(
            f"invalid config {source}: field '{field}': {first['msg']}{more}", field=field
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
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"config {source} is not valid YAML/JSON: {exc}", field="(document)"
        ) from exc
