"""``trendreel render``: one job through all five stages here; deliverables copied out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.bootstrap import build_providers
from trendreel.clock import utc_now
from trendreel.models import Stage, ThemeConfig
from trendreel.pipeline import new_job, run_all
from trendreel.progress import StageProgress
from trendreel.settings import Settings
from trendreel.stages import composition, review
from trendreel.stages.context import StageContext, key

DELIVERABLES = {
    "video.mp4": (composition.STAGE, composition.VIDEO),
    "thumbnail.jpg": (composition.STAGE, composition.THUMBNAIL),
    "manifest.json": (review.STAGE, review.MANIFEST),
}


def render_job(
    settings: Settings, config: ThemeConfig, inputs: dict[str, Any], out: Path, blob_root: Path
) -> int:
    providers = build_providers(settings)  # a real provider without credentials fails here
    blobs = LocalBlobStore(blob_root)
    job = new_job(config, utc_now(), {**inputs, "trigger": "cli"})
    progress = StageProgress()
    ctx = StageContext(
        blobs=blobs, providers=providers, settings=settings, progress=progress.update
    )
    print(f"job {job.job_id}: '{config.config.theme}', {config.config.video_duration_seconds} s")
    try:
        run_all(job, ctx, on_start=progress.start, on_done=progress.done)
    except BaseException:
        progress.failed()
        _save_manifest_if_any(blobs, job.job_id, out)
        raise
    out.mkdir(parents=True, exist_ok=True)
    for name, (stage, blob_name) in DELIVERABLES.items():
        blobs.get_file(key(job.job_id, stage, blob_name), out / name)
    print(f"video: {out / 'video.mp4'}\nthumbnail: {out / 'thumbnail.jpg'}")
    print(f"manifest: {out / 'manifest.json'}")
    return 0


def _save_manifest_if_any(blobs: LocalBlobStore, job_id: str, out: Path) -> None:
    """A QC failure still has a manifest (with the QC report): hand it over for inspection."""
    manifest = key(job_id, Stage.REVIEW, review.MANIFEST)
    if blobs.exists(manifest):
        out.mkdir(parents=True, exist_ok=True)
        blobs.get_file(manifest, out / "manifest.json")
        print(f"manifest (with the QC report): {out / 'manifest.json'}")
