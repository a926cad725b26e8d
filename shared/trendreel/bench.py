"""``trendreel bench``: composition wall time against the encoder floor, and peak memory.

For each duration the offline providers prepare a job's inputs (stages 1-3, not measured); the
composition stage then runs in a fresh Python process so its peak resident memory is its own
(the ffmpeg encoder it drives is reported separately, as the largest child). Right after, the
bundled ffmpeg re-encodes that very output file with the same preset, CRF and thread count:
the cost of encoding exactly those frames, the floor any compositor pays.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.bootstrap import build_providers
from trendreel.config import apply_overrides, load_default_config
from trendreel.media.ffmpeg import ffmpeg_exe
from trendreel.models import JobSpec, Stage
from trendreel.pipeline import new_job, run_stage
from trendreel.settings import Settings
from trendreel.stages import composition
from trendreel.stages.context import StageContext, key, utc_now


@dataclass
class Figures:
    seconds: int
    video_seconds: float
    compose_wall: float
    floor_wall: float
    ratio: float
    python_peak_mb: float
    encoder_peak_mb: float


def _prepare(settings: Settings, root: Path, seconds: int) -> JobSpec:
    config = apply_overrides(load_default_config(), video_duration_seconds=seconds)
    job = new_job(config, utc_now(), {"trigger": "bench"})
    ctx = StageContext(LocalBlobStore(root), build_providers(settings), settings)
    for stage in (Stage.TREND_COLLECTION, Stage.TREND_ANALYSIS, Stage.CONTENT_GENERATION):
        run_stage(stage, job, ctx)
    return job


def _worker(root: Path, job_path: Path) -> None:
    """Runs in its own process: the composition stage alone, then its resource figures."""
    settings = Settings()
    job = JobSpec.model_validate_json(job_path.read_text())
    ctx = StageContext(LocalBlobStore(root), build_providers(settings), settings)
    started = time.perf_counter()
    result = run_stage(Stage.COMPOSITION, job, ctx)
    wall = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "python_mb": own, "encoder_mb": child,
                      "video_seconds": result.summary["duration_seconds"]}))  # fmt: skip


def _floor(settings: Settings, video: Path, out: Path) -> float:
    enc = composition.encode_settings(settings)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(video)]
    cmd += [*enc.video_args(), *enc.audio_args(), str(out)]
    started = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - started


def measure(settings: Settings, seconds: int, work: Path) -> Figures:
    root = work / f"blobs-{seconds}"
    job = _prepare(settings, root, seconds)
    job_path = work / f"job-{seconds}.json"
    job_path.write_text(job.model_dump_json())
    cmd = [sys.executable, "-m", "trendreel.bench", "worker", str(root), str(job_path)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    worker = json.loads(done.stdout.strip().splitlines()[-1])
    video = LocalBlobStore(root).local_path(key(job.job_id, composition.STAGE, composition.VIDEO))
    floor = _floor(settings, video, work / f"floor-{seconds}.mp4")
    return Figures(
        seconds=seconds,
        video_seconds=float(worker["video_seconds"]),
        compose_wall=round(worker["wall"], 2),
        floor_wall=round(floor, 2),
        ratio=round(worker["wall"] / floor, 2),
        python_peak_mb=round(worker["python_mb"], 1),
        encoder_peak_mb=round(worker["encoder_mb"], 1),
    )


def _median(runs: list[Figures]) -> Figures:
    first = runs[0]
    pick = sorted(runs, key=lambda f: f.ratio)[len(runs) // 2]
    return Figures(
        seconds=first.seconds,
        video_seconds=first.video_seconds,
        compose_wall=pick.compose_wall,
        floor_wall=pick.floor_wall,
        ratio=pick.ratio,
        python_peak_mb=statistics.median(f.python_peak_mb for f in runs),
        encoder_peak_mb=statistics.median(f.encoder_peak_mb for f in runs),
    )


def _print(rows: list[Figures], settings: Settings) -> None:
    enc = composition.encode_settings(settings)
    print(f"machine: {os.cpu_count()} cores; x264 preset={enc.preset} crf={enc.crf} "
          f"threads={enc.threads}")  # fmt: skip
    print(f"{'target':>6} {'video s':>8} {'compose s':>10} {'floor s':>8} {'ratio':>6} "
          f"{'python MB':>10} {'ffmpeg MB':>10} {'sum MB':>7}")  # fmt: skip
    for f in rows:
        total = f.python_peak_mb + f.encoder_peak_mb
        print(f"{f.seconds:>6} {f.video_seconds:>8.2f} {f.compose_wall:>10.2f} "
              f"{f.floor_wall:>8.2f} {f.ratio:>6.2f} {f.python_peak_mb:>10.1f} "
              f"{f.encoder_peak_mb:>10.1f} {total:>7.1f}")  # fmt: skip
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        growth = (b.python_peak_mb / a.python_peak_mb - 1) * 100
        total = (
            (b.python_peak_mb + b.encoder_peak_mb) / (a.python_peak_mb + a.encoder_peak_mb) - 1
        ) * 100
        print(f"peak memory growth {a.seconds} s -> {b.seconds} s: python {growth:+.1f}%, "
              f"python+ffmpeg {total:+.1f}%")  # fmt: skip


def main(seconds: list[int], runs: int, json_out: Path | None) -> int:
    settings = Settings()
    rows = []
    with tempfile.TemporaryDirectory(prefix="trendreel-bench-") as tmp:
        for s in seconds:
            rows.append(_median([measure(settings, s, Path(tmp)) for _ in range(max(runs, 1))]))
    _print(rows, settings)
    if json_out is not None:
        json_out.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "worker":
    _worker(Path(sys.argv[2]), Path(sys.argv[3]))
