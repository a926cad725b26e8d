"""Fixtures of the publish function's tests: a real SQLite store and blob folder holding one
approved video (a real, tiny MP4), a fake queue, and a publisher double."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from tests.unit.api.fakes import FakeTaskQueue, finished_job, store_video
from tests.unit.publishing.fakes import FakePublisher
from tests.unit.test_runner import Clock
from trendreel import services
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.adapters.sqlite_jobs import SqliteJobStore
from trendreel.bootstrap import Runtime
from trendreel.delivery import TaskDelivery
from trendreel.models import ReviewStatus
from trendreel.models.publishing import Privacy, PublishPlatform, PublishTask
from trendreel.publishing.runner import PublishRunner
from trendreel.settings import Settings

YT = PublishPlatform.YOUTUBE
JOB = "20261202T120000-pub00001"


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("video") / "video.mp4"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i"]
    cmd += ["color=c=navy:s=108x192:r=30:d=0.5", "-f", "lavfi", "-i", "sine=d=0.5"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    subprocess.run([*cmd, "-shortest", str(path)], check=True, capture_output=True)
    return path.read_bytes()


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def rt(tmp_path: Path, video: bytes, publisher: FakePublisher) -> Runtime:
    runtime = Runtime(
        settings=Settings(home=tmp_path / "home"),
        store=SqliteJobStore(tmp_path / "jobs.sqlite3"),
        queue=FakeTaskQueue(),
        blobs=LocalBlobStore(tmp_path / "blobs"),
        clock=Clock(),
    )
    runtime.publishers[YT] = publisher
    runtime.store.create(finished_job(JOB, ReviewStatus.APPROVED))
    store_video(runtime.blobs, JOB, video)
    return runtime


def ask(rt: Runtime) -> PublishTask:
    services.publish_video(rt, JOB, services.PublishAsk([YT], Privacy.PRIVATE))
    queue = rt.queue
    assert isinstance(queue, FakeTaskQueue)
    tasks = [t for t in queue.tasks.values() if isinstance(t, PublishTask)]
    return tasks[-1]


def deliver(rt: Runtime, task: PublishTask, retry_count: int = 0) -> int:
    return PublishRunner(rt).handle(TaskDelivery(payload=task, retry_count=retry_count)).status
