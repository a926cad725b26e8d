"""config_path on a gs:// config root: the same rules, read through the Cloud Storage client."""

from __future__ import annotations

import pytest

from tests.support.fake_storage import FakeStorageClient
from trendreel.api import config_source
from trendreel.api.errors import ApiError
from trendreel.settings import Settings


@pytest.fixture
def gcs() -> FakeStorageClient:
    return FakeStorageClient({"cfg": {"themes/cats.yaml": b"config:\n  theme: cats\n"}})


def test_config_path_reads_from_the_bucket_prefix(gcs: FakeStorageClient) -> None:
    settings = Settings(config_root="gs://cfg/themes/")

    assert config_source.load(settings, "cats.yaml", lambda: gcs).config.theme == "cats"


def test_an_unknown_object_is_400(gcs: FakeStorageClient) -> None:
    settings = Settings(config_root="gs://cfg/themes")

    with pytest.raises(ApiError) as info:
        config_source.load(settings, "dogs.yaml", lambda: gcs)

    assert (info.value.status, info.value.code) == (400, "invalid_config_path")


def test_traversal_is_refused_before_the_bucket_is_read(gcs: FakeStorageClient) -> None:
    with pytest.raises(ApiError) as info:
        config_source.load(Settings(config_root="gs://cfg/themes/sub"), "../cats.yaml", lambda: gcs)

    assert info.value.code == "invalid_config_path"
