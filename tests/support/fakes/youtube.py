"""A fake YouTube Data API v3 on 127.0.0.1: resumable uploads, videos.list, thumbnails.set.

Built from YouTube's own documentation:

- Resumable uploads: https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol
  (``youtube_uploads``: sessions, chunk arithmetic, status queries, 404 once expired)
- videos.insert: https://developers.google.com/youtube/v3/docs/videos/insert
- videos resource and videos.list: https://developers.google.com/youtube/v3/docs/videos,
  https://developers.google.com/youtube/v3/docs/videos/list (``youtube_videos``)
- thumbnails.set: https://developers.google.com/youtube/v3/docs/thumbnails/set
- errors: https://developers.google.com/youtube/v3/docs/errors (``youtube_errors``)
- quota: https://developers.google.com/youtube/v3/determine_quota_cost
- containsSyntheticMedia: https://developers.google.com/youtube/v3/revision_history (2024-10-30)

Bearer tokens are checked against the ``TokenRegistry`` the fake OAuth server issues from
(expired or unknown: 401 ``authError``; missing scope: 403 ``insufficientPermissions``).

Test hooks: ``interrupt_after`` (cut the connection once the upload holds N bytes, once);
``lose_completion`` / ``lose_answers`` (process an upload PUT but never answer it, as when a
process dies after the upload finished and before it recorded the answer); ``fail_next``
(scripted answers for one operation: rate limits, 5xx, upload limit); ``exhaust_quota``,
``expire_sessions``, ``reject``. State: ``videos``, ``videos_created``, ``stored_file``,
``requests``, ``chunk_puts``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType

from tests.support.fakes.tokens import TokenRegistry
from tests.support.fakes.youtube_api_routes import list_videos, set_thumbnail
from tests.support.fakes.youtube_errors import (
    Answer,
    insufficient_scopes,
    not_found,
    quota_exceeded,
    token_rejected,
)
from tests.support.fakes.youtube_upload_routes import AUTH, UPLOAD_SCOPES, UploadRoutes
from tests.support.fakes.youtube_uploads import UploadSession
from tests.support.fakes.youtube_videos import FakeVideo, Quota
from tests.support.fakes.youtube_wire import Exchange, Seen, WireServer

READ_SCOPES = tuple(AUTH + s for s in ("youtube.readonly", "youtube", "youtube.force-ssl"))
UPLOAD_PREFIX, DATA_PREFIX = "/upload/youtube/v3", "/youtube/v3"


class FakeYouTube(UploadRoutes):
    def __init__(
        self,
        tokens: TokenRegistry,
        *,
        processed_after: int = 2,
        channel_verified: bool = True,
        audited: bool = True,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.tokens = tokens
        self.processed_after = processed_after
        self.channel_verified = channel_verified
        self.audited = audited  # unaudited API projects' uploads are kept private
        self.quota = Quota()
        self.sessions: dict[str, UploadSession] = {}
        self.videos: dict[str, FakeVideo] = {}
        self.requests: list[Seen] = []
        self._now = now
        self._lock = threading.RLock()
        self._interrupt_at: int | None = None
        self._lost = 0
        self._lose_completion = 0
        self._scripted: dict[str, list[Answer]] = {}
        self._wire = WireServer(self._handle)

    # --- lifecycle --------------------------------------------------------------------
    @property
    def upload_base(self) -> str:
        return self._wire.url + UPLOAD_PREFIX

    @property
    def data_base(self) -> str:
        return self._wire.url + DATA_PREFIX

    def start(self) -> FakeYouTube:
        self._wire.start()
        return self

    def stop(self) -> None:
        self._wire.stop()

    def __enter__(self) -> FakeYouTube:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- test hooks -------------------------------------------------------------------
    def interrupt_after(self, received: int) -> None:
        """Cut the connection (once) as soon as the upload holds ``received`` bytes."""
        self._interrupt_at = received

    def lose_answers(self, count: int) -> None:
        """The next ``count`` upload PUTs are processed but never answered (0: stop losing)."""
        with self._lock:
            self._lost = count

    def lose_completion(self, then: int = 0) -> None:
        """The request that completes the upload gets no answer, nor do the ``then`` upload
        PUTs after it (status queries): the upload finished, the client never heard."""
        with self._lock:
            self._lose_completion = then + 1

    def fail_next(self, operation: str, *answers: Answer) -> None:
        """``operation`` (videos.insert, videos.list, thumbnails.set) answers these first."""
        with self._lock:
            self._scripted.setdefault(operation, []).extend(answers)

    def exhaust_quota(self) -> None:
        with self._lock:
            self.quota.exhaust()

    def expire_sessions(self) -> None:
        with self._lock:
            for session in self.sessions.values():
                session.expired = True

    def reject(self, video_id: str, reason: str) -> None:
        self.videos[video_id].rejection = reason

    # --- state ------------------------------------------------------------------------
    @property
    def videos_created(self) -> int:
        return len(self.videos)

    def stored_file(self, video_id: str) -> bytes:
        return self.videos[video_id].content

    def chunk_puts(self) -> list[Seen]:
        """Upload PUTs that carried bytes (status queries left out), in arrival order."""
        return [r for r in self.requests if r.method == "PUT" and r.first_byte is not None]

    # --- routing ----------------------------------------------------------------------
    def _handle(self, exchange: Exchange) -> None:
        route = (exchange.method, exchange.path)
        if route == ("PUT", UPLOAD_PREFIX + "/videos"):
            self._put(exchange)
            return
        body = exchange.read()
        self._note(exchange, body)
        handlers: dict[tuple[str, str], tuple[str, Callable[[Exchange, bytes], Answer]]] = {
            ("POST", UPLOAD_PREFIX + "/videos"): ("videos.insert", self._open),
            ("POST", UPLOAD_PREFIX + "/thumbnails/set"): ("thumbnails.set", self._thumbnail),
            ("GET", DATA_PREFIX + "/videos"): ("videos.list", self._list),
        }
        if route not in handlers:
            exchange.answer(not_found())
            return
        operation, handler = handlers[route]
        scopes = READ_SCOPES if operation == "videos.list" else UPLOAD_SCOPES
        with self._lock:
            answer = self._gate(exchange, operation, scopes) or handler(exchange, body)
        exchange.answer(answer)

    def _gate(self, exchange: Exchange, operation: str, scopes: tuple[str, ...]) -> Answer | None:
        """Authorization, scripted failures, then quota (every request costs)."""
        refused = self._authorize(exchange, scopes)
        if refused is not None:
            return refused
        scripted = self._scripted.get(operation)
        if scripted:
            return scripted.pop(0)
        return None if self.quota.charge(operation) else quota_exceeded()

    def _authorize(self, exchange: Exchange, scopes: tuple[str, ...]) -> Answer | None:
        header = exchange.headers.get("authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
        if not token or self.tokens.check(token) != "ok":
            return token_rejected()
        if not any(self.tokens.check(token, scope) == "ok" for scope in scopes):
            return insufficient_scopes()
        return None

    def _note(self, exchange: Exchange, body: bytes) -> None:
        kept = b"" if exchange.method == "PUT" else body  # chunks are counted, not kept
        seen = Seen(
            exchange.method, exchange.path, exchange.query, exchange.headers, len(body), kept
        )
        with self._lock:
            self.requests.append(seen)

    def _list(self, exchange: Exchange, body: bytes) -> Answer:
        return list_videos(self.videos, exchange)

    def _thumbnail(self, exchange: Exchange, body: bytes) -> Answer:
        return set_thumbnail(self.videos, exchange, body, verified=self.channel_verified)
