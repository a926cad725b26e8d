"""The finished video and its thumbnail: links for clients and the routes that serve them.

Local backend: links point at this api (``/videos/{id}/video.mp4``), signed so a browser can load
them without a bearer header, and the routes stream the local file with Range support. A blob
store that signs its own URLs (Cloud Storage) hands those out instead: responses on Cloud Run are
capped at 32 MiB, so media never flows through the api there.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

import flask

from trendreel.api import inputs, signing, streaming
from trendreel.api.errors import ApiError, not_found
from trendreel.api.routing import Call
from trendreel.api.schemas import MediaLinks, MediaQuery
from trendreel.errors import TrendreelError
from trendreel.models import Job, Stage
from trendreel.stages.context import key
from trendreel.stages.keys import THUMBNAIL, VIDEO

CONTENT_TYPES = {VIDEO: "video/mp4", THUMBNAIL: "image/jpeg"}


@runtime_checkable
class LocalFiles(Protocol):
    def local_path(self, key: str) -> Path: ...


@runtime_checkable
class SignsUrls(Protocol):
    def signed_url(self, key: str, ttl_seconds: int) -> str: ...


def _store_signed(blobs: SignsUrls, blob_key: str) -> str:
    try:
        return blobs.signed_url(blob_key, signing.MEDIA_URL_TTL_SECONDS)
    except TrendreelError as exc:
        # The server cannot sign (credentials, IAM): not the client's fault, so not a 400.
        raise ApiError(503, "media_signing_failed", exc.message) from exc


def _link(call: Call, job: Job, name: str) -> str | None:
    blobs = call.rt.blobs
    blob_key = key(job.id, Stage.COMPOSITION, name)
    if not blobs.exists(blob_key):
        return None
    if isinstance(blobs, SignsUrls) and not isinstance(blobs, LocalFiles):
        return _store_signed(blobs, blob_key)
    path = f"/videos/{job.id}/{name}"
    secret = call.auth.signing_secret()
    if secret is None:
        return call.url(path)  # still usable with the bearer header
    query, _ = signing.signed_query(secret, path, call.rt.clock(), signing.MEDIA_URL_TTL_SECONDS)
    return f"{call.url(path)}?{query}"


def links(call: Call, job: Job) -> MediaLinks:
    video, thumbnail = _link(call, job, VIDEO), _link(call, job, THUMBNAIL)
    ttl = timedelta(seconds=signing.MEDIA_URL_TTL_SECONDS)
    expires = call.rt.clock() + ttl if (video or thumbnail) else None
    return MediaLinks(video_url=video, thumbnail_url=thumbnail, expires_at=expires)


def _serve(call: Call, name: str) -> flask.Response:
    inputs.parse_query(call.request, MediaQuery)
    job = call.job("video_id")
    blobs = call.rt.blobs
    blob_key = key(job.id, Stage.COMPOSITION, name)
    missing = not_found("media_not_found", f"job {job.id} has no {name} yet")
    if isinstance(blobs, LocalFiles):
        path = blobs.local_path(blob_key)
        if not path.is_file():
            raise missing
        try:
            return streaming.send_file(call.request, path, CONTENT_TYPES[name])
        except FileNotFoundError:  # deleted since is_file(); the OS's text names the path
            raise missing from None
    if isinstance(blobs, SignsUrls) and blobs.exists(blob_key):
        return flask.Response(status=302, headers={"Location": _store_signed(blobs, blob_key)})
    raise missing


def video_file(call: Call) -> flask.Response:
    return _serve(call, VIDEO)


def thumbnail_file(call: Call) -> flask.Response:
    return _serve(call, THUMBNAIL)
