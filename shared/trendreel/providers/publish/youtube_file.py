"""The video file as the upload reads it: checked against the publication, streamed in blocks."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from pathlib import Path

from trendreel.errors import MediaError
from trendreel.providers.publish.base import PublishRequest

READ_BLOCK = 64 * 1024


def file_blocks(path: Path, first: int, last: int) -> Iterator[bytes]:
    """Bytes ``first..last`` of the file, a block at a time (never the whole video in memory)."""
    with path.open("rb") as file:
        file.seek(first)
        left = last - first + 1
        while left > 0:
            block = file.read(min(READ_BLOCK, left))
            if not block:
                raise MediaError(f"{path.name} ended at byte {last - left} while uploading")
            left -= len(block)
            yield block


def check_file(request: PublishRequest) -> None:
    try:
        size = request.video_path.stat().st_size
    except OSError as exc:
        raise MediaError(f"cannot read the video to publish: {exc.strerror}") from exc
    if size != request.size or size == 0:
        raise MediaError(
            f"{request.video_path.name} has {size} bytes, the publication expects {request.size}"
        )


def media_type(path: Path) -> str:
    guessed = mimetypes.guess_type(path.name)[0]
    return guessed if guessed and guessed.startswith("video/") else "application/octet-stream"
