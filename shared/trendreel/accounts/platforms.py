"""What differs between YouTube's and TikTok's OAuth 2.0: endpoints, parameter names, scopes,
how the PKCE challenge is encoded, the loopback redirect URI and which setting holds what.

Google, "OAuth 2.0 for Mobile & Desktop Apps"
(https://developers.google.com/youtube/v3/guides/auth/installed-apps): ``client_id``,
space-separated ``scope``, base64url S256 challenge, redirect ``http://127.0.0.1:<any port>``
for a Desktop app client. TikTok, "Login Kit for Desktop"
(https://developers.tiktok.com/doc/login-kit-desktop): ``client_key``, comma-separated scopes,
a *hex*-encoded SHA-256 challenge, and a redirect URI registered with the app (host 127.0.0.1 or
localhost, a port or the ``*`` wildcard port), answered with ``scopes`` rather than ``scope``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pydantic import SecretStr

from trendreel.accounts import pkce
from trendreel.errors import ProviderNotConfiguredError
from trendreel.models.publishing import PublishPlatform
from trendreel.settings import Settings

YOUTUBE_UPLOAD = "https://www.googleapis.com/auth/youtube.upload"
YOUTUBE_READONLY = "https://www.googleapis.com/auth/youtube.readonly"

# What each granted scope lets trendreel do, as `accounts list` shows it.
UPLOAD, STATISTICS, DIRECT = "upload", "read statistics", "post directly"


@dataclass(frozen=True)
class PlatformOAuth:
    platform: PublishPlatform
    label: str
    client_id_param: str  # the authorization and token requests' name for the client id
    scopes: tuple[str, ...]
    scope_separator: str
    granted_scopes_param: str  # where the redirect lists the scopes the user granted
    redirect_path: str
    challenge: Callable[[str], str]  # code_verifier -> code_challenge (method S256)
    capabilities: Mapping[str, tuple[str, ...]]  # scope -> what it allows
    extra_authorize_params: Mapping[str, str] = field(default_factory=dict)

    def setting(self, name: str) -> str:
        """The environment variable of a per-platform setting, e.g. TRENDREEL_TIKTOK_CLIENT_KEY."""
        return f"TRENDREEL_{self.platform.value.upper()}_{name.upper()}"

    def client_id(self, settings: Settings) -> str:
        value = self._client_id_value(settings)
        if not value:
            raise _not_configured(self, self.setting(self.client_id_param))
        return value

    def client_secret(self, settings: Settings) -> str:
        secret = _field(settings, f"{self.platform.value}_client_secret")
        if not isinstance(secret, SecretStr) or not secret.get_secret_value():
            raise _not_configured(self, self.setting("client_secret"))
        return secret.get_secret_value()

    def account_secret(self, settings: Settings) -> SecretStr | None:
        value = _field(settings, f"{self.platform.value}_account")
        return value if isinstance(value, SecretStr) else None

    def authorize_url(self, settings: Settings) -> str:
        if self.platform is PublishPlatform.YOUTUBE:
            return settings.google_oauth_authorize_url
        return settings.tiktok_authorize_url

    def token_url(self, settings: Settings) -> str:
        if self.platform is PublishPlatform.YOUTUBE:
            return settings.google_oauth_token_url
        return settings.tiktok_token_url

    def allows(self, scopes: tuple[str, ...] | list[str]) -> list[str]:
        """What an account with ``scopes`` may do, in a stable order."""
        granted = {c for scope in scopes for c in self.capabilities.get(scope, ())}
        return [c for c in (UPLOAD, DIRECT, STATISTICS) if c in granted]

    def _client_id_value(self, settings: Settings) -> str | None:
        value = _field(settings, f"{self.platform.value}_{self.client_id_param}")
        return value if isinstance(value, str) else None


def _field(settings: Settings, name: str) -> object:
    return getattr(settings, name, None)


def _not_configured(spec: PlatformOAuth, setting: str) -> ProviderNotConfiguredError:
    error = ProviderNotConfiguredError(spec.platform.value, setting)
    kind = "Desktop app OAuth client" if spec.platform is PublishPlatform.YOUTUBE else "app"
    error.hint = (
        f"Set {setting} from your {spec.label} {kind}'s credentials, then run "
        f"`trendreel accounts connect {spec.platform.value}`."
    )
    return error


YOUTUBE = PlatformOAuth(
    platform=PublishPlatform.YOUTUBE,
    label="YouTube",
    client_id_param="client_id",
    scopes=(YOUTUBE_UPLOAD, YOUTUBE_READONLY),
    scope_separator=" ",
    granted_scopes_param="scope",
    redirect_path="",  # http://127.0.0.1:<port>, exactly as Google's example
    challenge=pkce.s256_challenge,
    # videos.insert publishes at the privacy asked for: the upload scope is a direct post.
    capabilities=MappingProxyType(
        {YOUTUBE_UPLOAD: (UPLOAD, DIRECT), YOUTUBE_READONLY: (STATISTICS,)}
    ),
    # Installed apps always get a refresh token; prompt=consent makes Google issue a new one
    # on a reconnect too, instead of only an access token.
    extra_authorize_params=MappingProxyType({"access_type": "offline", "prompt": "consent"}),
)

TIKTOK = PlatformOAuth(
    platform=PublishPlatform.TIKTOK,
    label="TikTok",
    client_id_param="client_key",
    scopes=("user.info.basic", "video.publish", "video.upload", "video.list"),
    scope_separator=",",
    granted_scopes_param="scopes",
    redirect_path="/callback/",
    challenge=pkce.hex_challenge,
    capabilities=MappingProxyType(
        {"video.upload": (UPLOAD,), "video.publish": (DIRECT,), "video.list": (STATISTICS,)}
    ),
)

PLATFORMS: Mapping[PublishPlatform, PlatformOAuth] = MappingProxyType(
    {PublishPlatform.YOUTUBE: YOUTUBE, PublishPlatform.TIKTOK: TIKTOK}
)


def spec(platform: PublishPlatform | str) -> PlatformOAuth:
    return PLATFORMS[PublishPlatform(platform)]
