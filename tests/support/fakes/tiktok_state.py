"""The fake TikTok's account: its uploads and posts, and the answers of each endpoint.

Not thread-safe by itself: FakeTikTok calls it under its lock.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.support.fakes.tiktok_records import Post, Reply, Upload
from tests.support.fakes.tiktok_rules import (
    UPLOAD_TYPES,
    ChunkLimits,
    Creator,
    chunk_problem,
    error_body,
    ok_body,
    utf16_units,
)

_CAPPED = "The daily post cap from the API is reached for the current user."
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


@dataclass
class Account:
    clock: Callable[[], float]
    upload_base: str
    creator: Creator = field(default_factory=Creator)
    limits: ChunkLimits = field(default_factory=ChunkLimits)
    audited: bool = True
    unaudited_needs_private_account: bool = False
    processing_polls: int = 1
    fail_reason: str | None = None
    interrupt_after_chunks: int | None = None
    daily_post_cap: int | None = None  # spam_risk_too_many_posts once this many posts exist
    upload_url_ttl: float = 3600.0  # "valid for one hour after issuance"
    uploads: dict[str, Upload] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def creator_info(self) -> Reply:
        if self._capped():  # "200 (intentional)"
            return Reply(200, error_body("spam_risk_too_many_posts", _CAPPED))
        return Reply(200, ok_body(self.creator.info()))

    def init(self, body: Any) -> Reply:
        post_info = body.get("post_info") if isinstance(body, dict) else None
        source = body.get("source_info") if isinstance(body, dict) else None
        if not isinstance(post_info, dict) or not isinstance(source, dict):
            return _invalid("post_info and source_info are required")
        if source.get("source") == "PULL_FROM_URL":
            return Reply(403, error_body("url_ownership_unverified", "URL is not verified"))
        if source.get("source") != "FILE_UPLOAD":
            return _invalid("source must be FILE_UPLOAD or PULL_FROM_URL")
        size, chunk, count = (
            source.get(k, 0) for k in ("video_size", "chunk_size", "total_chunk_count")
        )
        problem = chunk_problem(size, chunk, count, self.limits) or _post_info_problem(post_info)
        if problem:
            return _invalid(problem)
        return self._refusal(post_info.get("privacy_level")) or self._open(post_info, size, chunk)

    def _open(self, post_info: dict[str, Any], size: int, chunk: int) -> Reply:
        n = next(self._ids)
        publish_id = f"v_pub_file~v2-1.{7_300_000_000_000_000_000 + n}"
        token = secrets.token_urlsafe(8)
        self.uploads[publish_id] = Upload(
            publish_id, str(n), token, self.clock(), size, chunk, size // chunk, post_info,
            self.fail_reason,
        )  # fmt: skip
        url = f"{self.upload_base}/upload/?upload_id={n}&upload_token={token}"
        return Reply(200, ok_body({"publish_id": publish_id, "upload_url": url}))

    def status(self, body: Any) -> Reply:
        upload = self.uploads.get(body.get("publish_id", "")) if isinstance(body, dict) else None
        if upload is None:
            return Reply(400, error_body("invalid_publish_id", "The publish_id does not exist"))
        data: dict[str, Any] = {"status": "PROCESSING_UPLOAD", "publicaly_available_post_id": []}
        data["uploaded_bytes"] = len(upload.data)
        if upload.chunks_done == upload.count:
            upload.polls_after_upload += 1
            if upload.polls_after_upload > self.processing_polls:
                data.update(_outcome(upload))
        return Reply(200, ok_body(data))

    def video_query(self, fields: str, body: Any) -> Reply:
        filters = body.get("filters") if isinstance(body, dict) else None
        ids = filters.get("video_ids") if isinstance(filters, dict) else None
        if not fields or not isinstance(ids, list) or not 0 < len(ids) <= 20:
            return _invalid("fields and 1-20 filters.video_ids are required", "invalid_params")
        wanted = fields.split(",")
        videos = [_video(post, wanted) for post in self.posts if post.post_id in ids]
        return Reply(200, ok_body({"videos": videos, "cursor": 0, "has_more": False}))

    def put_chunk(self, query: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> Reply:
        upload = next(
            (u for u in self.uploads.values() if u.upload_id == query.get("upload_id")), None
        )
        if upload is None or upload.upload_token != query.get("upload_token"):
            return Reply(404)
        if self.clock() - upload.issued_at >= self.upload_url_ttl:
            return Reply(403)
        first, length = upload.span(upload.chunks_done)
        progress = {"Content-Range": f"bytes 0-{len(upload.data) - 1}/{upload.size}"}
        sent = _RANGE.match(headers.get("content-range", ""))
        if sent is None or headers.get("content-type") not in UPLOAD_TYPES:
            return Reply(400)
        start, end, total = (int(g) for g in sent.groups())
        if upload.chunks_done == upload.count or start != first:
            return Reply(416, headers=progress)
        if total != upload.size or end - start + 1 != length or len(body) != length:
            return Reply(400)
        if self.interrupt_after_chunks == upload.chunks_done:
            self.interrupt_after_chunks = None
            return Reply(0, cut=True)
        upload.data += body
        upload.chunks_done += 1
        progress = {"Content-Range": f"bytes 0-{len(upload.data) - 1}/{upload.size}"}
        if upload.chunks_done < upload.count:
            return Reply(206, headers=progress)
        self._post(upload)
        return Reply(201, headers=progress)

    def _refusal(self, privacy: Any) -> Reply | None:
        if privacy not in self.creator.privacy_level_options():
            message = "privacy_level is not among the creator's privacy_level_options"
            return Reply(403, error_body("privacy_level_option_mismatch", message))
        public_account = not self.creator.private_account
        strict = self.unaudited_needs_private_account and public_account
        if not self.audited and (privacy != "SELF_ONLY" or strict):
            message = "Unaudited clients can only post to a private account"
            return Reply(
                403, error_body("unaudited_client_can_only_post_to_private_accounts", message)
            )
        if self._capped():
            return Reply(403, error_body("spam_risk_too_many_posts", _CAPPED))
        return None

    def _capped(self) -> bool:
        return self.daily_post_cap is not None and len(self.posts) >= self.daily_post_cap

    def _post(self, upload: Upload) -> None:
        if upload.fail_reason is None:
            digest = hashlib.sha256(upload.data).hexdigest()
            post_id = str(7_400_000_000_000_000_000 + len(self.posts) + 1)
            upload.post = Post(post_id, upload.publish_id, upload.post_info, upload.size, digest)
            self.posts.append(upload.post)


def _outcome(upload: Upload) -> dict[str, Any]:
    if upload.post is None:
        return {"status": "FAILED", "fail_reason": upload.fail_reason}
    public = upload.post_info.get("privacy_level") == "PUBLIC_TO_EVERYONE"
    # A post id only for a post "published for public viewership" (Get Post Status).
    ids = [int(upload.post.post_id)] if public else []
    return {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": ids}


def _post_info_problem(post_info: dict[str, Any]) -> str | None:
    title = post_info.get("title", "")
    if not isinstance(title, str) or utf16_units(title) > 2200:
        return "title must be a string of at most 2200 UTF-16 runes"
    flags = ("disable_comment", "disable_duet", "disable_stitch", "is_aigc", "brand_content_toggle")
    if any(not isinstance(post_info.get(flag, False), bool) for flag in flags):
        return "disable_*, is_aigc and brand_*_toggle must be booleans"
    return None


def _video(post: Post, fields: list[str]) -> dict[str, Any]:
    values = {"id": post.post_id, "view_count": post.views, "like_count": post.likes}
    values |= {"comment_count": post.comments, "title": post.post_info.get("title", "")}
    return {name: values[name] for name in fields if name in values}


def _invalid(message: str, code: str = "invalid_param") -> Reply:
    return Reply(400, error_body(code, message))
