"""infra/configs/: the theme configs POST /generate can name on GCP. Each is a valid config,
uploaded (configs.tf) to where the api's TRENDREEL_CONFIG_ROOT points, so
{"config_path": "daily.yaml"} works out of the box."""

from __future__ import annotations

from pathlib import Path

from tests.support.cloud_run.infra import INFRA
from tests.support.cloud_run.spec import Infra
from tests.support.fake_storage import FakeStorageClient
from tests.unit.infra.conftest import DEFAULT
from tests.unit.infra.hcl import Terraform, parsed
from trendreel.api import config_source
from trendreel.config import load_config_file
from trendreel.settings import Settings

CONFIGS = INFRA / "configs"


def _files() -> list[Path]:
    return sorted(p for p in CONFIGS.rglob("*") if p.is_file())


def test_every_file_is_a_valid_theme_config_the_api_may_name() -> None:
    files = _files()
    assert CONFIGS / "daily.yaml" in files
    for path in files:
        load_config_file(path)
        config_source.checked_relative(path.relative_to(CONFIGS).as_posix())


def test_every_file_is_uploaded_under_the_config_root(tf: Terraform) -> None:
    assert tf.local("config_files") == parsed('fileset("${path.module}/configs", "**")')
    types = tf.local("config_content_types")
    assert {path.suffix.removeprefix(".").lower() for path in _files()} <= set(types)
    assert set(types) == {s.removeprefix(".") for s in config_source.SUFFIXES}
    upload = tf.resource("google_storage_bucket_object", "config")
    assert upload["for_each"] == "${local.config_files}"
    assert upload["bucket"] == "${google_storage_bucket.media.name}"
    assert upload["name"] == "configs/${each.value}"
    assert upload["source"] == "${path.module}/configs/${each.value}"
    # With a source file the provider re-uploads an edited file (detect_md5hash, by default).
    assert "content" not in upload
    assert "detect_md5hash" not in upload
    assert tf.local("ref_values")["config_root"] == (
        "gs://${google_storage_bucket.media.name}/configs"
    )


def _uploaded() -> FakeStorageClient:
    """The media bucket after `terraform apply`: configs.tf's objects under configs/."""
    objects = {f"configs/{p.relative_to(CONFIGS).as_posix()}": p.read_bytes() for p in _files()}
    return FakeStorageClient({DEFAULT.bucket: objects})


def test_generate_with_config_path_daily_yaml_reads_the_uploaded_file(
    infra: Infra,
) -> None:
    root = infra.services["api"].env["TRENDREEL_CONFIG_ROOT"]
    settings = Settings(backend="gcp", config_root=root)
    config = config_source.load(settings, "daily.yaml", _uploaded)
    assert config == load_config_file(CONFIGS / "daily.yaml")
