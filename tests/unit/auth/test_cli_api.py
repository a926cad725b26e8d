"""``trendreel ... --api URL``: which credential the CLI sends where. A fake ``gcloud`` on PATH
records its arguments; the identity token it prints is sent, never printed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from trendreel import cli_jobs
from trendreel.errors import ConfigError
from trendreel.settings import Settings

REMOTE = "https://trendreel-api-abc123-uc.a.run.app"
ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJlLWZyb20tZ2Nsb3Vk"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in (
        "TRENDREEL_API_KEY",
        "TRENDREEL_API_TOKEN",
        "TRENDREEL_IMPERSONATE_SERVICE_ACCOUNT",
    ):
        monkeypatch.delenv(name, raising=False)
    return Settings(home=tmp_path / "home", api_token=None)


def fake_gcloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> Path:
    """A ``gcloud`` that runs ``script`` (sh) with its arguments logged to args.txt."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "args.txt"
    gcloud = bin_dir / "gcloud"
    gcloud.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {log}\n{script}\n')
    gcloud.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    return log


def headers(settings: Settings, url: str) -> dict[str, str]:
    client = cli_jobs.remote_client(settings, url)
    try:
        return dict(client._http.headers)
    finally:
        client.close()


def test_a_remote_api_gets_a_gcloud_identity_token_for_its_url(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = fake_gcloud(tmp_path, monkeypatch, f"echo {ID_TOKEN}")

    sent = headers(settings, REMOTE + "/")

    assert sent["authorization"] == f"Bearer {ID_TOKEN}"
    assert log.read_text().splitlines() == [
        "auth",
        "print-identity-token",
        f"--audiences={REMOTE}",
    ]
    out, err = capsys.readouterr()
    assert ID_TOKEN not in out + err


def test_impersonation_asks_gcloud_for_an_email_in_the_token(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_gcloud(tmp_path, monkeypatch, f"echo {ID_TOKEN}")
    monkeypatch.setenv(
        "TRENDREEL_IMPERSONATE_SERVICE_ACCOUNT", "oncall@proj-1.iam.gserviceaccount.com"
    )

    headers(settings, REMOTE)

    assert log.read_text().splitlines()[3:] == [
        "--impersonate-service-account=oncall@proj-1.iam.gserviceaccount.com",
        "--include-email",
    ]


def test_gcloud_not_logged_in_is_a_clear_error(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_gcloud(
        tmp_path,
        monkeypatch,
        'echo "ERROR: (gcloud.auth.print-identity-token) You do not currently have an active '
        'account selected." >&2; exit 1',
    )

    with pytest.raises(ConfigError) as caught:
        cli_jobs.remote_client(settings, REMOTE)

    assert "You do not currently have an active account selected" in caught.value.message
    assert "gcloud auth login" in caught.value.hint
    assert "TRENDREEL_API_KEY" in caught.value.hint


def test_a_user_account_that_cannot_mint_for_an_audience_is_told_how(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_gcloud(
        tmp_path,
        monkeypatch,
        "echo 'WARNING: something unrelated' >&2; "
        "echo 'ERROR: (gcloud.auth.print-identity-token) Invalid account type for "
        "`--audiences`. Requires valid service account.' >&2; exit 1",
    )

    with pytest.raises(ConfigError) as caught:
        cli_jobs.remote_client(settings, REMOTE)

    assert "Invalid account type" in caught.value.message
    assert "TRENDREEL_IMPERSONATE_SERVICE_ACCOUNT" in caught.value.hint


def test_missing_gcloud_is_a_clear_error(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    with pytest.raises(ConfigError, match="gcloud is not installed"):
        cli_jobs.remote_client(settings, REMOTE)


def test_an_api_key_is_sent_as_x_api_key_and_gcloud_is_not_asked(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_gcloud(tmp_path, monkeypatch, "exit 1")
    monkeypatch.setenv("TRENDREEL_API_KEY", "trk_cli-key")

    sent = headers(settings, REMOTE)

    assert sent["x-api-key"] == "trk_cli-key"
    assert "authorization" not in sent
    assert not log.exists()


def test_an_explicit_api_token_is_sent_as_bearer(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_gcloud(tmp_path, monkeypatch, "exit 1")
    with_token = settings.model_copy(update={"api_token": SecretStr("tok-explicit")})

    assert headers(with_token, REMOTE)["authorization"] == "Bearer tok-explicit"
    assert not log.exists()


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080", "http://localhost:9000/", "http://[::1]:8080", "http://127.1.2.3"],
)
def test_a_loopback_api_gets_the_local_token(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    log = fake_gcloud(tmp_path, monkeypatch, "exit 1")

    sent = headers(settings, url)

    local = (settings.home / "api_token").read_text().strip()
    assert sent["authorization"] == f"Bearer {local}"
    assert not log.exists()
