"""The fake's resumable upload sessions: the ``Content-Range`` arithmetic of the guide.

From https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol:

- a PUT carries ``Content-Range: bytes FIRST-LAST/TOTAL`` (or none: the whole file at once);
  TOTAL is the size the session was opened for (``X-Upload-Content-Length``);
- ``bytes */TOTAL`` with an empty body asks where the session stands: 308 with
  ``Range: bytes=0-N`` (no Range while nothing arrived) or, once the upload completed, "the same
  response that it sent when the upload originally completed";
- chunks other than the last are multiples of 256 KiB and all of one size;
- "If you try to upload a noncontinuous block, none of the remaining binary content will be
  uploaded": a chunk that does not start at the next expected byte is dropped and answered with
  the unchanged Range, overlapping and skipping alike;
- a request to an expired session URI gets 404.

The guide names no answer for a chunk that breaks the size rules or a Content-Range that does
not add up; the fake answers 400 so a client that breaks them fails loudly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tests.support.fakes.youtube_errors import Answer, bad_request

QUANTUM = 256 * 1024
_CHUNK = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_QUERY = re.compile(r"^bytes \*/(\d+)$")


@dataclass(frozen=True)
class Query:
    """``bytes */TOTAL``: where does the session stand?"""


@dataclass(frozen=True)
class Chunk:
    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1


@dataclass
class UploadSession:
    upload_id: str
    size: int
    content_type: str
    resource: dict[str, Any]
    parts: str
    data: bytearray = field(default_factory=bytearray)
    chunk_size: int | None = None  # set by the first non-final chunk; the others must match
    completion: Answer | None = None  # repeated to every later request
    expired: bool = False

    @property
    def received(self) -> int:
        return len(self.data)

    def standing(self) -> Answer:
        if self.completion is not None:
            return self.completion
        headers = {"Range": f"bytes=0-{self.received - 1}"} if self.received else {}
        return Answer(308, b"", headers)

    def plan(self, content_range: str | None, length: int) -> Query | Chunk | Answer:
        """What a PUT with these headers asks for, or the 400 it deserves."""
        if content_range is None:
            if length != self.size:
                return _mismatch(f"a single-request upload must send all {self.size} bytes")
            return Chunk(0, self.size - 1)
        query = _QUERY.match(content_range.strip())
        if query is not None:
            if int(query.group(1)) != self.size or length:
                return _mismatch("a status query is an empty PUT with bytes */SIZE")
            return Query()
        match = _CHUNK.match(content_range.strip())
        if match is None:
            return _mismatch(f"unparseable Content-Range {content_range!r}")
        first, last, total = (int(g) for g in match.groups())
        if total != self.size or not first <= last < total or last - first + 1 != length:
            return _mismatch(f"Content-Range {content_range!r} does not add up")
        chunk = Chunk(first, last)
        if last < total - 1 and (length % QUANTUM or self.chunk_size not in (None, length)):
            return _mismatch(
                "every chunk but the last must be a multiple of 256 KiB, all of one size"
            )
        return chunk

    def write(self, chunk: Chunk, body: bytes) -> bool:
        """Keeps ``body`` if it continues the file (all of it, or the part that arrived before
        the connection broke); True once the file is complete."""
        if self.completion is not None or chunk.first != self.received:
            return False
        if chunk.last < self.size - 1 and self.chunk_size is None:
            self.chunk_size = chunk.length
        self.data += body
        return self.received == self.size


def _mismatch(detail: str) -> Answer:
    return bad_request("badRequest", f"Invalid upload request: {detail}.", domain="global")
