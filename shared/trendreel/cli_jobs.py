"""CLI commands that talk to the API: generate and jobs (and serve, which hosts it)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from trendreel.api_client import ApiClient
from trendreel.auth_token import local_token, redacted
from trendreel.cli_tables import (
    GREEN,
    RED,
    YELLOW,
    Column,
    add_list_options,
    age,
    cell,
    fetch_page,
    items,
    parse_time,
    print_json,
    show_page,
)
from trendreel.google_auth import gcloud_identity_token
from trendreel.models import JobStatus, Stage
from trendreel.settings import Settings

POLL_SECONDS = 1.0
BAR = 20


def add_commands(sub: Any) -> None:
    serve_cmd = sub.add_parser("serve", help="run the api, every stage function and the queue")
    serve_cmd.add_argument("--port", type=int, help="port on 127.0.0.1 (default TRENDREEL_PORT)")
    serve_cmd.set_defaults(handler=lambda settings, args: serve(settings, args.port))
    gen = sub.add_parser("generate", help="submit a job (and with --wait, follow it)")
    gen.add_argument("--theme")
    gen.add_argument("--config", type=Path, help="theme config file (YAML or JSON)")
    gen.add_argument("--wait", action="store_true", help="follow the job until it finishes")
    gen.add_argument("--api", help="API base URL (default: an embedded local server)")
    gen.add_argument("--idempotency-key")
    gen.set_defaults(handler=generate)
    jobs_cmd = sub.add_parser("jobs", help="list, show or retry jobs")
    jobs_cmd.add_argument("action", choices=["list", "show", "retry"])
    jobs_cmd.add_argument("job_id", nargs="?")
    add_list_options(jobs_cmd, [s.value for s in JobStatus])
    jobs_cmd.set_defaults(handler=jobs)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def remote_client(settings: Settings, url: str) -> ApiClient:
    """A client for the api at ``url``: TRENDREEL_API_KEY, else TRENDREEL_API_TOKEN, else (on
    this machine) the local token, else a Google ID token for audience ``url`` from gcloud."""
    api_key = os.environ.get("TRENDREEL_API_KEY", "").strip()
    if api_key:
        return ApiClient(url, api_key=api_key)
    if settings.api_token is not None and settings.api_token.get_secret_value():
        return ApiClient(url, settings.api_token.get_secret_value())
    if _is_loopback(url):
        return ApiClient(url, local_token(settings))
    impersonate = os.environ.get("TRENDREEL_IMPERSONATE_SERVICE_ACCOUNT", "").strip() or None
    return ApiClient(url, gcloud_identity_token(url.rstrip("/"), impersonate=impersonate))


@contextmanager
def api_for(settings: Settings, url: str | None) -> Iterator[ApiClient]:
    """A client for ``url``, or for an embedded local server started for this command."""
    if url:
        client = remote_client(settings, url)
        try:
            yield client
        finally:
            client.close()
        return
    from trendreel.local_server import LocalServer

    with LocalServer(settings.model_copy(update={"port": 0})) as server:
        client = ApiClient(server.url, local_token(settings))
        try:
            yield client
        finally:
            client.close()


def serve(settings: Settings, port: int | None) -> int:
    from trendreel.local_server import LocalServer

    if port is not None:
        settings = settings.model_copy(update={"port": port})
    with LocalServer(settings) as server:
        token = local_token(server.settings)
        print(f"trendreel serving on {server.url} (api, {len(Stage)} stages, sweeper, queue)")
        print(f"token: {redacted(token)} (full token in {settings.home / 'api_token'})")
        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        try:
            while not stop["now"]:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


def generate(settings: Settings, args: argparse.Namespace) -> int:
    config = yaml.safe_load(args.config.read_text("utf-8")) if args.config else None
    with api_for(settings, args.api) as api:
        accepted = api.generate(
            theme=args.theme, config=config, idempotency_key=args.idempotency_key
        )
        job_id = str(accepted["job_id"])
        print(f"job {job_id} queued")
        if not args.wait:
            if not args.api:
                print("it runs while `trendreel serve` runs (the queue keeps it until then)")
            return 0
        # Artifacts are blob keys: the embedded server's blobs are files under TRENDREEL_HOME.
        root = None if args.api else settings.blob_root
        return follow(api, job_id, root)


def follow(api: ApiClient, job_id: str, blob_root: Path | None = None) -> int:
    """Poll until the job ends, drawing one progress line per stage."""
    shown: set[str] = set()
    while True:
        job = api.job(job_id)
        _draw(job, shown)
        if job["status"] == "completed":
            key = (job.get("artifacts") or {}).get("composition", {}).get("video", "?")
            video = str(blob_root / key) if blob_root is not None else key
            print(f"\nvideo ready for review: {video}")
            print(f"approve with: trendreel videos approve {job_id}")
            return 0
        if job["status"] == "failed":
            error = job.get("error") or {}
            print(f"\njob {job_id} failed in stage {error.get('stage')}: {error.get('message')}")
            print(f"  code: {error.get('code')}, retryable: {error.get('retryable')}")
            print(f"  retry with: trendreel jobs retry {job_id}")
            return 1
        time.sleep(POLL_SECONDS)


def _draw(job: dict[str, Any], shown: set[str]) -> None:
    done = set(job.get("completed_stages", []))
    for stage in Stage:
        if stage.value in done and stage.value not in shown:
            shown.add(stage.value)
            print(f"\r[{stage.position + 1}/{len(Stage)}] {stage.value:<18} {'█' * BAR} done")
    current = job.get("stage", "")
    if (
        job.get("status") == "running"
        and current not in shown
        and current in {s.value for s in Stage}
    ):
        progress = (job.get("stages", {}).get(current) or {}).get("progress", 0.0)
        filled = round(BAR * float(progress))
        bar = "█" * filled + "░" * (BAR - filled)
        if sys.stdout.isatty():
            print(f"\r[{Stage(current).position + 1}/{len(Stage)}] {current:<18} {bar}", end="")


def jobs(settings: Settings, args: argparse.Namespace) -> int:
    with api_for(settings, args.api) as api:
        if args.action == "list":
            page = fetch_page(api, "jobs", args.status, args.limit, args.cursor)
            if args.json:
                print_json(page)
            else:
                now = datetime.now(UTC)
                rows = [job_row(job, now) for job in items(page, "jobs")]
                show_page(JOB_COLUMNS, rows, page, "jobs", args)
        elif args.action == "show":
            print_json(api.job(required(args.job_id, "JOB_ID")))
        else:
            print_json(api.retry(required(args.job_id, "JOB_ID")))
    return 0


JOB_COLUMNS = (
    Column("ID"),
    Column("STATUS", colours={"completed": GREEN, "running": YELLOW, "failed": RED}),
    Column("STAGE", shrinkable=True),
    Column("PROGRESS", align="right"),
    Column("THEME", shrinkable=True),
    Column("AGE", align="right"),
)


def job_row(job: Mapping[str, Any], now: datetime) -> list[str]:
    """One job of ``GET /jobs`` as a table row. A failed job's STAGE is the stage that failed."""
    status = cell(job.get("status"))
    error = job.get("error")
    failed_in = error.get("stage") if status == "failed" and isinstance(error, dict) else None
    progress = job.get("progress_pct")
    return [
        cell(job.get("id")),
        status,
        cell(failed_in or job.get("stage")),
        "-"
        if isinstance(progress, bool) or not isinstance(progress, int | float)
        else f"{progress:.0f}%",
        cell(job.get("theme")),
        age(parse_time(job.get("created_at")), now),
    ]


def required(value: str | None, name: str) -> str:
    if not value:
        from trendreel.errors import ConfigError

        raise ConfigError(f"{name} is required for this action", field=name)
    return value
