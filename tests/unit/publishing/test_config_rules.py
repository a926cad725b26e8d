"""Theme-config rules publishing adds: auto_post needs a platform trendreel publishes to, and a
config webhook_url must be callable and signable. Bad input changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from tests.unit.api.fakes import FakeJobStore, FakeTaskQueue
from trendreel import services
from trendreel.adapters.local_blobs import LocalBlobStore
from trendreel.bootstrap import Runtime
from trendreel.config import load_default_config
from trendreel.errors import ConfigError
from trendreel.models import ThemeConfig, Trigger
from trendreel.settings import Settings


def config(**settings: object) -> ThemeConfig:
    raw = load_default_config().model_dump()
    raw["config"] |= settings
    return ThemeConfig.model_validate(raw)


def test_auto_post_to_a_platform_trendreel_cannot_publish_to_is_refused() -> None:
    with pytest.raises(ValidationError, match="instagram_reels cannot be published to"):
        config(auto_post=True, target_platform="instagram_reels")
    assert config(auto_post=False, target_platform="instagram_reels").config.auto_post is False
    assert config(auto_post=True, target_platform="youtube_shorts").config.auto_post is True


def runtime(tmp_path: Path, **settings: object) -> Runtime:
    return Runtime(
        settings=Settings(home=tmp_path, **settings),  # type: ignore[arg-type]
        store=FakeJobStore(),
        queue=FakeTaskQueue(),
        blobs=LocalBlobStore(tmp_path / "blobs"),
    )


@pytest.mark.parametrize(
    ("url", "secret", "message"),
    [
        ("https://hooks.example.com/x", None, "needs a secret"),
        ("ftp://hooks.example.com/x", "s3cret-value", "https"),
        ("http://hooks.example.com/x", "s3cret-value", "https"),
    ],
)
def test_a_config_webhook_url_that_cannot_be_used_refuses_the_job(
    tmp_path: Path, url: str, secret: str | None, message: str
) -> None:
    rt = runtime(tmp_path, webhook_secret=SecretStr(secret) if secret else None)
    new = services.NewJob(config=config(webhook_url=url), trigger=Trigger.CLIENT)
    with pytest.raises(ConfigError, match=message) as raised:
        services.create_job(rt, new)
    assert raised.value.field == "config.webhook_url"
    store = rt.store
    assert isinstance(store, FakeJobStore)
    assert store.jobs == {}


def test_a_usable_config_webhook_url_is_accepted(tmp_path: Path) -> None:
    rt = runtime(tmp_path, webhook_secret=SecretStr("s3cret-value"))
    new = services.NewJob(
        config=config(webhook_url="http://127.0.0.1:9/hooks"), trigger=Trigger.CLIENT
    )
    assert services.create_job(rt, new).created
