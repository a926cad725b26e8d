"""BlobStore on a Cloud Storage bucket (optionally under a prefix): the Google Cloud backend.

Keys follow the same rules as LocalBlobStore (relative, no ``..``, no backslashes; ``a//b`` and
``a/./b`` mean ``a/b``) so a stage behaves the same on both. An object write is atomic in Cloud
Storage: a reader sees the old or the new object, never a partial one, and a rerun overwrites.

Media is streamed both ways: a file larger than ``chunk_size`` goes up as a resumable upload in
chunks of that size, a download is written to a temporary file next to the target and renamed
into place, so memory stays bounded (a Cloud Run /tmp is memory too) and a failed download
leaves nothing behind. Big media leaves through ``signed_url``, never through the API.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path, PurePosixPath

import google.auth.credentials
import requests
from google.api_core.exceptions import NotFound
from google.auth.credentials import AnonymousCredentials
from google.auth.exceptions import DefaultCredentialsError
from google.auth.transport.requests import Request
from google.cloud import storage  # type: ignore[attr-defined]

from trendreel.adapters.gcp_errors import GOOGLE_ERRORS, missing_credentials, translate
from trendreel.errors import BlobNotFoundError, ConfigError, ProviderUnavailableError
from trendreel.settings import Settings

SERVICE = "gcs"
MIB = 1024 * 1024
DEFAULT_CHUNK_SIZE = 8 * MIB
MAX_SIGNED_URL_SECONDS = 7 * 24 * 3600  # the V4 signing limit
_MAX_NAME_BYTES = 1024
_ERRORS: tuple[type[Exception], ...] = (*GOOGLE_ERRORS, requests.RequestException)
_AUTH_HINT = "The runtime service account needs roles/storage.objectAdmin on the bucket."
_SIGNING_HINT = (
    "Signed URLs need credentials that can sign: a service-account key file "
    "(GOOGLE_APPLICATION_CREDENTIALS), or on Cloud Run the runtime service account with "
    "roles/iam.serviceAccountTokenCreator on itself (signing goes through the IAM API)."
)


def _check_key(key: str) -> str:
    """The normalised object key, or ConfigError (same rules as LocalBlobStore)."""
    pure = PurePosixPath(key)
    if (
        not key
        or pure.is_absolute()
        or ".." in pure.parts
        or "\\" in key
        or not pure.parts
        or any(c in key for c in "\r\n\x00")
    ):
        raise ConfigError(f"invalid blob key {key!r}", field="key")
    return pure.as_posix()


def _check_prefix(prefix: str) -> str:
    """ "" or "a/b/": where this store's keys live in the bucket."""
    if not prefix.strip("/"):
        return ""
    try:
        return _check_key(prefix.strip("/")) + "/"
    except ConfigError:
        raise ConfigError(f"invalid bucket prefix {prefix!r}", field="gcs_bucket") from None


def _split_bucket(value: str) -> tuple[str, str]:
    """``bucket``, ``bucket/prefix`` or ``gs://bucket/prefix`` → (bucket, prefix)."""
    bucket, _, prefix = value.removeprefix("gs://").partition("/")
    if not bucket:
        raise ConfigError(f"invalid bucket {value!r}", field="gcs_bucket")
    return bucket, prefix


class GcsBlobStore:
    def __init__(
        self,
        client: storage.Client,
        bucket: str,
        prefix: str = "",
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        signing_service_account: str | None = None,
        max_url_ttl_seconds: int = MAX_SIGNED_URL_SECONDS,
    ) -> None:
        if chunk_size <= 0 or chunk_size % (256 * 1024):
            raise ConfigError("chunk_size must be a positive multiple of 256 KiB", field="chunk")
        if not 1 <= max_url_ttl_seconds <= MAX_SIGNED_URL_SECONDS:
            raise ConfigError(
                f"the signed URL lifetime must be 1 to {MAX_SIGNED_URL_SECONDS} seconds",
                field="signed_url_ttl_seconds",
            )
        self.client = client
        self.bucket = bucket
        self.prefix = _check_prefix(prefix)
        self.chunk_size = chunk_size
        self.signing_service_account = signing_service_account or None
        self.max_url_ttl_seconds = max_url_ttl_seconds
        self._bucket = client.bucket(bucket)

    @classmethod
    def from_settings(cls, settings: Settings) -> GcsBlobStore:
        """Application Default Credentials; STORAGE_EMULATOR_HOST switches to the emulator."""
        if not settings.gcs_bucket:
            raise ConfigError("TRENDREEL_GCS_BUCKET is not set", field="gcs_bucket")
        bucket, prefix = _split_bucket(settings.gcs_bucket)
        try:
            client = storage.Client(project=settings.gcp_project)
        except DefaultCredentialsError as exc:
            raise missing_credentials(SERVICE, exc) from exc
        return cls(
            client,
            bucket,
            prefix,
            signing_service_account=settings.signing_service_account,
            max_url_ttl_seconds=settings.signed_url_ttl_seconds,
        )

    def __repr__(self) -> str:
        return f"GcsBlobStore('gs://{self.bucket}/{self.prefix}')"

    # -- plumbing ------------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        name = self.prefix + _check_key(key)
        if len(name.encode()) > _MAX_NAME_BYTES:
            raise ConfigError(f"blob key too long for Cloud Storage: {key!r}", field="key")
        return name

    def _failure(self, action: str, key: str, exc: Exception) -> Exception:
        what = f"{action} {self.uri(key) if key else f'gs://{self.bucket}/{self.prefix}'}"
        if isinstance(exc, requests.RequestException):  # connection reset, timeout, ...
            return ProviderUnavailableError(SERVICE, f"{what} failed ({type(exc).__name__}: {exc})")
        return translate(SERVICE, what, exc, auth_hint=_AUTH_HINT)

    def _missing_bucket(self, exc: NotFound) -> ConfigError:
        return ConfigError(
            f"bucket gs://{self.bucket} not found ({exc.message})",
            field="gcs_bucket",
            hint="Create the bucket (infra/) or fix TRENDREEL_GCS_BUCKET.",
        )

    # -- BlobStore -----------------------------------------------------------------------------

    def put_bytes(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> str:
        blob = self._bucket.blob(self._name(key))
        try:
            blob.upload_from_string(data, content_type=content_type)
        except NotFound as exc:
            raise self._missing_bucket(exc) from exc
        except _ERRORS as exc:
            raise self._failure("upload", key, exc) from exc
        return self.uri(key)

    def get_bytes(self, key: str) -> bytes:
        blob = self._bucket.blob(self._name(key))
        try:
            data: bytes = blob.download_as_bytes()
        except NotFound as exc:
            raise BlobNotFoundError(key) from exc
        except _ERRORS as exc:
            raise self._failure("download", key, exc) from exc
        return data

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> str:
        blob = self._bucket.blob(self._name(key), chunk_size=self.chunk_size)
        with Path(path).open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            try:
                # size=None makes the client stream a resumable upload chunk by chunk; a known
                # size up to 8 MiB would be sent as one multipart request held in memory.
                blob.upload_from_file(
                    fh, size=size if size <= self.chunk_size else None, content_type=content_type
                )
            except NotFound as exc:
                raise self._missing_bucket(exc) from exc
            except _ERRORS as exc:
                raise self._failure("upload", key, exc) from exc
        return self.uri(key)

    def get_file(self, key: str, path: Path) -> Path:
        blob = self._bucket.blob(self._name(key))  # no chunk_size: one streamed, checked GET
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                blob.download_to_file(fh)
            os.replace(tmp, path)
        except NotFound as exc:
            raise BlobNotFoundError(key) from exc
        except _ERRORS as exc:
            raise self._failure("download", key, exc) from exc
        finally:
            Path(tmp).unlink(missing_ok=True)
        return path

    def exists(self, key: str) -> bool:
        blob = self._bucket.blob(self._name(key))
        try:
            return bool(blob.exists())
        except _ERRORS as exc:
            raise self._failure("check", key, exc) from exc

    def delete_prefix(self, prefix: str) -> int:
        _check_key(prefix.rstrip("/"))  # "" (everything) is refused, as in LocalBlobStore
        deleted = 0
        for key in self.list(prefix):
            try:
                self._bucket.blob(self._name(key)).delete()
            except NotFound:
                continue  # deleted concurrently: not ours to count
            except _ERRORS as exc:
                raise self._failure("delete", key, exc) from exc
            deleted += 1
        return deleted

    def list(self, prefix: str) -> list[str]:
        """Keys equal to ``prefix`` or under ``prefix/`` (``jobs/j1`` excludes ``jobs/j10``)."""
        base = _check_key(prefix.rstrip("/")) if prefix.strip("/") else ""
        full = self.prefix + base
        try:
            names = [b.name for b in self.client.list_blobs(self._bucket, prefix=full)]
        except NotFound as exc:
            raise self._missing_bucket(exc) from exc
        except _ERRORS as exc:
            raise self._failure("list", "", exc) from exc
        keys = (name.removeprefix(self.prefix) for name in names)
        return sorted(k for k in keys if not base or k == base or k.startswith(base + "/"))

    def uri(self, key: str) -> str:
        return f"gs://{self.bucket}/{self._name(key)}"

    # -- Cloud Storage only ----------------------------------------------------------------------

    def signed_url(self, key: str, ttl_seconds: int) -> str:
        """A V4 signed URL that lets anyone holding it GET the object for ``ttl_seconds``, at
        most ``max_url_ttl_seconds`` (TRENDREEL_SIGNED_URL_TTL_SECONDS)."""
        if not 1 <= ttl_seconds <= MAX_SIGNED_URL_SECONDS:
            raise ConfigError(
                f"ttl_seconds must be between 1 and {MAX_SIGNED_URL_SECONDS}", field="ttl_seconds"
            )
        lifetime = min(ttl_seconds, self.max_url_ttl_seconds)
        blob = self._bucket.blob(self._name(key))
        try:
            signer = self._signer()
            url: str = blob.generate_signed_url(
                version="v4", expiration=timedelta(seconds=lifetime), method="GET", **signer
            )
        except _ERRORS as exc:
            raise self._failure("sign a URL for", key, exc) from exc
        return url

    def _signer(self) -> dict[str, str]:
        """Extra arguments for generate_signed_url. None when the credentials hold the private
        key of the signing identity. Otherwise (Cloud Run, GCE: no key on the instance; or
        TRENDREEL_SIGNING_SERVICE_ACCOUNT names another account) that account's email and an
        access token, so the client signs through the IAM Credentials signBlob API: the runtime
        identity needs roles/iam.serviceAccountTokenCreator on the signing account."""
        credentials = getattr(self.client, "_credentials", None)
        wanted = self.signing_service_account
        if isinstance(credentials, google.auth.credentials.Signing) and wanted in (
            None,
            credentials.signer_email,
        ):
            return {}
        can_get_tokens = wanted is not None or hasattr(credentials, "service_account_email")
        if (
            credentials is None
            or isinstance(credentials, AnonymousCredentials)
            or not can_get_tokens
            or not hasattr(credentials, "refresh")
        ):
            kind = type(credentials).__name__
            raise ConfigError(
                f"cannot sign URLs for gs://{self.bucket}: {kind} credentials cannot sign",
                field="credentials",
                hint=_SIGNING_HINT,
            )
        if not credentials.valid:  # also resolves the "default" email on Cloud Run
            credentials.refresh(Request())
        return {
            "service_account_email": wanted or credentials.service_account_email,
            "access_token": credentials.token,
        }
