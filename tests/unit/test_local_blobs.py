"""LocalBlobStore: bytes and files, overwrite, listing, deletion, key validation, atomic writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.errors import BlobNotFoundError, ConfigError
from trendreel.ports import BlobStore


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def _leftovers(store: LocalBlobStore) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.name.startswith(".tmp-")]


def test_satisfies_the_port(store: LocalBlobStore) -> None:
    port: BlobStore = store
    assert port.exists("nothing/here") is False


def test_bytes_round_trip_and_overwrite(store: LocalBlobStore) -> None:
    uri = store.put_bytes("jobs/j1/a/out.json", b'{"n": 1}', "application/json")
    assert store.get_bytes("jobs/j1/a/out.json") == b'{"n": 1}'
    assert uri == (store.root / "jobs/j1/a/out.json").as_uri()
    assert uri == store.uri("jobs/j1/a/out.json")
    assert store.exists("jobs/j1/a/out.json")

    store.put_bytes("jobs/j1/a/out.json", b"second")
    assert store.get_bytes("jobs/j1/a/out.json") == b"second"
    assert store.list("jobs/j1") == ["jobs/j1/a/out.json"]
    assert store.local_path("jobs/j1/a/out.json").read_bytes() == b"second"
    assert _leftovers(store) == []


def test_files_round_trip_and_overwrite(store: LocalBlobStore, tmp_path: Path) -> None:
    src = tmp_path / "clip.bin"
    src.write_bytes(bytes(range(256)) * 64)
    store.put_file("jobs/j1/c/clip.bin", src, "video/mp4")
    dest = store.get_file("jobs/j1/c/clip.bin", tmp_path / "down" / "deep" / "clip.bin")
    assert dest == tmp_path / "down" / "deep" / "clip.bin"
    assert dest.read_bytes() == src.read_bytes()

    src.write_bytes(b"replaced")
    store.put_file("jobs/j1/c/clip.bin", src)
    assert store.get_bytes("jobs/j1/c/clip.bin") == b"replaced"
    assert store.list("jobs/j1/c") == ["jobs/j1/c/clip.bin"]
    assert _leftovers(store) == []


def test_a_failed_put_file_leaves_no_temp_file(store: LocalBlobStore, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        store.put_file("jobs/j1/c/clip.bin", tmp_path / "does-not-exist.bin")
    assert _leftovers(store) == []
    assert not store.exists("jobs/j1/c/clip.bin")


def test_list_is_sorted_and_limited_to_the_prefix(store: LocalBlobStore) -> None:
    for k in ["jobs/j1/b/2.json", "jobs/j1/a/1.json", "jobs/j1/b/10.json", "jobs/j1x/z.json",
              "jobs/j2/a/1.json", "other/x.json"]:  # fmt: skip
        store.put_bytes(k, b"x")
    expected = ["jobs/j1/a/1.json", "jobs/j1/b/10.json", "jobs/j1/b/2.json"]
    assert store.list("jobs/j1") == expected
    assert store.list("jobs/j1/") == expected
    assert store.list("jobs/j1/b") == ["jobs/j1/b/10.json", "jobs/j1/b/2.json"]
    assert store.list("jobs/j1/a/1.json") == ["jobs/j1/a/1.json"]
    assert store.list("jobs/none") == []
    assert store.list("") == sorted([*store.list("jobs"), "other/x.json"])


def test_delete_prefix_counts_and_removes_only_that_prefix(store: LocalBlobStore) -> None:
    for k in ["jobs/j1/a/1.json", "jobs/j1/b/2.json", "jobs/j1/b/c/3.json", "jobs/j10/keep.json"]:
        store.put_bytes(k, b"x")
    assert store.delete_prefix("jobs/j1/b/c/3.json") == 1
    assert store.delete_prefix("jobs/j1/") == 2
    assert store.list("jobs") == ["jobs/j10/keep.json"]
    assert not store.exists("jobs/j1/a/1.json")
    assert store.delete_prefix("jobs/j1") == 0
    assert store.delete_prefix("jobs/never") == 0


def test_missing_keys_are_blob_not_found(store: LocalBlobStore, tmp_path: Path) -> None:
    with pytest.raises(BlobNotFoundError) as caught:
        store.get_bytes("jobs/j1/nope.json")
    assert caught.value.key == "jobs/j1/nope.json"
    assert caught.value.code == "blob_not_found"
    with pytest.raises(BlobNotFoundError):
        store.get_file("jobs/j1/nope.json", tmp_path / "x")
    store.put_bytes("jobs/j1/dir/file", b"x")
    with pytest.raises(BlobNotFoundError):
        store.get_file("jobs/j1/dir", tmp_path / "y")  # a "folder" is not an object
    assert not (tmp_path / "x").exists()


BAD_KEYS = ["", "../escape", "jobs/../../escape", "jobs/a/..", "/etc/passwd", "jobs\\a\\b",
            "jobs/a\\..\\..\\x"]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_KEYS)
def test_unsafe_keys_are_config_errors(store: LocalBlobStore, tmp_path: Path, bad: str) -> None:
    src = tmp_path / "f"
    src.write_bytes(b"x")
    attempts: list[Callable[[], object]] = [
        lambda: store.put_bytes(bad, b"x"),
        lambda: store.get_bytes(bad),
        lambda: store.put_file(bad, src),
        lambda: store.get_file(bad, tmp_path / "out"),
        lambda: store.exists(bad),
        lambda: store.uri(bad),
    ]
    for attempt in attempts:
        with pytest.raises(ConfigError) as caught:
            attempt()
        assert caught.value.field == "key"
    assert not (tmp_path / "escape").exists()
    assert list(store.root.rglob("*")) == []


def test_no_temp_files_after_many_writes(store: LocalBlobStore, tmp_path: Path) -> None:
    src = tmp_path / "f"
    src.write_bytes(b"y" * 1000)
    for n in range(20):
        store.put_bytes(f"jobs/j1/k{n % 3}.bin", bytes([n]) * 100)
        store.put_file(f"jobs/j1/f{n % 3}.bin", src)
    files = sorted(p.name for p in store.root.rglob("*") if p.is_file())
    assert files == ["f0.bin", "f1.bin", "f2.bin", "k0.bin", "k1.bin", "k2.bin"]
