"""No response names a folder of the server: errors name blob keys, file names or what the
client sent. The failures here are real ones (ffmpeg, PyAV, the OS, the local blob store, the
trends file source), recorded on a job as the runner records them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.unit.api.conftest import AUTH
from tests.unit.api.fakes import NOW, FakeJobStore, finished_job, make_job, store_video
from trendreel import lifecycle
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.errors import (
    BlobNotFoundError,
    InternalError,
    ProviderError,
    StageError,
    TrendreelError,
)
from trendreel.media.ffmpeg import run_ffmpeg
from trendreel.media.probe import probe
from trendreel.models import Asset, Job, JobStatus, Manifest, Stage, TrendCollection
from trendreel.providers.base import UsageLog
from trendreel.providers.trends.file_source import FileTrendSource
from trendreel.settings import Settings
from trendreel.stages import trend_collection
from trendreel.stages.context import key

JOB = "job-0042"


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """Where a stage's working files are, as the local server lays it out."""
    path = tmp_path / "home" / "scratch" / "trendreel-4242-x1y2"
    path.mkdir(parents=True)
    return path


def _caught(action: Callable[[], object]) -> TrendreelError:
    """The trendreel error ``action`` ends in, wrapped the way stages.common.execute wraps it."""
    try:
        action()
    except TrendreelError as exc:
        return exc
    except Exception as exc:
        return InternalError(exc)
    raise AssertionError("expected a failure")


def _blob_write_under_a_file(blobs: LocalBlobStore) -> object:
    blobs.put_bytes(key(JOB, Stage.COMPOSITION, "video.mp4"), b"a file where a folder goes")
    return blobs.put_bytes(key(JOB, Stage.COMPOSITION, "video.mp4/part"), b"x")


FAILURES: dict[str, Callable[[Path, LocalBlobStore], object]] = {
    "ffmpeg": lambda scratch, _: run_ffmpeg(
        ["-i", str(scratch / "voice.wav"), "-f", "null", "-"], what="mixing audio"
    ),
    "pyav": lambda scratch, _: probe(scratch / "video.mp4"),
    "os": lambda scratch, _: (scratch / "captions.json").read_bytes(),
    "blob-read": lambda _, blobs: blobs.local_path(key(JOB, Stage.REVIEW, "qc.json")).read_bytes(),
    "blob-store": lambda _, blobs: _blob_write_under_a_file(blobs),
}
FIXED_AT_THE_SOURCE = {"blob-store"}  # the rest is cleaned where it leaves the api
NAMES = {  # what the message says instead of the path
    "ffmpeg": "voice.wav",
    "pyav": "video.mp4",
    "os": "captions.json",
    "blob-read": key(JOB, Stage.REVIEW, "qc.json"),
    "blob-store": key(JOB, Stage.COMPOSITION, "video.mp4/part"),
}


def _failed(job: Job, cause: TrendreelError) -> Job:
    error = StageError(Stage.COMPOSITION.value, cause)
    return lifecycle.fail(job, Stage.COMPOSITION, error, 1, NOW)


def _server_folders(tmp_path: Path, blobs: LocalBlobStore, settings: Settings) -> list[str]:
    return [str(tmp_path), str(blobs.root), str(settings.home), "/tmp/"]


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failed_stage_names_no_server_path(
    client: FlaskClient,
    store: FakeJobStore,
    blobs: LocalBlobStore,
    settings: Settings,
    scratch: Path,
    tmp_path: Path,
    failure: str,
) -> None:
    cause = _caught(lambda: FAILURES[failure](scratch, blobs))
    # What the tools themselves say (ffmpeg, PyAV and the OS name the whole path).
    assert (str(tmp_path) in cause.message) is (failure not in FIXED_AT_THE_SOURCE)
    store.create(_failed(make_job(JOB, status=JobStatus.RUNNING, completed=3), cause))

    detail = client.get(f"/jobs/{JOB}", headers=AUTH)
    listing = client.get("/jobs", headers=AUTH)

    assert detail.status_code == listing.status_code == 200
    error = detail.get_json()["error"]
    assert NAMES[failure] in error["message"]
    assert NAMES[failure] in detail.get_json()["error_message"]
    for body in (detail.get_data(as_text=True), listing.get_data(as_text=True)):
        for folder in _server_folders(tmp_path, blobs, settings):
            assert folder not in body


def test_stage_progress_messages_name_no_server_path(
    client: FlaskClient, store: FakeJobStore, tmp_path: Path
) -> None:
    job = make_job(JOB, status=JobStatus.RUNNING, completed=3)
    run = job.stages[Stage.TREND_COLLECTION].model_copy(
        update={"message": f"wrote {tmp_path}/home/scratch/trendreel-1-a/frames.y4m"}
    )
    store.create(job.model_copy(update={"stages": {**job.stages, Stage.TREND_COLLECTION: run}}))

    body = client.get(f"/jobs/{JOB}", headers=AUTH).get_json()

    assert body["stages"]["trend_collection"]["message"] == "wrote frames.y4m"


def test_a_trend_source_error_names_no_server_path(
    client: FlaskClient, store: FakeJobStore, blobs: LocalBlobStore, tmp_path: Path
) -> None:
    trends_file = tmp_path / "operator" / "trends.json"
    source = FileTrendSource(Settings(trends_file=str(trends_file)))
    _, report = trend_collection._collect_one(source, NOW, 10, UsageLog())
    assert report.error is not None
    assert str(trends_file) in report.error
    store.create(make_job(JOB, status=JobStatus.COMPLETED, completed=len(Stage)))
    collection = TrendCollection(collected_at=NOW, items=[], sources=[report])
    blobs.put_bytes(key(JOB, Stage.TREND_COLLECTION, trend_collection.OUTPUT),
                    collection.model_dump_json().encode())  # fmt: skip

    response = client.get("/trends", headers=AUTH)

    assert response.status_code == 200
    assert "trends file trends.json does not exist" in response.get_json()["sources"][0]["error"]
    assert str(tmp_path) not in response.get_data(as_text=True)


def test_an_asset_from_a_local_music_folder_names_only_its_file(
    client: FlaskClient, store: FakeJobStore, blobs: LocalBlobStore, tmp_path: Path
) -> None:
    store.create(finished_job(JOB))
    store_video(blobs, JOB, b"\x00" * 64)
    manifest_key = key(JOB, Stage.REVIEW, "manifest.json")
    manifest = Manifest.model_validate_json(blobs.get_bytes(manifest_key))
    track = (tmp_path / "music" / "calm-piano.wav").as_uri()  # what MusicLibrary records
    music = Asset(key="k", kind="music", source=track, licence="CC0", provider="library")
    blobs.put_bytes(manifest_key, manifest.model_copy(update={"assets": [music]})
                    .model_dump_json().encode())  # fmt: skip

    response = client.get(f"/videos/{JOB}", headers=AUTH)

    assert response.status_code == 200
    assert response.get_json()["assets"][0]["source"] == "calm-piano.wav"
    assert str(tmp_path) not in response.get_data(as_text=True)


# --- the local blob store names keys ----------------------------------------------------------


def test_local_blob_errors_name_the_key_not_the_folder(blobs: LocalBlobStore) -> None:
    long_key = "jobs/" + "x" * 300 + "/review/qc.json"  # the OS refuses the name itself
    blobs.put_bytes(key(JOB, Stage.COMPOSITION, "video.mp4"), b"a file where a folder goes")
    errors = [
        _caught(lambda: blobs.get_bytes(long_key)),
        _caught(lambda: blobs.put_bytes(long_key, b"x")),
        _caught(lambda: blobs.put_bytes(key(JOB, Stage.COMPOSITION, "video.mp4/x"), b"x")),
    ]

    for error in errors:
        assert isinstance(error, ProviderError)
        assert str(blobs.root) not in error.message
        assert "jobs/" in error.message
    with pytest.raises(FileNotFoundError) as missing:  # no scratch file to store: a bug upstream
        blobs.put_file(key(JOB, Stage.REVIEW, "a"), blobs.root / "scratch" / "render.mp4")
    assert str(blobs.root) not in str(missing.value)
    assert "render.mp4" in str(missing.value)


def test_a_directory_or_file_in_the_way_is_a_missing_blob(
    client: FlaskClient, store: FakeJobStore, blobs: LocalBlobStore
) -> None:
    store.create(make_job(JOB, status=JobStatus.COMPLETED, completed=len(Stage)))
    output = key(JOB, Stage.TREND_COLLECTION, trend_collection.OUTPUT)
    blobs.local_path(output).mkdir(parents=True)  # a folder where the object should be

    with pytest.raises(BlobNotFoundError):
        blobs.get_bytes(output)
    with pytest.raises(BlobNotFoundError):
        blobs.get_bytes(output + "/inside")  # a path through it
    response = client.get("/trends", headers=AUTH)  # was a 500

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "no_trends_yet"


def test_paths_in_text_are_replaced_by_keys_or_names() -> None:
    from trendreel.api.errors import without_server_paths

    home = "/home/ana/.trendreel"
    cases = {
        f"open {home}/blobs/jobs/{JOB}/composition/video.mp4: denied":
            f"open jobs/{JOB}/composition/video.mp4: denied",
        f"see file://{home}/blobs/jobs/{JOB}/review/manifest.json.":
            f"see jobs/{JOB}/review/manifest.json.",
        "No such file or directory: '/tmp/trendreel-1-a/voice.wav'":
            "No such file or directory: 'voice.wav'",
        "cannot load (/layers/pip/site-packages/espeakng_loader/libespeak-ng.so)":
            "cannot load (libespeak-ng.so)",
        # Not server paths: remote endpoints, URLs, fractions, one-segment paths.
        "gemini: POST /v1beta/models/m:generateContent answered HTTP 500":
            "gemini: POST /v1beta/models/m:generateContent answered HTTP 500",
        "GET https://api.pexels.com/v1/search failed; gs://bucket/jobs/a/b/c":
            "GET https://api.pexels.com/v1/search failed; gs://bucket/jobs/a/b/c",
        "2/3 done at 4 MB/s, see /health": "2/3 done at 4 MB/s, see /health",
    }  # fmt: skip

    assert {text: without_server_paths(text) for text in cases} == cases
