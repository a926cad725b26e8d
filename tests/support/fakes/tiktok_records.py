"""What the fake TikTok keeps: its answers, the uploads it has opened and the posts made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cut: bool = False  # drop the connection without answering (an interrupted transfer)


@dataclass
class Post:
    post_id: str
    publish_id: str
    post_info: dict[str, Any]
    size: int
    sha256: str
    views: int = 0
    likes: int = 0
    comments: int = 0


@dataclass
class Upload:
    publish_id: str
    upload_id: str
    upload_token: str
    issued_at: float
    size: int
    chunk: int
    count: int
    post_info: dict[str, Any]
    fail_reason: str | None
    data: bytearray = field(default_factory=bytearray)
    chunks_done: int = 0
    polls_after_upload: int = 0
    post: Post | None = None

    def span(self, index: int) -> tuple[int, int]:
        first = index * self.chunk
        return first, (self.size - first if index == self.count - 1 else self.chunk)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    status: int  # what the fake answered (0: the connection was cut)
    headers: dict[str, str]
    body: Any  # the JSON of an API call; None for a chunk
    size: int  # bytes of the request body
