"""``videos.insert`` as a resumable upload that never posts the same video twice.

The protocol (https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol):
POST the video resource with ``X-Upload-Content-Length`` / ``X-Upload-Content-Type`` to open a
session, whose URI comes back in ``Location``. PUT the file in chunks (each but the last a
multiple of 256 KiB) with ``Content-Range``; 308 Resume Incomplete acknowledges
``Range: bytes=0-N``, and the request that completes the file answers 201 with the video
resource. An empty PUT with ``Content-Range: bytes */SIZE`` asks where a session stands: 308
(resume after the acknowledged bytes; no Range: from 0), the same 201 again once it finished, 404
once it expired. "Do not assume that the server received all (or none) of the bytes sent":
every next offset is the server's Range, never what was sent.

Exactly once: a new session is recorded (``record``) before its first byte, and a recorded
session is always asked first, so a finished upload is returned instead of repeated. An
interrupted PUT (connection lost, 5xx) is not resent blindly: the session is asked where it
stands and the upload resumes from there, a bounded number of times per call; beyond that the
error goes to the queue, whose retry comes back with the recorded session. That is why the PUTs
go out with ``retries=0``.

Limitation: a session URI has a finite lifetime (undocumented for YouTube; a week for Cloud
Storage). Asked after it ends, even a finished session may answer 404 and the upload would start
again; the queue's retries come within the hour, well inside any plausible lifetime.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from trendreel.errors import (
    ConfigError,
    ProviderError,
    ProviderUnavailableError,
)
from trendreel.models.publishing import RemoteSession
from trendreel.providers.base import UsageLog
from trendreel.providers.publish.base import PublishRequest, RecordSession
from trendreel.providers.publish.youtube_file import check_file, file_blocks, media_type
from trendreel.providers.publish.youtube_http import YouTubeHttp
from trendreel.providers.publish.youtube_quota import COST, NAME
from trendreel.providers.publish.youtube_resource import video_resource
from trendreel.providers.publish.youtube_session import SESSION_ANSWERS, Standing, standing

CHUNK_QUANTUM = 256 * 1024  # every chunk but the last is a multiple of this
MAX_RECOVERIES = 5  # interrupted PUTs recovered within one publish call
MAX_STALLS = 3  # 308s in a row that acknowledge no new byte


def check_chunk_size(chunk_size: int) -> None:
    if chunk_size <= 0 or chunk_size % CHUNK_QUANTUM:
        raise ConfigError(
            f"youtube: chunk_size {chunk_size} is not a positive multiple of 256 KiB",
            field="chunk_size",
        )


class ResumableUpload:
    def __init__(self, http: YouTubeHttp, *, chunk_size: int, now: Callable[[], datetime]) -> None:
        check_chunk_size(chunk_size)
        self._http = http
        self._chunk = chunk_size
        self._now = now

    def run(
        self,
        request: PublishRequest,
        session: RemoteSession | None,
        record: RecordSession,
        usage: UsageLog,
    ) -> dict[str, Any]:
        """The finished upload's video resource, uploading only what the platform lacks."""
        check_file(request)
        if session is not None:
            standing = self.ask(session)
            if standing.video is None and not standing.gone and session.size == request.size:
                standing = self._send(request.video_path, session, standing.received)
            if standing.video is not None:
                return standing.video
            # gone (expired before or while resuming): nothing was posted, open a new session
        standing = self._send(request.video_path, self._open(request, record, usage), 0)
        if standing.video is None:
            message = "the new upload session expired before the upload finished"
            raise ProviderUnavailableError(NAME, message)
        return standing.video

    def ask(self, session: RemoteSession) -> Standing:
        """The status query: an empty PUT with ``Content-Range: bytes */SIZE``."""
        response = self._http.call(
            self._http.upload,
            "PUT",
            session.upload_url,
            body=b"",
            headers={"Content-Range": f"bytes */{session.size}"},
            accept=SESSION_ANSWERS,
            follow_redirects=False,
        )
        return standing(response)

    def _open(
        self, request: PublishRequest, record: RecordSession, usage: UsageLog
    ) -> RemoteSession:
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "X-Upload-Content-Length": str(request.size),
            "X-Upload-Content-Type": media_type(request.video_path),
        }
        params = {"uploadType": "resumable", "part": "snippet,status"}
        body = json.dumps(video_resource(request)).encode()
        response = self._http.call(
            self._http.upload, "POST", "/videos", body=body, headers=headers, params=params
        )
        usage.record(NAME, "videos.insert", *COST["videos.insert"])
        location = response.headers.get("Location")
        if not location:
            raise ProviderUnavailableError(NAME, "videos.insert opened no session (no Location)")
        session = RemoteSession(
            kind="youtube_resumable",
            upload_url=str(response.url.join(location)),
            size=request.size,
            opened_at=self._now(),
        )
        record(session)  # durable before the first byte, or the upload does not start
        return session

    def _send(self, path: Path, session: RemoteSession, offset: int) -> Standing:
        """Chunks from ``offset`` until the session finishes (or turns out gone)."""
        recoveries = 0
        while True:
            try:
                return self._put_chunks(path, session, offset)
            except ProviderError as exc:
                if not exc.retryable or recoveries >= MAX_RECOVERIES:
                    raise
                recoveries += 1
            standing = self.ask(session)  # where did the interrupted PUT leave the session?
            if standing.video is not None or standing.gone:
                return standing
            offset = standing.received

    def _put_chunks(self, path: Path, session: RemoteSession, offset: int) -> Standing:
        stalls = 0
        while True:
            if offset >= session.size:
                message = "the session acknowledged every byte but did not finish the upload"
                raise ProviderUnavailableError(NAME, message)
            standing = self._put(path, session, offset, min(offset + self._chunk, session.size) - 1)
            if standing.video is not None or standing.gone:
                return standing
            stalls = stalls + 1 if standing.received <= offset else 0
            if stalls >= MAX_STALLS:
                message = f"the session stopped accepting bytes at {standing.received}"
                raise ProviderUnavailableError(NAME, message)
            offset = standing.received  # the server's count, whatever was sent

    def _put(self, path: Path, session: RemoteSession, first: int, last: int) -> Standing:
        headers = {
            "Content-Length": str(last - first + 1),
            "Content-Range": f"bytes {first}-{last}/{session.size}",
            "Content-Type": media_type(path),
        }
        response = self._http.call(
            self._http.upload,
            "PUT",
            session.upload_url,
            body=lambda: file_blocks(path, first, last),
            headers=headers,
            retries=0,
            accept=SESSION_ANSWERS,
            follow_redirects=False,
        )
        return standing(response)
