"""Connected accounts: one refresh token per platform, with what it was granted.

Locally each account is a JSON file, ``$TRENDREEL_HOME/accounts/<platform>.json``, readable by
its owner only (the folder too), replaced atomically so a crash mid-write leaves the previous
file whole. On Cloud Run (backend ``gcp``) the same JSON arrives read-only from Secret Manager as
``TRENDREEL_<PLATFORM>_ACCOUNT``; ``trendreel accounts connect`` prints the command that copies
the local file there.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, SecretStr, ValidationError

from trendreel.accounts.platforms import spec
from trendreel.errors import ConfigError, ProviderError, ProviderNotConfiguredError
from trendreel.models.publishing import PublishPlatform
from trendreel.settings import Settings

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


class StoredAccount(BaseModel):
    """A connected account. Its repr and ``model_dump_json`` mask the refresh token; only
    ``to_file_json`` writes it out."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: Literal[1] = 1
    platform: PublishPlatform
    refresh_token: SecretStr
    scopes: tuple[str, ...] = ()
    account_id: str | None = None  # YouTube channel id, TikTok open_id
    account_name: str | None = None  # channel title, TikTok display name
    # A refresh token works only with the OAuth client that obtained it.
    client_id: str | None = None
    connected_at: AwareDatetime
    refresh_expires_at: AwareDatetime | None = None  # TikTok: 365 days after issuance

    def to_file_json(self) -> str:
        body: dict[str, Any] = self.model_dump(mode="json")
        body["refresh_token"] = self.refresh_token.get_secret_value()
        return json.dumps(body, indent=2) + "\n"


class AccountNotConnectedError(ProviderNotConfiguredError):
    """No account is connected for a platform: what to run, not which variable to set."""

    def __init__(self, platform: PublishPlatform, where: str) -> None:
        label = spec(platform).label
        ProviderError.__init__(
            self,
            platform.value,
            f"no {label} account is connected ({where})",
            hint=f"Run `trendreel accounts connect {platform.value}` to connect one.",
        )
        self.setting = spec(platform).setting("account")


def account_path(settings: Settings, platform: PublishPlatform) -> Path:
    return settings.home / "accounts" / f"{PublishPlatform(platform).value}.json"


def account_source(settings: Settings, platform: PublishPlatform) -> str:
    """Where the account is read from, for messages: a file or a variable, never its value."""
    if settings.backend == "gcp":
        return spec(platform).setting("account")
    return str(account_path(settings, platform))


def load_account(settings: Settings, platform: PublishPlatform) -> StoredAccount | None:
    platform = PublishPlatform(platform)
    if settings.backend == "gcp":
        secret = spec(platform).account_secret(settings)
        if secret is None or not secret.get_secret_value().strip():
            return None
        return _parse(secret.get_secret_value(), platform, spec(platform).setting("account"))
    path = account_path(settings, platform)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", field=str(path)) from exc
    _tighten(path, PRIVATE_FILE)
    return _parse(text, platform, str(path))


def save_account(settings: Settings, account: StoredAccount) -> Path:
    """Store ``account`` locally. On backend gcp the accounts are Secret Manager's, read-only."""
    if settings.backend == "gcp":
        raise ConfigError(
            f"{spec(account.platform).label} accounts are read-only on backend gcp",
            field=spec(account.platform).setting("account"),
            hint="Connect the account locally, then add the file as a new secret version.",
        )
    path = account_path(settings, account.platform)
    write_account_file(path, account)
    return path


def write_account_file(path: Path, account: StoredAccount) -> None:
    """Write atomically: a temporary owner-only file in the same folder, synced, then renamed
    over the old one."""
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _tighten(path.parent, PRIVATE_DIR)
    # mkstemp creates the file with mode 600 before anything is written to it.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(account.to_file_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_dir(path.parent)


def _parse(text: str, platform: PublishPlatform, where: str) -> StoredAccount:
    try:
        account = StoredAccount.model_validate_json(text)
    except ValidationError as exc:
        # Name the broken fields only, and do not chain: pydantic's error echoes the input,
        # which holds the refresh token.
        fields = sorted({".".join(str(p) for p in e["loc"]) or "(root)" for e in exc.errors()})
        raise ConfigError(
            f"the stored {spec(platform).label} account in {where} is not valid "
            f"(fields: {', '.join(fields)})",
            field=where,
            hint=f"Run `trendreel accounts connect {platform.value}` to store it again.",
        ) from None
    if account.platform is not platform:
        raise ConfigError(
            f"{where} holds a {account.platform.value} account, not a {platform.value} one",
            field=where,
            hint=f"Run `trendreel accounts connect {platform.value}` to store the right one.",
        )
    return account


def _tighten(path: Path, mode: int) -> None:
    """An account file made by hand, or a folder made by another tool, loses group and other
    access before anything is read from or written into it."""
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the folder itself is synced.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
