"""Resolving ``config_path`` from POST /generate: only inside ``settings.config_root``.

The root is a local folder or ``gs://bucket/prefix``. A path is accepted only if it is relative,
has no ``..`` or empty parts, names a YAML/JSON file and (locally, after resolving symlinks)
stays under the root. Anything else is a 400 and no job is created. Messages name the path the
client sent, never the server's root.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from trendreel.api.errors import ApiError, bad_request
from trendreel.config import MAX_CONFIG_BYTES, parse_config
from trendreel.models import ThemeConfig
from trendreel.settings import Settings

SUFFIXES = (".yaml", ".yml", ".json")


def _invalid(message: str) -> ApiError:
    return bad_request("invalid_config_path", message)


def checked_relative(config_path: str) -> PurePosixPath:
    pure = PurePosixPath(config_path)
    if "\\" in config_path or "\x00" in config_path or ":" in config_path:
        raise _invalid(f"config_path {config_path!r} has a forbidden character (\\, : or NUL)")
    if pure.is_absolute():
        raise _invalid(f"config_path {config_path!r} must be relative to the config root")
    if any(part in ("..", ".") for part in config_path.split("/")) or "//" in config_path:
        raise _invalid(f"config_path {config_path!r} may not contain '..', '.' or empty parts")
    if pure.suffix.lower() not in SUFFIXES:
        raise _invalid(f"config_path {config_path!r} must end in .yaml, .yml or .json")
    return pure


StorageClient = Callable[[], Any]  # a google.cloud.storage.Client, made when first needed


def load(settings: Settings, config_path: str, storage: StorageClient) -> ThemeConfig:
    """Read, parse and validate the named config (ConfigError names a failing field). A gs://
    root is read with ``storage()``, the runtime's Cloud Storage client."""
    relative = checked_relative(config_path)
    root = settings.config_root
    if not root:
        raise _invalid("config_path needs a config root: the server has no TRENDREEL_CONFIG_ROOT")
    if root.startswith("gs://"):
        text = _read_gcs(storage(), root, relative, config_path)
    else:
        text = _read_local(Path(root), relative, config_path)
    return parse_config(text, source=f"config_path '{config_path}'")


def _unknown(config_path: str) -> ApiError:
    return _invalid(f"config_path {config_path!r}: no such config file in the config root")


def _decode(data: bytes, config_path: str) -> str:
    if len(data) > MAX_CONFIG_BYTES:
        raise _invalid(f"config_path {config_path!r} is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid(f"config_path {config_path!r} is not UTF-8 text") from None


def _read_local(root: Path, relative: PurePosixPath, config_path: str) -> str:
    try:
        base = root.resolve()
        target = base.joinpath(*relative.parts).resolve()
        if not target.is_relative_to(base):  # a symlink pointing out of the root
            raise _invalid(f"config_path {config_path!r} resolves outside the config root")
        if not target.is_file():
            raise _unknown(config_path)
        if target.stat().st_size > MAX_CONFIG_BYTES:
            raise _invalid(f"config_path {config_path!r} is larger than {MAX_CONFIG_BYTES} bytes")
        data = target.read_bytes()
    except (OSError, RuntimeError) as exc:  # unreadable, a symlink loop: the text names a path
        raise _invalid(
            f"config_path {config_path!r} cannot be read ({type(exc).__name__})"
        ) from exc
    return _decode(data, config_path)


def _read_gcs(client: Any, root: str, relative: PurePosixPath, config_path: str) -> str:
    from google.api_core.exceptions import GoogleAPICallError

    bucket, _, prefix = root.removeprefix("gs://").partition("/")
    name = "/".join(part for part in (prefix.strip("/"), relative.as_posix()) if part)
    try:
        blob = client.bucket(bucket).get_blob(name)
        if blob is None:
            raise _unknown(config_path)
        if (blob.size or 0) > MAX_CONFIG_BYTES:
            raise _invalid(f"config_path {config_path!r} is larger than {MAX_CONFIG_BYTES} bytes")
        data: bytes = blob.download_as_bytes()
    except GoogleAPICallError as exc:
        raise ApiError(
            503, "config_root_unavailable", f"cannot read the config root: {type(exc).__name__}"
        ) from exc
    return _decode(data, config_path)
