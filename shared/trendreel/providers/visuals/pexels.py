"""Stock footage from Pexels video search, one portrait clip per scene.

Each scene searches with its keywords, then broader queries (see ``pexels_pick.queries_for``)
until a portrait MP4 not used by an earlier scene turns up; a clip already used is taken only
when nothing else matched. Clip files are downloaded without the API key (they live on a CDN)
and stored as ``{key_prefix}/scene_{i:02d}.mp4``. Both go through the outbound-call policy
(``providers.http``), which scrubs the key (sent raw in ``Authorization``, as
https://www.pexels.com/api/documentation/ asks) from every message.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from pydantic import ValidationError

from trendreel.errors import ProviderNotConfiguredError, ProviderResponseError
from trendreel.models import Scene, Script, VisualChoice, VisualPlan
from trendreel.ports import BlobStore
from trendreel.providers.base import UsageLog
from trendreel.providers.http import ServiceClient
from trendreel.providers.visuals.pexels_pick import (
    PexelsVideo,
    Pick,
    SearchAnswer,
    describe,
    pick,
    queries_for,
)
from trendreel.settings import Settings

PROVIDER = "pexels"
SEARCH_PATH = "/videos/search"
PER_PAGE = 15
LICENCE = "Pexels License (free to use, attribution appreciated)"
PALETTES: tuple[tuple[str, ...], ...] = (
    ("#0f172a", "#f8fafc", "#f97316", "#38bdf8"),
    ("#111827", "#fdf6e3", "#e11d48", "#facc15"),
    ("#1e1b4b", "#eef2ff", "#22c55e", "#a855f7"),
    ("#042f2e", "#f0fdfa", "#fb7185", "#2dd4bf"),
)


class PexelsVisuals:
    name = "pexels"

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if settings.pexels_api_key is None or not settings.pexels_api_key.get_secret_value():
            raise ProviderNotConfiguredError(PROVIDER, "TRENDREEL_PEXELS_API_KEY")
        key = settings.pexels_api_key
        self._api = _client(settings, {"Authorization": key.get_secret_value()}, transport, sleep)
        self._files = _client(settings, {}, transport, sleep)

    def choose(
        self,
        script: Script,
        scene_bounds: list[tuple[float, float]],
        seed: int,
        blobs: BlobStore,
        key_prefix: str,
        usage: UsageLog,
    ) -> VisualPlan:
        if len(scene_bounds) != len(script.scenes):
            raise ValueError(f"{len(scene_bounds)} scene bounds for {len(script.scenes)} scenes")
        used: set[int] = set()
        choices = []
        for i, (scene, (start, end)) in enumerate(zip(script.scenes, scene_bounds, strict=True)):
            seconds = max(end - start, 0.0)
            query, chosen, reused = self._find(script, scene, seconds, seed, used, usage)
            key = f"{key_prefix}/scene_{i:02d}.mp4"
            blobs.put_bytes(key, self._download(chosen, scene), "video/mp4")
            used.add(chosen.video.id)
            choices.append(
                _choice(scene, chosen, key, query, describe(chosen, query, seconds, reused))
            )
        palette = list(PALETTES[seed % len(PALETTES)])
        return VisualPlan(provider=PROVIDER, palette=palette, choices=choices)

    def _find(
        self,
        script: Script,
        scene: Scene,
        seconds: float,
        seed: int,
        used: set[int],
        usage: UsageLog,
    ) -> tuple[str, Pick, bool]:
        """The first query that yields an unused clip; else the best reusable one."""
        fallback: tuple[str, Pick] | None = None
        queries = queries_for(scene, script)
        for query in queries:
            videos = self._search(query, usage)
            found = pick(videos, seconds, seed, exclude=used)
            if found is not None:
                return query, found, False
            reusable = pick(videos, seconds, seed, exclude=set())
            if fallback is None and reusable is not None:
                fallback = (query, reusable)
        if fallback is not None:
            return fallback[0], fallback[1], True
        raise ProviderResponseError(
            PROVIDER,
            f"no portrait MP4 footage for scene {scene.index} "
            f"(tried {', '.join(repr(q) for q in queries)})",
        )

    def _search(self, query: str, usage: UsageLog) -> list[PexelsVideo]:
        params = {"query": query, "orientation": "portrait", "size": "medium", "per_page": PER_PAGE}
        answer = self._api.get_json(SEARCH_PATH, params=params)
        usage.record(PROVIDER, "videos.search", 1, "requests")
        try:
            return SearchAnswer.model_validate(answer).videos
        except ValidationError as exc:
            raise ProviderResponseError(
                PROVIDER, f"unexpected search answer ({exc.error_count()} problems)"
            ) from exc

    def _download(self, chosen: Pick, scene: Scene) -> bytes:
        data = self._files.get_bytes(chosen.file.link)
        if not data:
            raise ProviderResponseError(
                PROVIDER, f"empty download for clip {chosen.video.id} (scene {scene.index})"
            )
        return data


def _client(
    settings: Settings,
    headers: dict[str, str],
    transport: httpx.BaseTransport | None,
    sleep: Callable[[float], None],
) -> ServiceClient:
    return ServiceClient.from_settings(
        PROVIDER,
        settings.pexels_base_url,
        settings,
        headers=headers,
        transport=transport,
        sleep=sleep,
    )


def _choice(scene: Scene, chosen: Pick, key: str, query: str, reason: str) -> VisualChoice:
    return VisualChoice(
        scene_index=scene.index,
        kind="video",
        template="footage",
        params={
            "pexels_id": chosen.video.id,
            "width": chosen.width,
            "height": chosen.height,
            "duration": chosen.video.duration,
            "query": query,
        },
        asset_key=key,
        source_url=chosen.video.url,
        provider=PROVIDER,
        licence=LICENCE,
        reason=reason,
    )
