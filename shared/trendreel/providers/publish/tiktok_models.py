"""The ``data`` of TikTok's answers, validated where they enter (pydantic at the boundary).

Fields as documented by Query Creator Info
(https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info), Direct Post
(https://developers.tiktok.com/doc/content-posting-api-reference-direct-post), Get Post Status
(https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status) and Query
Videos (https://developers.tiktok.com/doc/tiktok-api-v2-video-query). Unknown fields are ignored:
TikTok adds fields without a new API version.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trendreel.errors import ProviderResponseError

PROCESSING_UPLOAD = "PROCESSING_UPLOAD"
PUBLISH_COMPLETE = "PUBLISH_COMPLETE"
FAILED = "FAILED"


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CreatorInfo(_Data):
    creator_username: str = ""
    privacy_level_options: list[str] = Field(min_length=1)
    comment_disabled: bool = False
    duet_disabled: bool = False
    stitch_disabled: bool = False
    max_video_post_duration_sec: int = Field(ge=1)


class InitData(_Data):
    publish_id: str = Field(min_length=1, max_length=64)
    upload_url: str = Field(min_length=1)


class PostStatus(_Data):
    status: str
    fail_reason: str | None = None
    # TikTok's own spelling. Documented as list<int64>: read as text, as ids are elsewhere.
    publicaly_available_post_id: list[int | str] = Field(default_factory=list)
    uploaded_bytes: int | None = None

    @property
    def post_ids(self) -> list[str]:
        return [str(post_id) for post_id in self.publicaly_available_post_id]


class VideoStats(_Data):
    id: str
    view_count: int = Field(default=0, ge=0)
    like_count: int = Field(default=0, ge=0)
    comment_count: int = Field(default=0, ge=0)


class VideoList(_Data):
    videos: list[VideoStats] = Field(default_factory=list)


Model = TypeVar("Model", bound=_Data)


def parse(model: type[Model], data: dict[str, Any], where: str) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:3])
        raise ProviderResponseError(
            "tiktok", f"{where} answered data TikTok does not document (fields: {fields})"
        ) from exc
