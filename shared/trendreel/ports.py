"""Ports: the interfaces stages and media code depend on. Adapters implement them."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class BlobStore(Protocol):
    """Media and stage outputs, addressed by key (``jobs/{job_id}/{stage}/...``).

    Writes to an existing key overwrite it, so a rerun of a stage replaces its outputs instead of
    duplicating them.
    """

    def put_bytes(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> str:
        """Store ``data`` at ``key``; return the object's URI."""
        ...

    def get_bytes(self, key: str) -> bytes:
        """Return the object at ``key``; raise BlobNotFoundError if absent."""
        ...

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> str:
        """Upload a local file (streamed, not read into memory); return the URI."""
        ...

    def get_file(self, key: str, path: Path) -> Path:
        """Download the object to ``path`` (streamed); raise BlobNotFoundError if absent."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``; return how many were deleted."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Keys under ``prefix``, sorted."""
        ...

    def uri(self, key: str) -> str: ...
