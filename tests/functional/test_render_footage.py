"""End to end with stock footage: `trendreel render` with the Pexels provider, served by a local
fixture server (real portrait MP4 clips made with the bundled ffmpeg), passes QC."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.http_fixture import FixtureServer, Scripted
from trendreel.cli import main
from trendreel.media.ffmpeg import ffmpeg_exe

pytestmark = pytest.mark.slow
SECRET = "pexels-secret-key-123"


def _clip(path: Path, pattern: str) -> bytes:
    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i"]
    cmd += [f"{pattern}=size=540x960:rate=25:duration=2", "-c:v", "libx264", "-preset"]
    cmd += ["ultrafast", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(cmd, check=True)
    return path.read_bytes()


def _video(video_id: int, link: str) -> dict[str, Any]:
    file = {"id": video_id * 10, "quality": "hd", "file_type": "video/mp4", "width": 540,
            "height": 960, "fps": 25, "link": link}  # fmt: skip
    return {
        "id": video_id,
        "width": 540,
        "height": 960,
        "url": f"https://www.pexels.com/video/clip-{video_id}/",
        "duration": 2,
        "user": {"id": 1, "name": f"Creator {video_id}", "url": "https://www.pexels.com/@c"},
        "video_files": [file],
        "video_pictures": [],
    }


def test_render_with_pexels_footage(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    http_fixture: FixtureServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Still patterns only: a static clip must not freeze the video (QC would flag a frozen
    # stretch), so this also proves the pan over footage.
    patterns = ["smptehdbars", "pal100bars", "smptebars", "pal75bars", "rgbtestsrc", "yuvtestsrc"]
    videos = []
    for n, pattern in enumerate(patterns, start=1):
        data = _clip(tmp_path / f"{n}.mp4", pattern)
        reply = Scripted(200, data, {"Content-Type": "video/mp4"})
        http_fixture.add("GET", f"/files/{n}.mp4", reply)
        videos.append(_video(n, f"{http_fixture.url}/files/{n}.mp4"))
    body = {"page": 1, "per_page": 15, "total_results": len(videos), "videos": videos}
    http_fixture.add("GET", "/videos/search", Scripted.json(body))
    monkeypatch.setenv("TRENDREEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRENDREEL_VISUALS", "pexels")
    monkeypatch.setenv("TRENDREEL_PEXELS_API_KEY", SECRET)
    monkeypatch.setenv("TRENDREEL_PEXELS_BASE_URL", http_fixture.url)
    out = tmp_path / "out"

    assert main(["render", "--duration", "8", "--out", str(out)]) == 0

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["qc"]["passed"], [c for c in manifest["qc"]["checks"] if not c["passed"]]
    footage = [a for a in manifest["assets"] if a["kind"] == "visual:video"]
    assert footage, manifest["assets"]
    assert all(a["provider"] == "pexels" and "Pexels" in a["licence"] for a in footage)
    assert all("pexels.com/video/clip-" in a["source"] for a in footage)
    assert all(a["detail"] for a in footage)  # why the clip was chosen
    searches = [r for r in http_fixture.requests if r.path == "/videos/search"]
    assert searches
    assert all(r.headers["authorization"] == SECRET for r in searches)
    downloads = [r for r in http_fixture.requests if r.path.startswith("/files/")]
    assert all("authorization" not in r.headers for r in downloads)
    printed = capsys.readouterr()
    assert SECRET not in printed.out + printed.err
    assert SECRET not in (out / "manifest.json").read_text()
