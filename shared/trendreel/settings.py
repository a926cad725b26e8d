"""All runtime settings in one object, read from ``TRENDREEL_*`` environment variables.

Providers are chosen per capability (``TRENDREEL_TTS=piper|espeak|google`` and so on).
Credentials are ``SecretStr`` so they never appear in reprs, logs or API output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TrendSourceName = Literal["bundled", "youtube", "google_trends", "tiktok", "file"]


def _default_sources() -> list[TrendSourceName]:
    return ["bundled"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRENDREEL_", extra="ignore")

    backend: Literal["local", "gcp"] = "local"
    home: Path = Field(default_factory=lambda: Path.home() / ".trendreel")

    # --- serving, auth and the queue ------------------------------------------------------
    api_token: SecretStr | None = None  # local mode: generated under home/ when unset
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # Where each function is reachable; {name} is the function name (e.g. composition).
    function_url_template: str = "http://127.0.0.1:{port}/functions/{name}/"
    # Per-function URLs, consulted before the template: on Cloud Run every function is its own
    # service with its own URL, e.g. {"composition": "https://composition-xyz.a.run.app/"}.
    function_urls: dict[str, str] = Field(default_factory=dict)
    config_root: str | None = None  # folder or gs://bucket/prefix that config_path resolves in
    queue_name: str = "trendreel-stages"
    # Stage -> Cloud Tasks queue id, one queue per stage (infra/ sets it); unset stages use
    # queue_name. The local queue keeps all stages in one store.
    queue_names: dict[str, str] = Field(default_factory=dict)
    # Cloud Tasks' retry_config of every stage queue, and the local queue's. Sized (infra/tasks.tf
    # explains the arithmetic) so that a 15-minute provider outage is ridden out by retries alone:
    # the waits 10, 20, 40, 80, 160, 300, 300, 300, 300 s add up to 25 minutes before the 10th
    # and last attempt, which records the failure.
    task_max_attempts: int = Field(default=10, ge=1, le=100)
    queue_min_backoff_seconds: float = Field(default=10.0, ge=0)
    queue_max_backoff_seconds: float = Field(default=300.0, ge=0)
    queue_max_doublings: int = Field(default=4, ge=0, le=16)
    queue_concurrency: int = Field(default=2, ge=1, le=64)
    queue_dedupe_seconds: int = Field(default=3600, ge=0)
    sweeper_grace_seconds: int = Field(default=120, ge=0)
    progress_interval_seconds: float = Field(default=1.0, ge=0)
    # A stage's claim lasts this long and a heartbeat renews it every third of it while the stage
    # runs, so a delivery whose function died is noticed within about one lease (not the stage's
    # timeout) and the stage runs again.
    lease_seconds: int = Field(default=30, ge=5, le=600)
    # Per-stage timeout overrides in seconds, e.g. {"composition": 900}: the lease length and the
    # queue's dispatch deadline. Defaults in lifecycle.STAGE_TIMEOUT_SECONDS.
    stage_timeouts: dict[str, int] = Field(default_factory=dict)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)

    # --- Google Cloud (backend = gcp) -----------------------------------------------------
    gcp_project: str | None = None
    gcp_location: str = "us-central1"
    gcs_bucket: str | None = None
    firestore_database: str = "(default)"
    firestore_collection: str = "jobs"
    tasks_service_account: str | None = None  # OIDC identity Cloud Tasks uses to call stages

    # --- auth on Google Cloud -------------------------------------------------------------
    # The api accepts Google-signed ID tokens whose audience is api_audience (its URL) and whose
    # email is allow-listed, and API keys whose SHA-256 (hex) is listed. Stage functions and the
    # sweeper take ID tokens whose audience is their own URL from allowed_callers.
    api_audience: str | None = None
    api_allowed_principals: Annotated[list[str], NoDecode] = Field(default_factory=list)
    api_key_hashes: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Cloud Scheduler's identity: only its calls may name a scheduled run (X-CloudScheduler-*
    # headers become the idempotency key). Locally the token holder may send them.
    scheduler_service_account: str | None = None
    # Cloud Run's invoker IAM check is on for this service (infra/ sets it per service): Cloud Run
    # has verified the caller's Google ID token and forwards it with its signature replaced by
    # SIGNATURE_REMOVED_BY_GOOGLE. The function then reads aud and email from the claims.
    invoker_iam_check: bool = False
    # Stage functions and the sweeper: the service accounts whose ID tokens may call this function
    # (the ones infra/ gives roles/run.invoker on it: the Cloud Tasks invoker, or the scheduler).
    allowed_callers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    google_certs_url: str = "https://www.googleapis.com/oauth2/v1/certs"
    signing_service_account: str | None = None  # IAM signBlob identity for signed URLs
    signed_url_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)

    # --- provider choice per capability -------------------------------------------------
    trend_sources: Annotated[list[TrendSourceName], NoDecode] = Field(
        default_factory=_default_sources
    )
    analyzer: Literal["offline", "gemini"] = "offline"
    writer: Literal["offline", "gemini"] = "offline"
    # piper: the neural offline voice (en_US-joe-medium); espeak: espeak-ng's formant voice.
    tts: Literal["piper", "espeak", "google"] = "piper"
    visuals: Literal["procedural", "pexels"] = "procedural"
    music: Literal["generated", "library"] = "generated"

    # --- trend sources --------------------------------------------------------------------
    trends_per_source: int = Field(default=50, ge=1, le=500)
    trends_file: str | None = None  # local path or gs:// URI (JSON or CSV)
    youtube_api_key: SecretStr | None = None
    youtube_region: str = "US"
    youtube_search_query: str = "#shorts"
    youtube_base_url: str = "https://www.googleapis.com/youtube/v3"
    google_trends_geo: str = "US"
    google_trends_rss_url: str = "https://trends.google.com/trending/rss"
    apify_token: SecretStr | None = None
    apify_actor: str = "clockworks~tiktok-trends-scraper"
    apify_base_url: str = "https://api.apify.com/v2"

    # --- trend analysis -------------------------------------------------------------------
    # A topic a job on the same theme chose within this many days is not chosen again (0: no
    # memory), unless it has since grown this many times over (engagement an hour, now vs then).
    topic_repeat_days: float = Field(default=7.0, ge=0, le=365)
    topic_regrowth_factor: float = Field(default=2.0, ge=1.0)
    # With TRENDREEL_ANALYZER=gemini, the model that measures how close topics are to the theme.
    gemini_embedding_model: str = "gemini-embedding-001"

    # --- LLM ------------------------------------------------------------------------------
    gemini_api_key: SecretStr | None = None
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None

    # --- voice ----------------------------------------------------------------------------
    espeak_voice: str = "en-us"
    google_tts_api_key: SecretStr | None = None
    google_tts_voice: str = "en-US-Neural2-F"
    google_tts_language: str = "en-US"
    google_tts_base_url: str = "https://texttospeech.googleapis.com"

    # --- visuals and music ----------------------------------------------------------------
    pexels_api_key: SecretStr | None = None
    pexels_base_url: str = "https://api.pexels.com"
    music_library: str | None = None  # local folder or gs://bucket/prefix of WAV files

    # --- publishing (YouTube Data API v3, TikTok Content Posting API) ----------------------
    # OAuth clients the accounts are connected through (trendreel accounts connect). The refresh
    # tokens themselves: locally a mode-600 file per platform under home/accounts/; on Cloud Run
    # the Secret Manager secret infra/ mounts as TRENDREEL_{PLATFORM}_ACCOUNT (the same JSON).
    youtube_client_id: str | None = None
    youtube_client_secret: SecretStr | None = None
    youtube_account: SecretStr | None = None
    youtube_upload_base_url: str = "https://www.googleapis.com/upload/youtube/v3"
    google_oauth_authorize_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_oauth_token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL)
    tiktok_client_key: str | None = None
    tiktok_client_secret: SecretStr | None = None
    tiktok_account: SecretStr | None = None
    tiktok_base_url: str = "https://open.tiktokapis.com"
    tiktok_authorize_url: str = "https://www.tiktok.com/v2/auth/authorize/"
    tiktok_token_url: str = "https://open.tiktokapis.com/v2/oauth/token/"  # noqa: S105 (a URL)
    # What a publication asks for unless the request says otherwise.
    publish_privacy: Literal["private", "unlisted", "public"] = "private"
    publish_made_for_kids: bool = False
    # How long one publish delivery waits for the platform to finish processing before it hands
    # the wait back to the queue (the recorded session makes the next delivery only ask).
    publish_poll_seconds: float = Field(default=60.0, ge=0, le=600)

    # --- webhooks ---------------------------------------------------------------------------
    # Signs the events sent to a theme config's webhook_url (endpoints registered with
    # POST /webhooks get a secret of their own). Unset: a config webhook_url is refused.
    webhook_secret: SecretStr | None = None

    # --- HTTP behaviour for real providers ------------------------------------------------
    http_timeout_seconds: float = Field(default=20.0, gt=0)
    http_max_retries: int = Field(default=3, ge=0, le=10)
    http_backoff_seconds: float = Field(default=1.0, ge=0)

    # --- encoding -------------------------------------------------------------------------
    x264_preset: Literal[
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"
    ] = "veryfast"
    x264_crf: int = Field(default=23, ge=0, le=51)
    encoder_threads: int = Field(default=0, ge=0, le=64, description="0 = one per core")

    @field_validator(
        "trend_sources",
        "api_allowed_principals",
        "api_key_hashes",
        "allowed_callers",
        mode="before",
    )
    @classmethod
    def _split_sources(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def blob_root(self) -> Path:
        return self.home / "blobs"

    def function_url(self, name: str) -> str:
        if name in self.function_urls:
            return self.function_urls[name]
        return self.function_url_template.format(name=name, port=self.port)
