"""The fake's upload routes: ``videos.insert`` opening a resumable session, and the session
URI taking chunks and status queries (arithmetic in ``youtube_uploads``), with the hooks that
cut a connection mid-chunk or lose an answer after the work is done."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from datetime import datetime

from tests.support.fakes.youtube_errors import Answer, bad_request, not_found
from tests.support.fakes.youtube_uploads import Chunk, Query, UploadSession
from tests.support.fakes.youtube_videos import FakeVideo, check_insert
from tests.support.fakes.youtube_wire import Exchange

AUTH = "https://www.googleapis.com/auth/"
UPLOAD_SCOPES = tuple(AUTH + s for s in ("youtube.upload", "youtube", "youtube.force-ssl"))


class UploadRoutes:
    """Mixed into ``FakeYouTube``, which provides the state and ``_authorize`` / ``_note``."""

    sessions: dict[str, UploadSession]
    videos: dict[str, FakeVideo]
    audited: bool
    processed_after: int
    _lock: threading.RLock
    _interrupt_at: int | None
    _lost: int
    _lose_completion: int
    _now: Callable[[], datetime]

    @property
    def upload_base(self) -> str:
        raise NotImplementedError

    def _authorize(self, exchange: Exchange, scopes: tuple[str, ...]) -> Answer | None:
        raise NotImplementedError

    def _note(self, exchange: Exchange, body: bytes) -> None:
        raise NotImplementedError

    def _open(self, exchange: Exchange, body: bytes) -> Answer:
        if exchange.param("uploadType") != "resumable":
            return bad_request("invalidParameter", "This fake serves uploadType=resumable only.")
        declared = exchange.headers.get("x-upload-content-length", "")
        media = exchange.headers.get("x-upload-content-type", "")
        if not declared.isdigit() or int(declared) <= 0:
            return bad_request("badRequest", "X-Upload-Content-Length is missing.", "global")
        if not (media.startswith("video/") or media == "application/octet-stream"):
            return bad_request("badContent", f"Unsupported content with type: {media}", "global")
        try:
            resource = json.loads(body)
        except json.JSONDecodeError:
            return bad_request("parseError", "Parse Error", "global")
        invalid = check_insert(resource, self._now())
        if invalid is not None:
            return invalid
        upload_id = secrets.token_urlsafe(24)
        parts = exchange.param("part") or "snippet,status"
        self.sessions[upload_id] = UploadSession(upload_id, int(declared), media, resource, parts)
        location = (
            f"{self.upload_base}/videos?uploadType=resumable&upload_id={upload_id}&part={parts}"
        )
        return Answer(200, b"", {"Location": location})

    def _put(self, exchange: Exchange) -> None:
        with self._lock:
            refused = self._authorize(exchange, UPLOAD_SCOPES)
            session = self.sessions.get(exchange.param("upload_id") or "")
        if refused is not None or session is None or session.expired:
            self._note(exchange, b"")
            exchange.answer(refused or not_found())
            return
        plan = session.plan(exchange.headers.get("content-range"), exchange.length)
        if isinstance(plan, Answer):
            self._note(exchange, b"")
            exchange.answer(plan)
        elif isinstance(plan, Query):
            self._note(exchange, b"")
            self._reply(exchange, session)
        else:
            self._receive(exchange, session, plan)

    def _receive(self, exchange: Exchange, session: UploadSession, chunk: Chunk) -> None:
        with self._lock:
            cut_at, start = self._interrupt_at, session.received
            cut = cut_at is not None and chunk.first == start < cut_at < start + chunk.length
            if cut:
                self._interrupt_at = None
        body = exchange.read(cut_at - start if cut and cut_at is not None else None)
        self._note(exchange, body)
        with self._lock:
            if session.write(chunk, body):
                self._finish(session)
                if self._lose_completion:
                    self._lost, self._lose_completion = self._lose_completion, 0
        if cut:
            exchange.drop()  # the rest of the chunk is still on its way: a reset
            return
        self._reply(exchange, session)

    def _reply(self, exchange: Exchange, session: UploadSession) -> None:
        """Where the session stands, unless this answer is to be lost."""
        with self._lock:
            lost = self._lost > 0
            self._lost -= 1 if lost else 0
            answer = session.standing()
        if lost:
            exchange.drop()
        else:
            exchange.answer(answer)

    def _finish(self, session: UploadSession) -> None:
        video_id = secrets.token_urlsafe(8)[:11]
        status = dict(session.resource.get("status") or {})
        if not self.audited:
            status["privacyStatus"] = "private"
        video = FakeVideo(
            id=video_id,
            snippet=dict(session.resource.get("snippet") or {}),
            status=status,
            content=bytes(session.data),
            published_at=self._now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            processed_after=self.processed_after,
        )
        self.videos[video_id] = video
        resource = video.item(set(session.parts.split(",")), poll=False)
        session.completion = Answer.json(201, resource)
