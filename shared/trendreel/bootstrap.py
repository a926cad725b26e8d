"""The one place where adapters and providers are chosen from settings.

Real providers check their credentials in their constructors, so a missing key fails here, at
start, with the name of the setting, before any stage runs. Adapters are chosen by
``settings.backend``: ``local`` (SQLite jobs, a durable SQLite-backed task queue, a local
folder) or ``gcp`` (Firestore, Cloud Tasks, Cloud Storage). Google Cloud clients are imported
only when the gcp backend is chosen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from trendreel.clock import utc_now
from trendreel.errors import ProviderNotConfiguredError
from trendreel.google_auth import GoogleCerts
from trendreel.models.publishing import PublishPlatform
from trendreel.ports import BlobStore, JobStore, TaskQueue
from trendreel.providers.base import (
    Analyzer,
    MusicProvider,
    ScriptWriter,
    SpeechSynthesizer,
    TrendSource,
    VisualProvider,
)
from trendreel.providers.publish.base import Publisher
from trendreel.settings import Settings
from trendreel.stages.context import Providers
from trendreel.webhooks.ports import WebhookStore


def trend_sources(settings: Settings) -> list[TrendSource]:
    sources: list[TrendSource] = []
    for name in dict.fromkeys(settings.trend_sources):  # de-duplicated, order kept
        if name == "bundled":
            from trendreel.providers.trends.bundled import BundledTrendSource

            sources.append(BundledTrendSource())
        elif name == "youtube":
            from trendreel.providers.trends.youtube import YouTubeTrendSource

            sources.append(YouTubeTrendSource(settings))
        elif name == "google_trends":
            from trendreel.providers.trends.google_trends import GoogleTrendsSource

            sources.append(GoogleTrendsSource(settings))
        elif name == "tiktok":
            from trendreel.providers.trends.apify_tiktok import ApifyTikTokSource

            sources.append(ApifyTikTokSource(settings))
        else:
            from trendreel.providers.trends.file_source import FileTrendSource

            sources.append(FileTrendSource(settings))
    if not sources:
        raise ProviderNotConfiguredError("trends", "TRENDREEL_TREND_SOURCES")
    return sources


def analyzer(settings: Settings) -> Analyzer:
    """The analyzer, with the embedder that measures how close its topics are to the theme."""
    if settings.analyzer == "gemini":
        from trendreel.providers.llm.gemini import GeminiAnalyzer
        from trendreel.providers.llm.gemini_embedder import GeminiEmbedder
        from trendreel.providers.llm.theme_fitted import ThemeFittedAnalyzer

        return ThemeFittedAnalyzer(GeminiAnalyzer(settings), GeminiEmbedder(settings))
    from trendreel.providers.llm.minilm import MiniLmEmbedder
    from trendreel.providers.llm.offline_analyzer import OfflineAnalyzer

    return OfflineAnalyzer(MiniLmEmbedder())


def writer(settings: Settings) -> ScriptWriter:
    if settings.writer == "gemini":
        from trendreel.providers.llm.gemini import GeminiScriptWriter

        return GeminiScriptWriter(settings)
    from trendreel.providers.llm.offline_writer import OfflineScriptWriter

    return OfflineScriptWriter()


def tts(settings: Settings) -> SpeechSynthesizer:
    if settings.tts == "google":
        from trendreel.providers.tts.google_tts import GoogleTextToSpeech

        return GoogleTextToSpeech(settings)
    if settings.tts == "espeak":
        from trendreel.providers.tts.espeak import EspeakSynthesizer

        return EspeakSynthesizer(settings.espeak_voice)
    from trendreel.providers.tts.piper import PiperSynthesizer

    # The voice's model, patched to report phoneme durations, is cached per home on first use.
    return PiperSynthesizer(settings.home / "models")


def visuals(settings: Settings) -> VisualProvider:
    if settings.visuals == "pexels":
        from trendreel.providers.visuals.pexels import PexelsVisuals

        return PexelsVisuals(settings)
    from trendreel.providers.visuals.procedural import ProceduralVisuals

    return ProceduralVisuals()


def music(settings: Settings) -> MusicProvider:
    if settings.music == "library":
        if not settings.music_library:
            raise ProviderNotConfiguredError("music_library", "TRENDREEL_MUSIC_LIBRARY")
        from trendreel.providers.music.library import MusicLibrary

        return MusicLibrary(settings.music_library)
    from trendreel.providers.music.generated import GeneratedMusic

    return GeneratedMusic()


def publisher(settings: Settings, platform: PublishPlatform) -> Publisher:
    """The platform's publisher, on the account connected for it (``trendreel accounts
    connect``); an account that is not connected fails the publication with that command."""
    from trendreel.accounts import access_tokens

    tokens = access_tokens(settings, platform)
    if platform == PublishPlatform.YOUTUBE:
        from trendreel.providers.publish.youtube import YouTubePublisher

        return YouTubePublisher(settings, tokens)
    from trendreel.providers.publish.tiktok import TikTokPublisher

    return TikTokPublisher(settings, tokens)


def build_providers(settings: Settings) -> Providers:
    return Providers(
        trend_sources=trend_sources(settings),
        analyzer=analyzer(settings),
        writer=writer(settings),
        tts=tts(settings),
        visuals=visuals(settings),
        music=music(settings),
    )


@dataclass
class Runtime:
    """Everything a function needs, built once per process. What only some functions use is
    built on first use and then kept here, never in a module-level cache."""

    settings: Settings
    store: JobStore
    queue: TaskQueue
    blobs: BlobStore
    clock: Callable[[], datetime] = utc_now
    _providers: Providers | None = field(default=None, repr=False)
    # Built on first use per platform; tests may hand in their own.
    publishers: dict[PublishPlatform, Publisher] = field(default_factory=dict, repr=False)
    _certs: GoogleCerts | None = field(default=None, repr=False)
    _webhooks: WebhookStore | None = field(default=None, repr=False)
    _storage: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def providers(self) -> Providers:
        """Built on first use: the api never needs them, stage functions always do."""
        with self._lock:
            if self._providers is None:
                self._providers = build_providers(self.settings)
            return self._providers

    def publisher(self, platform: PublishPlatform) -> Publisher:
        """Only the publish function and the metrics collector need one."""
        with self._lock:
            if platform not in self.publishers:
                self.publishers[platform] = publisher(self.settings, platform)
            return self.publishers[platform]

    def webhooks(self) -> WebhookStore:
        """Registered endpoints and events, next to the jobs (one Firestore client on gcp)."""
        with self._lock:
            if self._webhooks is None:
                from trendreel.webhooks.stores import build_webhook_store

                self._webhooks = build_webhook_store(
                    self.settings, getattr(self.store, "client", None)
                )
            return self._webhooks

    def google_certs(self) -> GoogleCerts:
        """Google's token certificates, fetched on first use and cached by their max-age."""
        with self._lock:
            if self._certs is None:
                self._certs = GoogleCerts(self.settings.google_certs_url)
            return self._certs

    def storage_client(self) -> Any:
        """A Cloud Storage client (gs:// config roots and music libraries), made on first use."""
        with self._lock:
            if self._storage is None:
                from google.cloud import storage  # type: ignore[attr-defined]  # gcp only

                self._storage = storage.Client()
            return self._storage


def build_runtime(settings: Settings) -> Runtime:
    if settings.backend == "gcp":
        return _gcp_runtime(settings)
    from trendreel.adapters.local_blobs import LocalBlobStore
    from trendreel.adapters.local_queue import LocalTaskQueue
    from trendreel.adapters.sqlite_jobs import SqliteJobStore
    from trendreel.auth_token import local_token

    settings.home.mkdir(parents=True, exist_ok=True)
    return Runtime(
        settings=settings,
        store=SqliteJobStore(settings.home / "jobs.sqlite3"),
        queue=LocalTaskQueue(
            settings.home / "queue.sqlite3", settings=settings, auth_token=local_token(settings)
        ),
        blobs=LocalBlobStore(settings.blob_root),
    )


def _gcp_runtime(settings: Settings) -> Runtime:
    if not settings.gcp_project:
        raise ProviderNotConfiguredError("gcp", "TRENDREEL_GCP_PROJECT")
    if not settings.gcs_bucket:
        raise ProviderNotConfiguredError("gcp", "TRENDREEL_GCS_BUCKET")
    from trendreel.adapters.cloud_tasks_queue import CloudTasksQueue
    from trendreel.adapters.firestore_jobs import FirestoreJobStore
    from trendreel.adapters.gcs_blobs import GcsBlobStore

    return Runtime(
        settings=settings,
        store=FirestoreJobStore.from_settings(settings),
        queue=CloudTasksQueue.from_settings(settings),
        blobs=GcsBlobStore.from_settings(settings),
    )
