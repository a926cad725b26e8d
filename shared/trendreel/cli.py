"""The ``trendreel`` command.

trendreel render [--config FILE] [--duration SECONDS] [--out DIR] [--keep]
trendreel bench [--seconds 30 120] [--runs N]
trendreel accounts connect youtube|tiktok | accounts list [--json]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from trendreel import cli_accounts, cli_jobs, cli_videos
from trendreel.config import apply_overrides, load_config_file, load_default_config
from trendreel.errors import ConfigError, StageError, TrendreelError
from trendreel.models import ThemeConfig
from trendreel.settings import Settings

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trendreel", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="run all five stages here and write a video")
    render.add_argument("--config", type=Path, help="theme config (YAML or JSON)")
    render.add_argument("--duration", type=int, help="target video length in seconds (5-180)")
    render.add_argument("--out", type=Path, default=Path("trendreel-out"), help="output folder")
    render.add_argument("--keep", action="store_true",
                        help="keep every stage output under TRENDREEL_HOME/blobs")  # fmt: skip
    bench = sub.add_parser("bench", help="composition vs encoder-floor benchmark")
    bench.add_argument("--seconds", type=int, nargs="+", default=[30, 120])
    bench.add_argument("--runs", type=int, default=1)
    bench.add_argument("--json", type=Path, help="also write the figures as JSON here")
    # Commands that need settings register here, each with its own handler(settings, args).
    cli_jobs.add_commands(sub)
    cli_videos.add_commands(sub)
    cli_accounts.add_accounts_parser(sub)
    return parser


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "TRENDREEL_" + str(first["loc"][0]).upper() if first["loc"] else "TRENDREEL_*"
        raise ConfigError(f"invalid setting {name}: {first['msg']}", field=name) from exc


def resolve_config(path: Path | None, duration: int | None) -> ThemeConfig:
    config = load_config_file(path) if path is not None else load_default_config()
    return apply_overrides(config, video_duration_seconds=duration)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "bench":
            from trendreel.bench import main as bench_main

            return bench_main(args.seconds, args.runs, args.json)
        if args.command == "render":
            return _render(args)
        return _client_command(args)
    except StageError as exc:
        _report_failure(exc)
        return EXIT_FAILED
    except ConfigError as exc:
        print(f"error: {exc.message}\n  what to do: {exc.hint}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except TrendreelError as exc:
        print(f"error: {exc.message}\n  what to do: {exc.hint}", file=sys.stderr)
        return EXIT_BAD_INPUT if exc.code == "provider_not_configured" else EXIT_FAILED


def _client_command(args: argparse.Namespace) -> int:
    handler: Callable[[Settings, argparse.Namespace], int] = args.handler
    return handler(load_settings(), args)


def _report_failure(exc: StageError) -> None:
    lines = [f"error: stage {exc.stage} failed ({exc.code})", f"  cause: {exc.cause.message}"]
    if exc.provider:
        lines.append(f"  provider: {exc.provider}")
    lines.append(f"  retryable: {'yes' if exc.retryable else 'no'}")
    lines.append(f"  what to do: {exc.hint}")
    print("\n".join(lines), file=sys.stderr)


def _render(args: argparse.Namespace) -> int:
    from trendreel.render_command import render_job

    settings = load_settings()
    config = resolve_config(args.config, args.duration)  # bad input fails here: nothing written
    inputs = {"config_source": str(args.config) if args.config else "<bundled default>"}
    if args.keep:
        return render_job(settings, config, inputs, args.out, settings.blob_root)
    with tempfile.TemporaryDirectory(prefix="trendreel-blobs-") as blobs:
        return render_job(settings, config, inputs, args.out, Path(blobs))


if __name__ == "__main__":
    sys.exit(main())
