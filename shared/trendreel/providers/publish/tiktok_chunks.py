"""How a video is cut into chunks for TikTok's FILE_UPLOAD, and the bytes of each chunk.

The rules, from the Media Transfer Guide
(https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide):

- ``total_chunk_count`` is ``video_size`` divided by ``chunk_size``, rounded down;
- every chunk is 5 MB to 64 MB, except the final one, which absorbs the trailing bytes and may
  reach 128 MB;
- a video under 5 MB goes up whole (``chunk_size`` is its size); one over 64 MB in several chunks;
- 1 to 1000 chunks, sent in order; a video is at most 4 GB (video restrictions).

A MB there is 1024 × 1024 bytes: the guide's "4 MB" whole-upload example is 4,194,304 bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from trendreel.errors import MediaError, ProviderResponseError

MIB = 1024 * 1024
#: The chunk size asked for when the video allows a choice: small enough that a dropped
#: connection costs little, large enough that a short (10-40 MB) video takes few requests.
DEFAULT_CHUNK_SIZE = 10 * MIB
#: Bytes read from disk per write to the socket: a chunk is streamed, never held whole.
READ_PIECE = 1 * MIB


@dataclass(frozen=True)
class ChunkRules:
    """TikTok's documented limits (tests scale them down together with the fake's)."""

    min_chunk: int = 5 * MIB
    max_chunk: int = 64 * MIB
    max_final_chunk: int = 128 * MIB
    max_chunks: int = 1000
    max_video: int = 4 * 1024 * MIB


TIKTOK_CHUNK_RULES = ChunkRules()


@dataclass(frozen=True)
class ChunkPlan:
    """The ``source_info`` declared at ``video/init`` and the byte span of each chunk."""

    video_size: int
    chunk_size: int

    @property
    def total_chunk_count(self) -> int:
        return self.video_size // self.chunk_size

    def span(self, index: int) -> tuple[int, int]:
        """(first byte, length) of chunk ``index``; the last one runs to the end of the file."""
        first = index * self.chunk_size
        last_index = self.total_chunk_count - 1
        length = self.video_size - first if index == last_index else self.chunk_size
        return first, length

    def index_of(self, offset: int) -> int:
        """The chunk holding byte ``offset``: resuming restarts that chunk at its first byte."""
        return min(offset // self.chunk_size, self.total_chunk_count - 1)

    def source_info(self) -> dict[str, object]:
        return {
            "source": "FILE_UPLOAD",
            "video_size": self.video_size,
            "chunk_size": self.chunk_size,
            "total_chunk_count": self.total_chunk_count,
        }


def plan_chunks(
    video_size: int, preferred: int = DEFAULT_CHUNK_SIZE, rules: ChunkRules = TIKTOK_CHUNK_RULES
) -> ChunkPlan:
    """The chunking of a ``video_size``-byte video that follows ``rules``."""
    if video_size <= 0:
        raise MediaError(f"cannot post an empty video ({video_size} bytes)")
    if video_size > rules.max_video:
        raise ProviderResponseError(
            "tiktok",
            f"the video is {video_size} bytes; TikTok takes at most {rules.max_video} bytes",
            hint="Render a smaller video (a lower bitrate or a shorter duration).",
        )
    if video_size < rules.min_chunk:
        return ChunkPlan(video_size, video_size)
    size = min(max(preferred, rules.min_chunk), rules.max_chunk, video_size)
    if video_size > rules.max_chunk:
        # Over 64 MB must be several chunks; half the video keeps every chunk >= 5 MB here.
        size = min(size, video_size // 2)
    # At most max_chunks chunks: the floor division folds the rest into the final chunk, which
    # stays under 2 x chunk_size <= 128 MB.
    size = max(size, -(-video_size // rules.max_chunks))
    return ChunkPlan(video_size, size)


def read_span(path: Path, first: int, length: int) -> Iterator[bytes]:
    """``length`` bytes of ``path`` from ``first``, a piece at a time (bounded memory)."""
    with path.open("rb") as handle:
        handle.seek(first)
        remaining = length
        while remaining:
            piece = handle.read(min(READ_PIECE, remaining))
            if not piece:
                raise MediaError(
                    f"{path.name} ended {remaining} bytes early: it changed after publishing began"
                )
            remaining -= len(piece)
            yield piece
