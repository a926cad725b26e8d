"""Music from a folder of your own tracks: a local directory or ``gs://bucket/prefix``.

The track is chosen deterministically by seed, preferring files whose name contains the mood. A
sidecar ``<file>.json`` (e.g. ``rain.mp3.json``) may give ``title``, ``licence`` and ``source``;
without one the licence is recorded as unspecified so a person checks it before publishing. The
file is converted with the bundled ffmpeg to 48 kHz stereo 16-bit WAV, which is what the
compositor always gets.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Any, Protocol

from trendreel.errors import ConfigError
from trendreel.models import MusicTrack
from trendreel.ports import BlobStore
from trendreel.providers.base import UsageLog

AUDIO_EXTENSIONS = (".wav", ".mp3", ".m4a", ".ogg", ".flac")
UNSPECIFIED_LICENCE = "unspecified — check before publishing"
_FFMPEG_TIMEOUT_SECONDS = 300


class GcsReader(Protocol):
    """The two Cloud Storage calls the library needs (injectable for tests)."""

    def list_names(self, bucket: str, prefix: str) -> list[str]: ...

    def read_bytes(self, bucket: str, name: str) -> bytes: ...


class _CloudStorageReader:
    """google-cloud-storage, imported and connected on first use only."""

    def __init__(self) -> None:
        self._client: Any = None

    def _bucket(self, bucket: str) -> Any:
        if self._client is None:
            # Imported by name: the package ships without type information, and only gs://
            # libraries need it.
            storage = importlib.import_module("google.cloud.storage")
            self._client = storage.Client()
        return self._client.bucket(bucket)

    def list_names(self, bucket: str, prefix: str) -> list[str]:
        return [blob.name for blob in self._bucket(bucket).list_blobs(prefix=prefix)]

    def read_bytes(self, bucket: str, name: str) -> bytes:
        data: bytes = self._bucket(bucket).blob(name).download_as_bytes()
        return data


class MusicLibrary:
    name = "library"

    def __init__(self, location: str, *, gcs_reader: GcsReader | None = None) -> None:
        self.location = location
        self._gcs = gcs_reader

    def track(
        self,
        duration_seconds: float,
        mood: str,
        seed: int,
        blobs: BlobStore,
        key: str,
        usage: UsageLog,
    ) -> MusicTrack:
        listing = set(self._list())
        chosen = self._choose(
            sorted(n for n in listing if n.lower().endswith(AUDIO_EXTENSIONS)), mood, seed
        )
        meta = self._sidecar(chosen) if chosen + ".json" in listing else {}
        with tempfile.TemporaryDirectory(prefix="trendreel-library-") as tmp:
            wav = Path(tmp) / "music.wav"
            self._convert(chosen, self._local_copy(chosen, Path(tmp)), wav)
            seconds = _wav_seconds(wav)
            blobs.put_file(key, wav, "audio/wav")
        usage.record(self.name, "convert", round(seconds, 3), "seconds", 0.0)
        return MusicTrack(
            provider=self.name,
            audio_key=key,
            title=str(meta.get("title") or Path(chosen).stem),
            source=str(meta.get("source") or self._uri(chosen)),
            licence=str(meta.get("licence") or meta.get("license") or UNSPECIFIED_LICENCE),
            duration_seconds=seconds,
            mood=mood,
        )

    def _choose(self, names: list[str], mood: str, seed: int) -> str:
        """By seed among the files whose name mentions the mood, else among all of them."""
        if not names:
            raise self._error(f"has no audio files ({', '.join(AUDIO_EXTENSIONS)})")
        matching = [n for n in names if mood.lower() in n.rsplit("/", 1)[-1].lower()]
        pool = matching or names
        return pool[seed % len(pool)]

    # --- where the files are ----------------------------------------------------------------

    def _split(self) -> tuple[str, str]:
        bucket, _, prefix = self.location.removeprefix("gs://").partition("/")
        if not bucket:
            raise self._error("has no bucket name")
        # A trailing slash, so gs://b/music does not also list gs://b/musicals/...
        return bucket, (prefix.strip("/") + "/" if prefix.strip("/") else "")

    def _is_gcs(self) -> bool:
        return self.location.startswith("gs://")

    def _reader(self) -> GcsReader:
        if self._gcs is None:
            self._gcs = _CloudStorageReader()
        return self._gcs

    def _list(self) -> list[str]:
        """Names relative to the location for a folder, full object names for gs://."""
        if self._is_gcs():
            bucket, prefix = self._split()
            try:
                return self._reader().list_names(bucket, prefix)
            except Exception as exc:  # any client failure means the library cannot be used
                raise self._error(f"cannot be listed: {exc}") from exc
        folder = Path(self.location).expanduser()
        if not folder.is_dir():
            raise self._error("is not an existing folder")
        return [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]

    def _read(self, name: str) -> bytes:
        try:
            if self._is_gcs():
                return self._reader().read_bytes(self._split()[0], name)
            return (Path(self.location).expanduser() / name).read_bytes()
        except Exception as exc:  # a missing or unreadable file: same answer either way
            raise self._error(f"cannot read {name}: {exc}") from exc

    def _local_copy(self, name: str, tmp: Path) -> Path:
        if not self._is_gcs():
            return Path(self.location).expanduser() / name
        path = tmp / ("source" + Path(name).suffix.lower())
        path.write_bytes(self._read(name))
        return path

    def _uri(self, name: str) -> str:
        if self._is_gcs():
            return f"gs://{self._split()[0]}/{name}"
        return (Path(self.location).expanduser() / name).resolve().as_uri()

    def _sidecar(self, name: str) -> dict[str, Any]:
        sidecar = name + ".json"
        try:
            meta = json.loads(self._read(sidecar))
        except ValueError as exc:
            raise self._error(f"has an invalid sidecar {sidecar}: {exc}") from exc
        if not isinstance(meta, dict):
            raise self._error(f"sidecar {sidecar} must be a JSON object")
        return meta

    # --- conversion ---------------------------------------------------------------------------

    def _convert(self, name: str, source: Path, wav: Path) -> None:
        import imageio_ffmpeg

        command = [
            *(imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(source)),
            *("-vn", "-ac", "2", "-ar", "48000", "-c:a", "pcm_s16le", "-f", "wav", str(wav)),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, timeout=_FFMPEG_TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise self._error(f"{name} took too long to convert") from exc
        if result.returncode != 0 or not wav.is_file():
            detail = result.stderr.decode(errors="replace").strip()[-300:]
            raise self._error(f"{name} is not a readable audio file: {detail}")

    def _error(self, problem: str) -> ConfigError:
        return ConfigError(
            f"music library {self.location} {problem}",
            field="music_library",
            hint="Point TRENDREEL_MUSIC_LIBRARY at a folder or gs:// prefix of audio files "
            "you may use, or choose TRENDREEL_MUSIC=generated.",
        )


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()
