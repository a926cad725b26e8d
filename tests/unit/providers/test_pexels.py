"""PexelsVisuals against a scripted videos/search endpoint and clip downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.test_http_client import jittered
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.errors import (
    ProviderAuthError,
    ProviderNotConfiguredError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from trendreel.models import Scene, Script
from trendreel.providers.base import UsageLog, VisualProvider
from trendreel.providers.visuals.pexels import LICENCE, PALETTES, PexelsVisuals
from trendreel.settings import Settings

KEY = "pexels-secret-5555"
SEARCH = "/videos/search"
BOUNDS = [(0.0, 4.0), (4.0, 9.0), (9.0, 12.0)]


def _settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "pexels_api_key": SecretStr(KEY),
        "pexels_base_url": url,
        "http_timeout_seconds": 5.0,
        "http_max_retries": 2,
        "http_backoff_seconds": 0.5,
        **overrides,
    }
    return Settings(**values)


def _script(scene_count: int = 3) -> Script:
    scenes = [
        Scene(
            index=0,
            narration="Your coffee tastes flat because of the beans.",
            visual_intent="hook",
            keywords=["coffee", "beans"],
        ),
        Scene(
            index=1,
            narration="Baristas dial in the grind every morning.",
            visual_intent="explain",
            keywords=["barista", " espresso  machine "],
        ),
        Scene(
            index=2,
            narration="Follow for more morning hacks.",
            visual_intent="cta",
            on_screen_text="Try it today",
        ),
    ][:scene_count]
    return Script(
        title="Three Coffee Hacks Baristas Swear By",
        hook="Your coffee is flat",
        scenes=scenes,
        call_to_action="Follow for more",
        description="Coffee hacks.",
        hashtags=["#coffee"],
        target_seconds=12,
    )


def _file(
    file_id: int, width: int | None, height: int | None, link: str, kind: str = "video/mp4"
) -> dict[str, Any]:
    return {
        "id": file_id,
        "quality": "hd",
        "file_type": kind,
        "width": width,
        "height": height,
        "fps": 25,
        "link": link,
    }


def _video(
    video_id: int, duration: int, files: list[dict[str, Any]], user: str = "Ana Lopez"
) -> dict[str, Any]:
    return {
        "id": video_id,
        "width": 1080,
        "height": 1920,
        "url": f"https://www.pexels.com/video/clip-{video_id}/",
        "image": f"https://images.pexels.com/videos/{video_id}/preview.jpg",
        "duration": duration,
        "user": {"id": 7, "name": user, "url": "https://www.pexels.com/@someone"},
        "video_files": files,
        "video_pictures": [],
    }


def _results(*videos: dict[str, Any]) -> Scripted:
    return Scripted.json(
        {"page": 1, "per_page": 15, "total_results": len(videos), "videos": list(videos)}
    )


def _visuals(
    server: FixtureServer, sleeps: list[float] | None = None, **overrides: Any
) -> PexelsVisuals:
    sleep = sleeps.append if sleeps is not None else (lambda _: None)
    return PexelsVisuals(_settings(server.url, **overrides), sleep=sleep)


def _script_happy_path(server: FixtureServer) -> None:
    url = server.url
    scene0 = _results(
        _video(101, 20, [_file(9011, 1920, 1080, f"{url}/files/101.mp4")]),
        _video(
            102,
            12,
            [
                _file(9020, 1080, 1920, f"{url}/files/102.webm", "video/webm"),
                _file(9021, 1080, 1920, f"{url}/files/102-hd.mp4"),
                _file(9022, 2160, 3840, f"{url}/files/102-4k.mp4"),
                _file(9023, 720, 1280, f"{url}/files/102-sd.mp4"),
                _file(9024, None, None, f"{url}/files/102-raw.mp4"),
            ],
        ),
    )
    scene1 = _results(
        _video(102, 12, [_file(9021, 1080, 1920, f"{url}/files/102-hd.mp4")]),
        _video(103, 3, [_file(9031, 1080, 1920, f"{url}/files/103.mp4")]),
        _video(
            104,
            10,
            [_file(9041, 1440, 2560, f"{url}/files/104.mp4"), _file(9042, 720, 1280, "x")],
            user="Kai",
        ),
    )
    empty = _results()
    scene2 = _results(_video(105, 8, [_file(9051, 720, 1280, f"{url}/files/105.mp4")]))
    server.add("GET", SEARCH, scene0, scene1, empty, scene2)
    for name in ("102-hd", "104", "105"):
        server.add("GET", f"/files/{name}.mp4", Scripted(body=f"mp4:{name}".encode()))


def test_choose_picks_downloads_and_stores_one_clip_per_scene(
    http_fixture: FixtureServer, tmp_path: Path
) -> None:
    _script_happy_path(http_fixture)
    blobs = LocalBlobStore(tmp_path)
    usage = UsageLog()
    visuals: VisualProvider = _visuals(http_fixture)

    plan = visuals.choose(_script(), BOUNDS, 6, blobs, "jobs/j1/visuals", usage)

    assert plan.provider == "pexels"
    assert plan.palette == list(PALETTES[6 % len(PALETTES)])
    keys = [f"jobs/j1/visuals/scene_{i:02d}.mp4" for i in range(3)]
    assert [c.asset_key for c in plan.choices] == keys
    assert [blobs.get_bytes(k) for k in keys] == [b"mp4:102-hd", b"mp4:104", b"mp4:105"]
    first, second, third = plan.choices
    assert (first.scene_index, first.kind, first.template) == (0, "video", "footage")
    assert first.params == {
        "pexels_id": 102,
        "width": 1080,
        "height": 1920,
        "duration": 12.0,
        "query": "coffee beans",
    }
    assert first.source_url == "https://www.pexels.com/video/clip-102/"
    assert (first.provider, first.licence) == ("pexels", LICENCE)
    for text in ('"coffee beans"', "102", "Ana Lopez", "1080x1920", "12s covers the 4.0s scene"):
        assert text in first.reason
    assert second.params["pexels_id"] == 104  # 102 is taken, 103 is shorter than the scene
    assert (second.params["width"], second.params["height"]) == (1440, 2560)
    assert "Kai" in second.reason
    assert third.params["pexels_id"] == 105
    assert third.params["query"] == "three coffee hacks"
    assert "8s covers the 3.0s scene" in third.reason
    assert [(c.provider, c.operation, c.units, c.unit_name) for c in usage.calls] == [
        ("pexels", "videos.search", 1, "requests")
    ] * 4
    assert usage.total_cost() == 0.0


def test_request_shape(http_fixture: FixtureServer, tmp_path: Path) -> None:
    _script_happy_path(http_fixture)
    _visuals(http_fixture).choose(_script(), BOUNDS, 1, LocalBlobStore(tmp_path), "v", UsageLog())

    searches = [r for r in http_fixture.requests if r.path == SEARCH]
    assert [r.query["query"] for r in searches] == [
        ["coffee beans"],
        ["barista espresso machine"],
        ["try today follow"],
        ["three coffee hacks"],
    ]
    for request in searches:
        assert request.headers["authorization"] == KEY
        assert request.query["orientation"] == ["portrait"]
        assert request.query["size"] == ["medium"]
        assert request.query["per_page"] == ["15"]
    downloads = [r for r in http_fixture.requests if r.path.startswith("/files/")]
    assert [r.path for r in downloads] == ["/files/102-hd.mp4", "/files/104.mp4", "/files/105.mp4"]
    assert all("authorization" not in r.headers for r in downloads)


def test_ties_are_broken_by_seed_deterministically(
    http_fixture: FixtureServer, tmp_path: Path
) -> None:
    url = http_fixture.url
    twins = [_video(v, 10, [_file(v * 10, 1080, 1920, f"{url}/files/{v}.mp4")]) for v in (201, 202)]
    http_fixture.add("GET", SEARCH, _results(*twins))
    for v in (201, 202):
        http_fixture.add("GET", f"/files/{v}.mp4", Scripted(body=b"clip"))
    visuals = _visuals(http_fixture)
    script = _script(1)

    def chosen(seed: int) -> Any:
        plan = visuals.choose(script, BOUNDS[:1], seed, LocalBlobStore(tmp_path), "v", UsageLog())
        return plan.choices[0].params["pexels_id"]

    picks = [chosen(seed) for seed in range(8)]
    assert set(picks) == {201, 202}
    assert [chosen(seed) for seed in range(8)] == picks


def test_reuses_a_clip_only_when_nothing_else_matches(
    http_fixture: FixtureServer, tmp_path: Path
) -> None:
    only = _video(301, 30, [_file(3011, 1080, 1920, f"{http_fixture.url}/files/301.mp4")])
    http_fixture.add("GET", SEARCH, _results(only))
    http_fixture.add("GET", "/files/301.mp4", Scripted(body=b"clip-301"))

    plan = _visuals(http_fixture).choose(
        _script(2), BOUNDS[:2], 0, LocalBlobStore(tmp_path), "v", UsageLog()
    )

    assert [c.params["pexels_id"] for c in plan.choices] == [301, 301]
    assert "reused" not in plan.choices[0].reason
    assert "reused" in plan.choices[1].reason
    searches = [r for r in http_fixture.requests if r.path == SEARCH]
    assert len(searches) == 1 + 3  # scene 1 tried every broader query first


def test_scene_without_any_footage_is_response_error(
    http_fixture: FixtureServer, tmp_path: Path
) -> None:
    http_fixture.add("GET", SEARCH, _results())

    with pytest.raises(ProviderResponseError, match="scene 0") as caught:
        _visuals(http_fixture).choose(
            _script(1), BOUNDS[:1], 0, LocalBlobStore(tmp_path), "v", UsageLog()
        )

    assert "'coffee beans', 'three coffee hacks', 'surprise'" in str(caught.value)
    assert len(http_fixture.requests) == 3


def test_unauthorized_is_auth_error_without_the_key(
    http_fixture: FixtureServer, tmp_path: Path
) -> None:
    http_fixture.add("GET", SEARCH, Scripted.json({"error": "Invalid API key"}, status=401))

    with pytest.raises(ProviderAuthError) as caught:
        _visuals(http_fixture).choose(
            _script(), BOUNDS, 0, LocalBlobStore(tmp_path), "v", UsageLog()
        )
    assert KEY not in str(caught.value)
    assert len(http_fixture.requests) == 1


def test_rate_limit_then_success(http_fixture: FixtureServer, tmp_path: Path) -> None:
    clip = _video(401, 10, [_file(4011, 1080, 1920, f"{http_fixture.url}/files/401.mp4")])
    limited = Scripted.json({"error": "Rate limit exceeded"}, status=429)
    http_fixture.add("GET", SEARCH, limited, _results(clip))
    http_fixture.add("GET", "/files/401.mp4", Scripted(body=b"clip-401"))
    sleeps: list[float] = []
    blobs = LocalBlobStore(tmp_path)

    plan = _visuals(http_fixture, sleeps).choose(_script(1), BOUNDS[:1], 0, blobs, "v", UsageLog())

    assert plan.choices[0].params["pexels_id"] == 401
    assert blobs.get_bytes("v/scene_00.mp4") == b"clip-401"
    assert jittered(sleeps, [0.5])


def test_server_errors_exhaust_retries(http_fixture: FixtureServer, tmp_path: Path) -> None:
    http_fixture.add("GET", SEARCH, Scripted.json({"error": "oops"}, status=502))
    sleeps: list[float] = []

    with pytest.raises(ProviderUnavailableError) as caught:
        _visuals(http_fixture, sleeps).choose(
            _script(), BOUNDS, 0, LocalBlobStore(tmp_path), "v", UsageLog()
        )

    assert caught.value.retryable
    assert jittered(sleeps, [0.5, 1.0])
    assert len(http_fixture.requests) == 3


def test_malformed_search_answer_is_response_error(
    http_fixture: FixtureServer, tmp_path: Path
) -> None:
    http_fixture.add("GET", SEARCH, Scripted.json({"photos": [], "page": 1}))

    with pytest.raises(ProviderResponseError, match="unexpected search answer"):
        _visuals(http_fixture).choose(
            _script(), BOUNDS, 0, LocalBlobStore(tmp_path), "v", UsageLog()
        )


def test_missing_key_is_not_configured() -> None:
    with pytest.raises(ProviderNotConfiguredError) as caught:
        PexelsVisuals(_settings("http://127.0.0.1:9", pexels_api_key=None))
    assert caught.value.setting == "TRENDREEL_PEXELS_API_KEY"
    assert caught.value.provider == "pexels"
