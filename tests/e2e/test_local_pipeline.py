"""Issue 3's behaviours, shown on the embedded default: HTTP-delivered stage functions, the
durable queue and SQLite jobs, in one LocalServer on 127.0.0.1."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import TOKEN, finished, short_config, wait_for_job
from trendreel import pipeline
from trendreel.bootstrap import build_providers
from trendreel.errors import MediaError, ProviderUnavailableError
from trendreel.local_server import LocalServer
from trendreel.models import JobSpec, Stage, StageResult, TrendItem
from trendreel.providers.base import UsageLog
from trendreel.providers.trends.bundled import BundledTrendSource
from trendreel.stages.common import StageFn
from trendreel.stages.context import StageContext

pytestmark = pytest.mark.slow
ALL = [s.value for s in Stage]


class CountingSource:
    """The bundled source, counting how often it is really asked (a stage that ran)."""

    name = "bundled"

    def __init__(self) -> None:
        self.calls = 0
        self._inner = BundledTrendSource()

    def collect(self, now: Any, limit: int, usage: UsageLog) -> list[TrendItem]:
        self.calls += 1
        return self._inner.collect(now, limit, usage)


def count_collections(server: LocalServer) -> CountingSource:
    source = CountingSource()
    providers = build_providers(server.settings)
    server.runtime._providers = type(providers)(
        trend_sources=[source],
        analyzer=providers.analyzer,
        writer=providers.writer,
        tts=providers.tts,
        visuals=providers.visuals,
        music=providers.music,
    )
    return source


class Flaky:
    """Replaces a stage function: raises ``error`` the first ``times`` calls, then runs it."""

    def __init__(self, real: StageFn, error: Exception, times: int) -> None:
        self.real, self.error, self.left = real, error, times

    def __call__(self, job: JobSpec, ctx: StageContext) -> StageResult:
        if self.left > 0:
            self.left -= 1
            raise self.error
        return self.real(job, ctx)


def submit(api: httpx.Client, seconds: int = 5) -> str:
    accepted = api.post("/generate", json={"config": short_config(seconds)})
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["status"] == "queued"
    assert body["poll_url"] == f"/jobs/{body['job_id']}"
    return str(body["job_id"])


def test_a_job_runs_from_generate_to_completed_and_is_approvable(
    server: LocalServer, api: httpx.Client
) -> None:
    job_id = submit(api)
    job = wait_for_job(api, job_id, finished)
    assert job["status"] == "completed", job
    assert job["completed_stages"] == ALL
    assert job["progress_pct"] == 100

    listed = api.get("/videos", params={"status": "generated"}).json()
    assert job_id in [v["id"] for v in listed["videos"]]
    video = api.get(f"/videos/{job_id}").json()
    assert video["qc"]["passed"] is True
    media = httpx.get(server.url + video["media"]["video_url"], headers={"Range": "bytes=0-99"})
    assert media.status_code == 206
    assert len(media.content) == 100
    assert media.content[4:8] == b"ftyp"

    assert api.post(f"/videos/{job_id}/approve").status_code == 200
    assert api.get(f"/videos/{job_id}").json()["review_status"] == "approved"
    again = api.post(f"/videos/{job_id}/reject", json={"reason": "changed my mind"})
    assert again.status_code == 400


def test_a_permanent_failure_is_recorded_and_retry_resumes_from_that_stage(
    server: LocalServer, api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = count_collections(server)
    real = pipeline.STAGE_FUNCTIONS[Stage.COMPOSITION]
    flaky = Flaky(real, MediaError("injected encoder crash"), times=1)
    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, Stage.COMPOSITION, flaky)

    job_id = submit(api)
    failed = wait_for_job(api, job_id, finished)
    assert failed["status"] == "failed"
    assert failed["error"]["stage"] == "composition"
    assert failed["error"]["code"] == "media_error"
    assert "injected encoder crash" in failed["error_message"]
    assert failed["completed_stages"] == ALL[:3]
    home = server.settings.blob_root / "jobs" / job_id
    first_trends = (home / "trend_collection" / "trends.json").stat().st_mtime_ns

    retried = api.post(f"/jobs/{job_id}/retry")
    assert retried.status_code == 202, retried.text
    assert retried.json()["resume_from"] == "composition"
    assert retried.json()["skipping_stages"] == ALL[:3]
    done = wait_for_job(api, job_id, finished)

    assert done["status"] == "completed", done
    assert done["completed_stages"] == ALL
    assert source.calls == 1  # trends were not collected again
    assert (home / "trend_collection" / "trends.json").stat().st_mtime_ns == first_trends
    assert done["stages"]["composition"]["attempts"] == 2
    assert done["stages"]["trend_collection"]["attempts"] == 1
    assert api.post(f"/jobs/{job_id}/retry").status_code == 400  # only failed jobs


def test_a_transient_failure_is_retried_with_backoff_and_never_shows_failed(
    server: LocalServer, api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline.STAGE_FUNCTIONS[Stage.TREND_ANALYSIS]
    flaky = Flaky(real, ProviderUnavailableError("gemini", "503 from upstream"), times=2)
    monkeypatch.setitem(pipeline.STAGE_FUNCTIONS, Stage.TREND_ANALYSIS, flaky)

    job_id = submit(api)
    seen: list[str] = []
    done = wait_for_job(api, job_id, finished, seen=seen)

    assert done["status"] == "completed", done
    assert "failed" not in seen
    assert done["stages"]["trend_analysis"]["attempts"] == 3


def _deliver(server: LocalServer, job_id: str, stage: Stage, generation: int = 1) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = {"job_id": job_id, "stage": stage.value, "generation": generation}
    url = server.settings.function_url(stage.value)
    return httpx.post(url, json=body, headers=headers, timeout=60)


def test_the_same_task_delivered_twice_runs_the_stage_once(tmp_path: Path) -> None:
    from tests.e2e.conftest import e2e_settings

    # No dispatcher: this test is the queue, delivering by hand (twice, then concurrently).
    settings = e2e_settings(tmp_path / "home")
    with LocalServer(settings, dispatch=False) as server:
        source = count_collections(server)
        job_ids = [_create_job(server) for _ in range(2)]

        first = _deliver(server, job_ids[0], Stage.TREND_COLLECTION)
        second = _deliver(server, job_ids[0], Stage.TREND_COLLECTION)
        assert first.status_code == 200, first.text
        assert second.status_code == 200
        assert second.json()["result"] == "already completed"
        assert second.json()["next_task"] == first.json()["next_task"]  # same name: deduped

        results: list[httpx.Response] = []
        barrier = threading.Barrier(2)

        def race() -> None:
            barrier.wait()
            results.append(_deliver(server, job_ids[1], Stage.TREND_COLLECTION))

        threads = [threading.Thread(target=race) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
        outcomes = sorted(r.json()["result"] for r in results)
        # The loser met the winner's live lease (a follow-up task is queued for when it lapses,
        # and finds the stage completed) or came after the winner had finished.
        assert outcomes in (["completed", "deferred"], ["already completed", "completed"])

        assert source.calls == 2  # once per job, never twice for one job
        for job_id in job_ids:
            keys = server.runtime.blobs.list(f"jobs/{job_id}/trend_collection")
            assert keys == [
                f"jobs/{job_id}/trend_collection/result.json",
                f"jobs/{job_id}/trend_collection/trends.json",
            ]
            job = server.runtime.store.get(job_id)
            assert job is not None
            assert job.completed_stages == [Stage.TREND_COLLECTION]
            assert job.stages[Stage.TREND_COLLECTION].attempts == 1
        assert _queued_tasks(server, Stage.TREND_ANALYSIS) == 2  # one next task per job


def _create_job(server: LocalServer) -> str:
    from trendreel import lifecycle
    from trendreel.config import load_default_config
    from trendreel.lifecycle import new_job_id
    from trendreel.models import Trigger

    now = server.runtime.clock()
    job = lifecycle.new_job(new_job_id(now), load_default_config(), now=now, trigger=Trigger.CLI)
    created, _ = server.runtime.store.create(job)
    return created.id


def _queued_tasks(server: LocalServer, stage: Stage) -> int:
    import sqlite3

    with sqlite3.connect(server.settings.home / "queue.sqlite3") as db:
        row = db.execute("SELECT count(*) FROM tasks WHERE stage = ?", (stage.value,)).fetchone()
    return int(row[0])


def test_the_sweeper_drives_a_job_whose_first_task_was_never_enqueued(
    server: LocalServer, api: httpx.Client
) -> None:
    # As if the api crashed between creating the job and enqueueing its first task.
    job_id = _create_job_with(server, short_config(5))
    done = wait_for_job(api, job_id, finished, timeout=120)
    assert done["status"] == "completed", done
    assert done["completed_stages"] == ALL


def _create_job_with(server: LocalServer, config: dict[str, Any]) -> str:
    from trendreel import lifecycle
    from trendreel.config import validate_config
    from trendreel.lifecycle import new_job_id
    from trendreel.models import Trigger

    now = server.runtime.clock()
    job = lifecycle.new_job(new_job_id(now), validate_config(config), now=now, trigger=Trigger.CLI)
    created, _ = server.runtime.store.create(job)
    return created.id
