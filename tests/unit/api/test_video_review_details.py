"""GET /videos/{id} carries what the review page shows: narration, captions and assets."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from pydantic import TypeAdapter

from tests.unit.api.conftest import AUTH
from tests.unit.api.fakes import FakeJobStore, finished_job, store_video
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.models import Asset, CaptionCue, Manifest, Stage
from trendreel.stages.context import key


def _cue(word: str, index: int, chunk: int, start: float) -> CaptionCue:
    return CaptionCue(
        word=word, word_index=index, chunk_index=chunk, start=start, end=start + 0.4,
        box=(0, 0, 10, 10),
    )  # fmt: skip


def test_video_detail_has_narration_captions_and_assets(
    client: FlaskClient, store: FakeJobStore, blobs: LocalBlobStore
) -> None:
    store.create(finished_job("vid-0001"))
    store_video(blobs, "vid-0001", b"mp4")
    manifest_key = key("vid-0001", Stage.REVIEW, "manifest.json")
    manifest = Manifest.model_validate_json(blobs.get_bytes(manifest_key))
    manifest.assets = [
        Asset(key="k/voice.wav", kind="voiceover", source="offline tts", licence="generated",
              provider="tone"),
        Asset(key="k/bg.png", kind="visual", source="https://example.org/p", licence="CC0",
              provider="stock", detail="scene 0"),
    ]  # fmt: skip
    blobs.put_bytes(manifest_key, manifest.model_dump_json().encode())
    cues = [_cue("clear", 0, 0, 0.0), _cue("the", 1, 0, 0.4), _cue("cache", 2, 1, 0.8)]
    blobs.put_bytes(
        key("vid-0001", Stage.COMPOSITION, "captions.json"),
        TypeAdapter(list[CaptionCue]).dump_json(list(reversed(cues))),
    )

    body = client.get("/videos/vid-0001", headers=AUTH).get_json()

    assert body["script"]["narration"] == ["clear the cache"]
    captions = [(c["text"], c["start"], c["end"]) for c in body["captions"]]
    assert captions == [("clear the", 0.0, 0.8), ("cache", 0.8, pytest.approx(1.2))]
    assert [(a["kind"], a["licence"], a["source"]) for a in body["assets"]] == [
        ("voiceover", "generated", "offline tts"),
        ("visual", "CC0", "https://example.org/p"),
    ]


def test_missing_or_unreadable_captions_are_an_empty_list(
    client: FlaskClient, store: FakeJobStore, blobs: LocalBlobStore
) -> None:
    store.create(finished_job("vid-0001"))
    store.create(finished_job("vid-0002"))
    blobs.put_bytes(key("vid-0002", Stage.COMPOSITION, "captions.json"), b'{"not": "cues"}')

    for video_id in ("vid-0001", "vid-0002"):
        body = client.get(f"/videos/{video_id}", headers=AUTH).get_json()
        assert body["captions"] == []
        assert body["assets"] == []
