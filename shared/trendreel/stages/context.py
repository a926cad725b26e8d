"""What a stage runs with: providers, blob store, topic history, settings, a clock, progress
and scratch space."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from trendreel.clock import utc_now
from trendreel.models import Stage
from trendreel.models.trends import UsedTopic
from trendreel.ports import BlobStore, TopicHistory
from trendreel.providers.base import (
    Analyzer,
    MusicProvider,
    ScriptWriter,
    SpeechSynthesizer,
    TrendSource,
    UsageLog,
    VisualProvider,
)
from trendreel.settings import Settings

ProgressFn = Callable[[float, str], None]
SCRATCH_PREFIX = "trendreel-"
M = TypeVar("M", bound=BaseModel)


def _no_progress(fraction: float, message: str) -> None:
    return None


class NoTopicHistory:
    """No earlier jobs: ``trendreel render`` runs one job with no job store."""

    def recent_topics(self, theme: str, *, since: datetime, limit: int) -> list[UsedTopic]:
        return []


@dataclass(frozen=True)
class Providers:
    trend_sources: list[TrendSource]
    analyzer: Analyzer
    writer: ScriptWriter
    tts: SpeechSynthesizer
    visuals: VisualProvider
    music: MusicProvider


@dataclass
class StageContext:
    blobs: BlobStore
    providers: Providers
    settings: Settings
    clock: Callable[[], datetime] = utc_now
    progress: ProgressFn = _no_progress
    scratch_dir: Path | None = None  # None: the system temp dir
    usage: UsageLog = field(default_factory=UsageLog)
    topics: TopicHistory = field(default_factory=NoTopicHistory)

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        with private_scratch(self.scratch_dir) as path:
            yield path


@contextmanager
def private_scratch(root: Path | None) -> Iterator[Path]:
    """A private directory under ``root`` (None: the system temp dir), deleted when the block
    ends, whatever happens. Its name carries the process id, so a server can remove what a
    killed process left behind."""
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    prefix = f"{SCRATCH_PREFIX}{os.getpid()}-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=root) as path:
        yield Path(path)


def remove_orphaned_scratch(root: Path) -> int:
    """Delete scratch directories whose process no longer exists; return how many."""
    removed = 0
    for path in root.glob(f"{SCRATCH_PREFIX}*") if root.is_dir() else []:
        pid = path.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def key(job_id: str, stage: Stage, name: str) -> str:
    """Deterministic output keys: a rerun overwrites instead of duplicating."""
    return f"jobs/{job_id}/{stage.value}/{name}"


def put_model(blobs: BlobStore, blob_key: str, model: BaseModel) -> str:
    blobs.put_bytes(blob_key, model.model_dump_json(indent=2).encode(), "application/json")
    return blob_key


def get_model(blobs: BlobStore, blob_key: str, model: type[M]) -> M:
    return model.model_validate_json(blobs.get_bytes(blob_key))
