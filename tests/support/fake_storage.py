"""A Cloud Storage client holding objects in memory: the three calls config roots make
(``client.bucket(name).get_blob(key)``, ``blob.size``, ``blob.download_as_bytes()``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FakeBlob:
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    def download_as_bytes(self) -> bytes:
        return self.data


@dataclass
class FakeBucket:
    objects: dict[str, bytes]

    def get_blob(self, name: str) -> FakeBlob | None:
        return FakeBlob(self.objects[name]) if name in self.objects else None


@dataclass
class FakeStorageClient:
    buckets: dict[str, dict[str, bytes]] = field(default_factory=dict)

    def bucket(self, name: str) -> FakeBucket:
        return FakeBucket(self.buckets.get(name, {}))
