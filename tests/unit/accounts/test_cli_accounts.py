"""`trendreel accounts connect|list` through the parser the lead wires into cli.py."""

from __future__ import annotations

import argparse
import io
import json
import webbrowser
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.support.fakes.oauth import (
    YOUTUBE_READONLY,
    YOUTUBE_UPLOAD,
    Browser,
    FakeGoogleOAuth,
    FakeTikTokOAuth,
)
from tests.unit.accounts.conftest import settings_for
from trendreel.accounts.store import StoredAccount, account_path, save_account
from trendreel.cli_accounts import add_accounts_parser, run_accounts
from trendreel.models.publishing import PublishPlatform
from trendreel.settings import Settings

SECRET = "1//refresh-token-never-shown"


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="trendreel")
    add_accounts_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["accounts", *argv])


def _list(settings: Settings, *argv: str) -> str:
    out = io.StringIO()
    assert run_accounts(_args("list", *argv), settings, out=out) == 0
    return out.getvalue()


def _save_youtube(settings: Settings) -> None:
    save_account(
        settings,
        StoredAccount(
            platform=PublishPlatform.YOUTUBE,
            refresh_token=SecretStr(SECRET),
            scopes=(YOUTUBE_UPLOAD, YOUTUBE_READONLY),
            account_id="UC123",
            account_name="My Channel",
            connected_at=datetime(2025, 3, 1, 12, 30, tzinfo=UTC),
        ),
    )


def test_list_with_nothing_connected(settings: Settings) -> None:
    lines = _list(settings).splitlines()
    assert lines[0].split() == [
        "PLATFORM",
        "CONNECTED",
        "ACCOUNT",
        "SCOPES",
        "MAY",
        "CONNECTED",
        "AT",
    ]
    assert lines[1].split()[:2] == ["youtube", "no"]
    assert lines[2].split()[:2] == ["tiktok", "no"]
    assert "trendreel accounts connect" in lines[-1]


def test_list_shows_account_scopes_and_capabilities_in_aligned_columns(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    _save_youtube(settings)
    lines = _list(settings).splitlines()

    header, youtube, tiktok = lines[:3]
    for column in ("CONNECTED", "ACCOUNT", "SCOPES", "MAY"):
        start = header.index(column)
        assert youtube[start - 1] == " "
        assert youtube[start] != " "
    assert "My Channel" in youtube
    assert "youtube.upload, youtube.readonly" in youtube
    assert "upload, post directly, read statistics" in youtube
    assert "2025-03-01 12:30" in youtube
    assert tiktok.split()[:2] == ["tiktok", "no"]
    assert SECRET not in "\n".join(lines)


def test_list_fits_a_narrow_terminal_by_cutting_free_text(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "70")
    _save_youtube(settings)
    lines = _list(settings).splitlines()[:3]
    assert all(len(line) <= 70 for line in lines)
    assert lines[1].split()[:2] == ["youtube", "yes"]
    assert "…" in lines[1]


def test_list_json_is_for_scripts_and_holds_no_token(settings: Settings) -> None:
    _save_youtube(settings)
    printed = _list(settings, "--json")

    rows = json.loads(printed)
    assert [r["platform"] for r in rows] == ["youtube", "tiktok"]
    youtube, tiktok = rows
    assert youtube["connected"] is True
    assert youtube["account_name"] == "My Channel"
    assert youtube["scopes"] == [YOUTUBE_UPLOAD, YOUTUBE_READONLY]
    assert youtube["may"] == ["upload", "post directly", "read statistics"]
    assert youtube["connected_at"] == "2025-03-01T12:30:00+00:00"
    assert youtube["source"] == str(account_path(settings, PublishPlatform.YOUTUBE))
    assert tiktok == {"platform": "tiktok", "connected": False, "source": tiktok["source"]}
    assert SECRET not in printed


def test_list_reports_a_broken_account_file_without_failing(settings: Settings) -> None:
    path = account_path(settings, PublishPlatform.TIKTOK)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    rows = json.loads(_list(settings, "--json"))
    assert "not valid" in rows[1]["error"]
    assert "error" in _list(settings).splitlines()[2].split()


def test_connect_opens_the_browser_and_reports_without_tokens(
    tmp_path: Path,
    google: FakeGoogleOAuth,
    tiktok: FakeTikTokOAuth,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for(tmp_path, google, tiktok, gcp_project="my-project")
    browser = Browser()
    monkeypatch.setattr(webbrowser, "open", browser)
    args = _args("connect", "tiktok")

    assert args.handler(settings, args) == 0
    browser.join()

    printed = capsys.readouterr().out
    path = account_path(settings, PublishPlatform.TIKTOK)
    assert "Connected TikTok: Trendreel Test Creator" in printed
    assert "upload, post directly, read statistics" in printed
    assert str(path) in printed
    gcloud = (
        f"gcloud secrets versions add trendreel-tiktok-account --data-file={path} "
        "--project=my-project"
    )
    assert gcloud in printed
    assert json.loads(path.read_text())["refresh_token"] not in printed
    for token in tiktok.issued_access:
        assert token not in printed


def test_connect_refuses_a_port_that_is_not_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _args("connect", "tiktok", "--redirect-port", "70000")
    assert "not a port" in capsys.readouterr().err


class _PersonReading(io.StringIO):
    """Stdout as a person reads it with --no-browser: they open the URL printed."""

    def __init__(self, browser: Browser) -> None:
        super().__init__()
        self.browser = browser

    def write(self, text: str) -> int:
        if text.strip().startswith("http") and self.browser.final is None:
            self.browser(text.strip())
        return super().write(text)


def test_connect_without_a_browser_prints_a_url_that_works(
    settings: Settings, google: FakeGoogleOAuth, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_browser(url: str) -> bool:
        raise AssertionError("--no-browser opened a browser")

    monkeypatch.setattr(webbrowser, "open", no_browser)
    browser = Browser()
    out = _PersonReading(browser)

    assert run_accounts(_args("connect", "youtube", "--no-browser"), settings, out=out) == 0
    browser.join()

    assert "Connected YouTube: Trendreel Test Channel" in out.getvalue()
    assert "gcloud" not in out.getvalue()
    assert account_path(settings, PublishPlatform.YOUTUBE).exists()
