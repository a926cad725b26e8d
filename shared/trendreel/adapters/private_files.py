"""Local state files readable by their owner only, like the API token: job documents and queued
tasks are nobody else's business on a shared machine."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE = 0o600


def private_sqlite_file(path: Path) -> None:
    """Create the database file owner-only before SQLite opens it, and tighten one made by an
    older version. SQLite creates its ``-wal`` and ``-shm`` files with the permissions of the
    database file, so those follow; existing ones are tightened too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE))
    for member in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        with contextlib.suppress(FileNotFoundError):
            if member.stat().st_mode & 0o777 != PRIVATE:
                member.chmod(PRIVATE)
