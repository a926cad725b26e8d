"""``trendreel bench``: composition against the encoder floor, the narrator, the whole job.

The offline providers prepare each job (stages 1-3, untimed). Composition runs in a fresh process
so its peak memory is its own (its ffmpeg encoder is reported as the largest child); the bundled
ffmpeg then re-encodes that very file with the same preset, CRF and threads: the encoder floor.
The narrator voices the script once more, model loaded: its real-time factor is synthesis over
audio seconds. ``trendreel render`` then runs a whole job in a fresh process (interpreter start
and model loading included), timed against its video. Composition figures are the median run,
narrator and whole-job figures the best (load only adds to them), over ``--runs``.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from trendreel import bootstrap
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.clock import utc_now
from trendreel.config import apply_overrides, load_default_config
from trendreel.media.ffmpeg import ffmpeg_exe
from trendreel.media.probe import probe
from trendreel.models import JobSpec, Script, Stage
from trendreel.pipeline import new_job, run_stage
from trendreel.providers.base import NARRATION_WPM, UsageLog
from trendreel.settings import Settings
from trendreel.stages import composition, content_generation
from trendreel.stages.context import StageContext, get_model, key


@dataclass
class Figures:
    seconds: int
    video_seconds: float
    compose_wall: float
    floor_wall: float
    ratio: float
    python_peak_mb: float
    encoder_peak_mb: float
    voice_seconds: float
    narrator_rtf: float
    job_wall: float
    job_video_seconds: float
    job_ratio: float


def _prepare(settings: Settings, root: Path, seconds: int) -> tuple[JobSpec, float, float]:
    """Stages 1-3 of a job, then (synthesis, audio) seconds of its script voiced once more."""
    config = apply_overrides(load_default_config(), video_duration_seconds=seconds)
    job = new_job(config, utc_now(), {"trigger": "bench"})
    ctx = StageContext(LocalBlobStore(root), bootstrap.build_providers(settings), settings)
    for stage in (Stage.TREND_COLLECTION, Stage.TREND_ANALYSIS, Stage.CONTENT_GENERATION):
        run_stage(stage, job, ctx)
    script_key = key(job.job_id, content_generation.STAGE, content_generation.SCRIPT)
    spent = spoken = 0.0
    tts = ctx.providers.tts
    for scene in get_model(ctx.blobs, script_key, Script).scenes:
        started = time.perf_counter()
        speech = tts.synthesize(scene.narration, scene.index, NARRATION_WPM, UsageLog())
        spent, spoken = spent + time.perf_counter() - started, spoken + speech.duration
    return job, spent, spoken


def _whole_job(seconds: int, work: Path) -> tuple[float, float]:
    """(wall seconds, video seconds) of ``trendreel render`` in a fresh process."""
    out = work / f"render-{seconds}"
    cmd = [sys.executable, "-m", "trendreel.cli", "render", "--duration", str(seconds)]
    started = time.perf_counter()
    subprocess.run([*cmd, "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, probe(out / "video.mp4").video_seconds


def _worker(root: Path, job_path: Path) -> None:
    """Runs in its own process: the composition stage alone, then its resource figures."""
    settings = Settings()
    job = JobSpec.model_validate_json(job_path.read_text())
    ctx = StageContext(LocalBlobStore(root), bootstrap.build_providers(settings), settings)
    started = time.perf_counter()
    result = run_stage(Stage.COMPOSITION, job, ctx)
    wall = time.perf_counter() - started
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "python_mb": _own_peak_mb(), "encoder_mb": child,
                      "video_seconds": result.summary["duration_seconds"]}))  # fmt: skip


def _own_peak_mb() -> float:
    """Linux carries ru_maxrss over exec from the parent (this bench, narrator model loaded),
    so the worker reads its own address space's high-water mark where the kernel shows it."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _floor(settings: Settings, video: Path, out: Path) -> float:
    enc = composition.encode_settings(settings)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(video)]
    cmd += [*enc.video_args(), *enc.audio_args(), str(out)]
    started = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - started


def measure(settings: Settings, seconds: int, work: Path) -> Figures:
    root = work / f"blobs-{seconds}"
    job, spent, spoken = _prepare(settings, root, seconds)
    job_path = work / f"job-{seconds}.json"
    job_path.write_text(job.model_dump_json())
    cmd = [sys.executable, "-m", "trendreel.bench", "worker", str(root), str(job_path)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    worker = json.loads(done.stdout.strip().splitlines()[-1])
    video = LocalBlobStore(root).local_path(key(job.job_id, composition.STAGE, composition.VIDEO))
    floor = _floor(settings, video, work / f"floor-{seconds}.mp4")
    job_wall, job_video = _whole_job(seconds, work)
    return Figures(
        seconds=seconds,
        video_seconds=float(worker["video_seconds"]),
        compose_wall=round(worker["wall"], 2),
        floor_wall=round(floor, 2),
        ratio=round(worker["wall"] / floor, 2),
        python_peak_mb=round(worker["python_mb"], 1),
        encoder_peak_mb=round(worker["encoder_mb"], 1),
        voice_seconds=round(spoken, 2),
        narrator_rtf=round(spent / spoken, 3),
        job_wall=round(job_wall, 2),
        job_video_seconds=round(job_video, 2),
        job_ratio=round(job_wall / job_video, 3),
    )


def _summary(runs: list[Figures]) -> Figures:
    """The median composition run; the best narrator and whole-job runs."""
    pick = sorted(runs, key=lambda f: f.ratio)[len(runs) // 2]
    voice = min(runs, key=lambda f: f.narrator_rtf)
    job = min(runs, key=lambda f: f.job_ratio)
    return replace(
        pick,
        video_seconds=runs[0].video_seconds,
        python_peak_mb=statistics.median(f.python_peak_mb for f in runs),
        encoder_peak_mb=statistics.median(f.encoder_peak_mb for f in runs),
        **{name: getattr(voice, name) for name in ("voice_seconds", "narrator_rtf")},
        **{name: getattr(job, name) for name in ("job_wall", "job_video_seconds", "job_ratio")},
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
        both = (b.python_peak_mb + b.encoder_peak_mb) / (a.python_peak_mb + a.encoder_peak_mb)
        print(f"peak memory growth {a.seconds} s -> {b.seconds} s: python {growth:+.1f}%, "
              f"python+ffmpeg {(both - 1) * 100:+.1f}%")  # fmt: skip


def _print_narrator(rows: list[Figures], settings: Settings, runs: int) -> None:
    tts = bootstrap.tts(settings)
    print(f"narrator {tts.name}:{tts.voice}; best of {runs} run(s)")
    print(f"{'target':>6} {'voice s':>8} {'RTF':>6} {'job s':>7} {'video s':>8} "
          f"{'job/video':>9}")  # fmt: skip
    for f in rows:
        print(f"{f.seconds:>6} {f.voice_seconds:>8.2f} {f.narrator_rtf:>6.3f} "
              f"{f.job_wall:>7.2f} {f.job_video_seconds:>8.2f} {f.job_ratio:>9.3f}")  # fmt: skip


def main(seconds: list[int], runs: int, json_out: Path | None) -> int:
    settings = Settings()
    rows = []
    with tempfile.TemporaryDirectory(prefix="trendreel-bench-") as tmp:
        for s in seconds:
            rows.append(_summary([measure(settings, s, Path(tmp)) for _ in range(max(runs, 1))]))
    _print(rows, settings)
    _print_narrator(rows, settings, max(runs, 1))
    if json_out is not None:
        json_out.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "worker":
    _worker(Path(sys.argv[2]), Path(sys.argv[3]))
