"""BlobStore on a local folder: the embedded default.

Errors name the blob key, never the folder: OSError's text is the absolute path, and these
messages reach api responses and job errors. A directory where an object (or a file where a
folder) should be is an object that does not exist.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from trendreel.errors import BlobNotFoundError, ConfigError, ProviderError

SERVICE = "local_blobs"
_MISSING = (FileNotFoundError, NotADirectoryError, IsADirectoryError)
_HINT = "Check that the blobs folder under TRENDREEL_HOME is writable and has free space."


def _failure(action: str, key: str, exc: OSError) -> ProviderError:
    reason = exc.strerror or errno.errorcode.get(exc.errno or 0) or type(exc).__name__
    return ProviderError(SERVICE, f"{action} {key!r} failed ({reason})", hint=_HINT)


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        pure = PurePosixPath(key)
        if not key or pure.is_absolute() or ".." in pure.parts or "\\" in key:
            raise ConfigError(f"invalid blob key {key!r}", field="key")
        return self.root.joinpath(*pure.parts)

    def put_bytes(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> str:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write-then-rename so a reader never sees a half-written object.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise _failure("write", key, exc) from exc
        return self.uri(key)

    def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except _MISSING as exc:
            raise BlobNotFoundError(key) from exc
        except OSError as exc:
            raise _failure("read", key, exc) from exc

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> str:
        dest = self._path(key)
        if not Path(path).is_file():  # the caller's bug, not the store's: named, not located
            raise FileNotFoundError(errno.ENOENT, f"no file to store at {key!r}", Path(path).name)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
            os.close(fd)
            try:
                shutil.copyfile(path, tmp)
                os.replace(tmp, dest)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise _failure("write", key, exc) from exc
        return self.uri(key)

    def get_file(self, key: str, path: Path) -> Path:
        src = self._path(key)
        if not src.is_file():
            raise BlobNotFoundError(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, path)
        except OSError as exc:
            if not src.is_file():  # deleted since we looked
                raise BlobNotFoundError(key) from exc
            raise _failure("copy", key, exc) from exc
        return path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete_prefix(self, prefix: str) -> int:
        base = self._path(prefix.rstrip("/"))
        if base.is_file():
            base.unlink()
            return 1
        if not base.is_dir():
            return 0
        count = sum(1 for p in base.rglob("*") if p.is_file())
        shutil.rmtree(base)
        return count

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        if base.is_file():
            return [prefix.rstrip("/")]
        if not base.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        )

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()

    def local_path(self, key: str) -> Path:
        """Where the object lives on disk (local adapter only)."""
        return self._path(key)
