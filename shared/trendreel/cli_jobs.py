"""CLI commands that talk to the API: generate, jobs, videos (and serve, which hosts it)."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from trendreel.api_client import ApiClient
from trendreel.auth_token import local_token, redacted
from trendreel.google_auth import gcloud_identity_token
from trendreel.models import Stage
from trendreel.settings import Settings

POLL_SECONDS = 1.0
BAR = 20


def add_commands(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the api, every stage function and the queue locally")
    serve.add_argument("--port", type=int, help="port on 127.0.0.1 (default TRENDREEL_PORT, 8080)")
    gen = sub.add_parser("generate", help="submit a job (and with --wait, follow it)")
    gen.add_argument("--theme")
    gen.add_argument("--config", type=Path, help="theme config file (YAML or JSON)")
    gen.add_argument("--wait", action="store_true", help="follow the job until it finishes")
    gen.add_argument("--api", help="API base URL (default: an embedded local server)")
    gen.add_argument("--idempotency-key")
    jobs = sub.add_parser("jobs", help="list, show or retry jobs")
    jobs.add_argument("action", choices=["list", "show", "retry"])
    jobs.add_argument("job_id", nargs="?")
    jobs.add_argument("--status")
    jobs.add_argument("--limit", type=int, default=20)
    jobs.add_argument("--api")
    videos = sub.add_parser("videos", help="list, approve or reject videos")
    videos.add_argument("action", choices=["list", "approve", "reject"])
    videos.add_argument("video_id", nargs="?")
    videos.add_argument("--status")
    videos.add_argument("--reason")
    videos.add_argument("--limit", type=int, default=20)
    videos.add_argument("--api")


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
            _print(api.jobs(args.status, args.limit))
        elif args.action == "show":
            _print(api.job(_need(args.job_id, "JOB_ID")))
        else:
            _print(api.retry(_need(args.job_id, "JOB_ID")))
    return 0


def videos(settings: Settings, args: argparse.Namespace) -> int:
    with api_for(settings, args.api) as api:
        if args.action == "list":
            _print(api.videos(args.status, args.limit))
        else:
            video_id = _need(args.video_id, "VIDEO_ID")
            _print(api.review(video_id, args.action == "approve", args.reason))
    return 0


def _need(value: str | None, name: str) -> str:
    if not value:
        from trendreel.errors import ConfigError

        raise ConfigError(f"{name} is required for this action", field=name)
    return value


def _print(body: dict[str, Any]) -> None:
    print(json.dumps(body, indent=2))
