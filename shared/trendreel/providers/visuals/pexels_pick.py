"""Pexels search answers, the queries we send, and how one clip file is picked per scene.

A usable file is a portrait (height > width) MP4. Among usable files the pick prefers, in order:
a clip at least as long as the scene, a file at least 1080x1920, the pixel count closest to
1080x1920, then a seed-dependent but deterministic tie-break.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from pydantic import BaseModel, Field

from trendreel.models import Scene, Script

TARGET_WIDTH, TARGET_HEIGHT = 1080, 1920
MAX_QUERY_WORDS = 3

#: Stock-footage words for each visual intent: the broadest query we try.
INTENT_QUERIES: dict[str, str] = {
    "hook": "surprise",
    "explain": "explaining",
    "list": "notebook",
    "stat": "data",
    "contrast": "contrast",
    "story": "people",
    "cta": "smartphone",
}

_STOPWORD_TEXT = (
    "a about after all also an and any are as at be because been but by can could did do does "
    "for from get got had has have here how i if in into is it its just let like make more most "
    "my no not now of on one only or our out over so some than that the their them then there "
    "these they this those to too up us very was we were what when where which while who why "
    "will with would you your yours"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[a-z][a-z'-]+")


class PexelsFile(BaseModel):
    id: int
    file_type: str = ""
    width: int | None = None
    height: int | None = None
    link: str


class PexelsUser(BaseModel):
    name: str = ""


class PexelsVideo(BaseModel):
    id: int
    url: str = ""
    duration: float = 0.0
    user: PexelsUser = Field(default_factory=PexelsUser)
    video_files: list[PexelsFile] = Field(default_factory=list)


class SearchAnswer(BaseModel):
    videos: list[PexelsVideo]


@dataclass(frozen=True)
class Pick:
    video: PexelsVideo
    file: PexelsFile
    width: int
    height: int


def content_words(text: str, limit: int = MAX_QUERY_WORDS) -> list[str]:
    words = (w.strip("'-") for w in _WORD.findall(text.lower()))
    return list(dict.fromkeys(w for w in words if len(w) > 2 and w not in STOPWORDS))[:limit]


def scene_query(scene: Scene) -> str:
    keywords = [" ".join(k.split()) for k in scene.keywords if k.strip()]
    if keywords:
        return " ".join(keywords[:MAX_QUERY_WORDS])
    return " ".join(content_words(f"{scene.on_screen_text} {scene.narration}"))


def queries_for(scene: Scene, script: Script) -> list[str]:
    """Narrowest first: the scene's keywords, the title's words, the visual intent."""
    candidates = [
        scene_query(scene),
        " ".join(content_words(script.title)),
        INTENT_QUERIES[scene.visual_intent],
    ]
    return list(dict.fromkeys(q for q in candidates if q))


def pick(
    videos: list[PexelsVideo], scene_seconds: float, seed: int, exclude: set[int]
) -> Pick | None:
    options = [
        Pick(video, f, f.width, f.height)
        for video in videos
        if video.id not in exclude
        for f in video.video_files
        if f.width and f.height and f.height > f.width and f.file_type.lower() == "video/mp4"
    ]
    if not options:
        return None
    return min(options, key=lambda p: _rank(p, scene_seconds, seed))


def _rank(p: Pick, scene_seconds: float, seed: int) -> tuple[int, int, int, int]:
    too_short = int(p.video.duration < scene_seconds)
    too_small = int(p.width < TARGET_WIDTH or p.height < TARGET_HEIGHT)
    distance = abs(p.width * p.height - TARGET_WIDTH * TARGET_HEIGHT)
    tie = zlib.crc32(f"{seed}:{p.video.id}:{p.file.id}".encode())
    return too_short, too_small, distance, tie


def describe(p: Pick, query: str, scene_seconds: float, reused: bool) -> str:
    by = f" by {p.video.user.name}" if p.video.user.name else ""
    scene = f"the {scene_seconds:.1f}s scene"
    fit = f"covers {scene}" if p.video.duration >= scene_seconds else f"is shorter than {scene}"
    note = "; reused, no unused clip matched" if reused else ""
    return (
        f'Pexels clip {p.video.id}{by} for "{query}": {p.width}x{p.height} mp4, '
        f"{p.video.duration:g}s {fit}{note}"
    )
