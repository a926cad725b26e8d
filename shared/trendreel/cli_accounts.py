"""``trendreel accounts connect youtube|tiktok`` and ``trendreel accounts list [--json]``.

``connect`` runs the OAuth sign-in in a browser and stores the account's refresh token in
``$TRENDREEL_HOME/accounts/`` (owner-only); ``list`` shows which accounts are connected and
what they may do. Neither ever prints a token.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import webbrowser
from datetime import UTC, datetime
from typing import Any, TextIO

from trendreel.accounts.connect import Connection, connect
from trendreel.accounts.platforms import PLATFORMS, PlatformOAuth
from trendreel.accounts.store import account_source, load_account
from trendreel.cli_tables import Column, render
from trendreel.errors import TrendreelError
from trendreel.models.publishing import PublishPlatform
from trendreel.settings import Settings

GOOGLE_SCOPE_PREFIX = "https://www.googleapis.com/auth/"
DEFAULT_SECRET_PREFIX = "trendreel"  # noqa: S105 - infra's name_prefix, not a secret


def add_accounts_parser(subparsers: Any) -> None:
    accounts = subparsers.add_parser("accounts", help="connect and list publishing accounts")
    actions = accounts.add_subparsers(dest="accounts_command", required=True)
    conn = actions.add_parser("connect", help="sign in to a platform and store its account")
    conn.add_argument("platform", choices=[p.value for p in PublishPlatform])
    conn.add_argument("--no-browser", action="store_true", help="print the URL only")
    conn.add_argument(
        "--redirect-port",
        type=_port,
        default=0,
        help="port on 127.0.0.1 for the redirect (default: a free one; TikTok apps that "
        "registered a fixed port need it)",
    )
    conn.add_argument("--timeout", type=float, default=300.0, help="seconds to wait (300)")
    conn.add_argument(
        "--secret-prefix",
        default=DEFAULT_SECRET_PREFIX,
        help="infra's name_prefix, for the Secret Manager command (trendreel)",
    )
    listing = actions.add_parser("list", help="which accounts are connected, and for what")
    listing.add_argument("--json", action="store_true", help="print JSON, for scripts")
    accounts.set_defaults(handler=lambda settings, args: run_accounts(args, settings))


def run_accounts(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    stream = out or sys.stdout
    if args.accounts_command == "connect":
        connection = connect(
            settings,
            args.platform,
            out=stream,
            browser=None if args.no_browser else webbrowser.open,
            redirect_port=args.redirect_port,
            timeout=args.timeout,
        )
        _report(stream, settings, connection, args.secret_prefix)
        return 0
    rows = [_row(settings, oauth) for oauth in PLATFORMS.values()]
    if args.json:
        print(json.dumps(rows, indent=2), file=stream)
    else:
        _table(stream, rows)
    return 0


def _report(out: TextIO, settings: Settings, connection: Connection, prefix: str) -> None:
    account = connection.account
    oauth = PLATFORMS[account.platform]
    name = account.account_name or account.account_id or "an unnamed account"
    print(f"\nConnected {oauth.label}: {name}", file=out)
    print(f"  scopes:  {', '.join(_short(s) for s in account.scopes) or '-'}", file=out)
    print(f"  may:     {', '.join(oauth.allows(account.scopes)) or 'nothing'}", file=out)
    print(f"  stored:  {connection.path} (readable by you only)", file=out)
    if account.refresh_expires_at is not None:
        expires = f"{account.refresh_expires_at:%Y-%m-%d}"
        print(f"  renew:   by {expires}, when the refresh token expires", file=out)
    for missing in connection.not_granted:
        print(f"warning: {_short(missing)} was not granted", file=out)
    for warning in connection.warnings:
        print(f"warning: {warning}", file=out)
    if settings.backend == "gcp" or settings.gcp_project:
        command = [
            "gcloud",
            "secrets",
            "versions",
            "add",
            f"{prefix}-{account.platform.value}-account",
            f"--data-file={connection.path}",
        ]
        if settings.gcp_project:
            command.append(f"--project={settings.gcp_project}")
        print("\nTo publish from Google Cloud, add it as a new version of its secret:", file=out)
        print(f"  {shlex.join(command)}", file=out)


def _row(settings: Settings, oauth: PlatformOAuth) -> dict[str, Any]:
    row: dict[str, Any] = {
        "platform": oauth.platform.value,
        "connected": False,
        "source": account_source(settings, oauth.platform),
    }
    try:
        account = load_account(settings, oauth.platform)
    except TrendreelError as exc:
        return {**row, "error": exc.message}
    if account is None:
        return row
    return {
        **row,
        "connected": True,
        "account_name": account.account_name,
        "account_id": account.account_id,
        "scopes": list(account.scopes),
        "may": oauth.allows(account.scopes),
        "connected_at": account.connected_at.isoformat(),
        "refresh_expires_at": (
            account.refresh_expires_at.isoformat() if account.refresh_expires_at else None
        ),
    }


COLUMNS = (
    Column("PLATFORM"),
    Column("CONNECTED"),
    Column("ACCOUNT", shrinkable=True),
    Column("SCOPES", shrinkable=True),
    Column("MAY", shrinkable=True),
    Column("CONNECTED AT"),
)


def _table(out: TextIO, rows: list[dict[str, Any]]) -> None:
    cells = [
        [
            row["platform"],
            "error" if "error" in row else ("yes" if row["connected"] else "no"),
            row.get("error") or row.get("account_name") or row.get("account_id") or "-",
            ", ".join(_short(s) for s in row.get("scopes", [])) or "-",
            ", ".join(row.get("may", [])) or "-",
            _minute(row.get("connected_at")),
        ]
        for row in rows
    ]
    print("\n".join(render(COLUMNS, cells, width=shutil.get_terminal_size().columns)), file=out)
    if not any(row["connected"] for row in rows):
        print("\nConnect one with: trendreel accounts connect youtube|tiktok", file=out)


def _minute(stamp: str | None) -> str:
    if not stamp:
        return "-"
    return f"{datetime.fromisoformat(stamp).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0-65535)")
    return port


def _short(scope: str) -> str:
    return scope.removeprefix(GOOGLE_SCOPE_PREFIX)
