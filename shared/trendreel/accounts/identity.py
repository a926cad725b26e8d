"""Which account a fresh authorization belongs to, so `connect` and `list` can name it.

YouTube: the channel the consent was given for, from ``channels.list`` with ``mine=true``
(https://developers.google.com/youtube/v3/docs/channels/list; needs the read-only scope). A
Google account without a channel can authorize but cannot upload, which is worth saying at once.
TikTok: the ``open_id`` of the token response and the display name from ``/v2/user/info/``
(https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info; scope ``user.info.basic``).

A lookup that fails does not undo the connection: the account is stored, and the failure is a
warning the person sees.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from trendreel.accounts.endpoint import TokenGrant
from trendreel.accounts.platforms import YOUTUBE_READONLY, PlatformOAuth
from trendreel.errors import ProviderError
from trendreel.models.publishing import PublishPlatform
from trendreel.providers.http import ServiceClient
from trendreel.settings import Settings


@dataclass(frozen=True)
class Identity:
    account_id: str | None = None
    account_name: str | None = None
    warning: str | None = None


class _Snippet(BaseModel):
    title: str = ""


class _Channel(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    snippet: _Snippet = _Snippet()


class _ChannelList(BaseModel):
    model_config = ConfigDict(extra="ignore")
    items: list[_Channel] = []


class _TikTokUser(BaseModel):
    model_config = ConfigDict(extra="ignore")
    open_id: str | None = None
    display_name: str | None = None


class _TikTokData(BaseModel):
    user: _TikTokUser = _TikTokUser()


class _TikTokUserInfo(BaseModel):
    model_config = ConfigDict(extra="ignore")
    data: _TikTokData = _TikTokData()


def identify(
    settings: Settings,
    platform: PlatformOAuth,
    grant: TokenGrant,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Identity:
    youtube = platform.platform is PublishPlatform.YOUTUBE
    if youtube and YOUTUBE_READONLY not in grant.scopes:
        return Identity(warning="the channel is unknown: the read-only scope was not granted")
    base = settings.youtube_base_url if youtube else settings.tiktok_base_url
    client = ServiceClient.from_settings(
        platform.platform.value,
        base,
        settings,
        headers={"Authorization": f"Bearer {grant.access_token}"},
        transport=transport,
        sleep=sleep,
    )
    try:
        return _channel(client) if youtube else _tiktok_user(client, grant)
    except ProviderError as exc:
        return Identity(account_id=grant.open_id, warning=f"the account name is unknown: {exc}")
    except ValidationError:
        return Identity(account_id=grant.open_id, warning="the account lookup answered oddly")
    finally:
        client.close()


def _channel(client: ServiceClient) -> Identity:
    listed = _ChannelList.model_validate(
        client.get_json("channels", params={"part": "snippet", "mine": "true"})
    )
    if not listed.items:
        return Identity(
            warning="this Google account has no YouTube channel: create one "
            "(https://www.youtube.com/create_channel) before publishing"
        )
    channel = listed.items[0]
    return Identity(account_id=channel.id, account_name=channel.snippet.title or None)


def _tiktok_user(client: ServiceClient, grant: TokenGrant) -> Identity:
    info = _TikTokUserInfo.model_validate(
        client.get_json("v2/user/info/", params={"fields": "open_id,display_name"})
    )
    user = info.data.user
    return Identity(account_id=grant.open_id or user.open_id, account_name=user.display_name)
