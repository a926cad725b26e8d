"""The account store: owner-only files written atomically locally, a read-only secret on gcp."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from trendreel.accounts.store import (
    StoredAccount,
    account_path,
    load_account,
    save_account,
)
from trendreel.errors import ConfigError
from trendreel.models.publishing import PublishPlatform
from trendreel.settings import Settings

TOKEN = "1//refresh-token-value-SECRET"


def _account(platform: PublishPlatform = PublishPlatform.YOUTUBE) -> StoredAccount:
    return StoredAccount(
        platform=platform,
        refresh_token=SecretStr(TOKEN),
        scopes=("https://www.googleapis.com/auth/youtube.upload",),
        account_id="UC123",
        account_name="My Channel",
        client_id="client.apps.googleusercontent.com",
        connected_at=datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_saved_account_is_an_owner_only_file_that_loads_back(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    path = save_account(settings, _account())

    assert path == tmp_path / "accounts" / "youtube.json"
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    on_disk = json.loads(path.read_text())
    assert on_disk["refresh_token"] == TOKEN
    assert on_disk["platform"] == "youtube"
    assert load_account(settings, PublishPlatform.YOUTUBE) == _account()
    assert load_account(settings, PublishPlatform.TIKTOK) is None


def test_replacing_an_account_leaves_no_temporary_files_and_keeps_the_mode(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path)
    save_account(settings, _account())
    renewed = _account().model_copy(update={"refresh_token": SecretStr("1//renewed")})
    path = save_account(settings, renewed)

    assert sorted(p.name for p in path.parent.iterdir()) == ["youtube.json"]
    assert _mode(path) == 0o600
    loaded = load_account(settings, PublishPlatform.YOUTUBE)
    assert loaded is not None
    assert loaded.refresh_token.get_secret_value() == "1//renewed"


def test_loose_permissions_are_tightened(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    (tmp_path / "accounts").mkdir(mode=0o755)
    (tmp_path / "accounts").chmod(0o755)
    path = save_account(settings, _account())
    assert _mode(path.parent) == 0o700
    path.chmod(0o644)

    load_account(settings, PublishPlatform.YOUTUBE)

    assert _mode(path) == 0o600


def test_the_token_never_shows_in_repr_or_ordinary_json() -> None:
    account = _account()
    assert TOKEN not in repr(account)
    assert TOKEN not in str(account)
    assert TOKEN not in account.model_dump_json()
    assert TOKEN in account.to_file_json()


def test_a_broken_file_names_itself_but_never_echoes_its_content(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    path = account_path(settings, PublishPlatform.YOUTUBE)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"platform": "youtube", "refresh_token": 12345, "x": TOKEN}))

    with pytest.raises(ConfigError) as caught:
        load_account(settings, PublishPlatform.YOUTUBE)

    assert str(path) in caught.value.message
    assert "refresh_token" in caught.value.message
    assert TOKEN not in caught.value.message
    assert caught.value.__cause__ is None
    assert "accounts connect youtube" in caught.value.hint


def test_a_file_holding_another_platform_is_refused(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    path = account_path(settings, PublishPlatform.TIKTOK)
    path.parent.mkdir(parents=True)
    path.write_text(_account(PublishPlatform.YOUTUBE).to_file_json())

    with pytest.raises(ConfigError, match="holds a youtube account"):
        load_account(settings, PublishPlatform.TIKTOK)


def test_gcp_reads_the_account_from_the_secret_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRENDREEL_BACKEND", "gcp")
    monkeypatch.setenv("TRENDREEL_TIKTOK_ACCOUNT", _account(PublishPlatform.TIKTOK).to_file_json())
    monkeypatch.delenv("TRENDREEL_YOUTUBE_ACCOUNT", raising=False)
    settings = Settings(home=tmp_path)

    loaded = load_account(settings, PublishPlatform.TIKTOK)

    assert loaded == _account(PublishPlatform.TIKTOK)
    assert load_account(settings, PublishPlatform.YOUTUBE) is None
    assert TOKEN not in repr(settings)
    assert not (tmp_path / "accounts").exists()


def test_gcp_accounts_are_read_only(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, backend="gcp")
    with pytest.raises(ConfigError, match="read-only") as caught:
        save_account(settings, _account())
    assert caught.value.field == "TRENDREEL_YOUTUBE_ACCOUNT"
    assert not (tmp_path / "accounts").exists()
