"""What TikTok refuses, and what the publisher makes of it: the unaudited app, rejected tokens,
rate limits and daily caps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fakes.tiktok import CREATOR_INFO, STATUS_FETCH, VIDEO_INIT
from tests.support.fakes.tiktok_harness import KIB, Recorder, TikTokHarness
from trendreel.errors import (
    ProviderAuthError,
    ProviderQuotaExceededError,
    ProviderRateLimitError,
)
from trendreel.models.publishing import Privacy
from trendreel.providers.base import UsageLog


@pytest.fixture
def tiktok(tmp_path: Path) -> Iterator[TikTokHarness]:
    harness = TikTokHarness.start(tmp_path)
    try:
        yield harness
    finally:
        harness.stop()


def test_unaudited_app_asked_for_public_posts_privately_and_says_why(
    tiktok: TikTokHarness,
) -> None:
    tiktok.fake.account.audited = False
    request = tiktok.video(12 * KIB, privacy=Privacy.PUBLIC)

    result = tiktok.publisher().publish(request, None, Recorder(), UsageLog())

    inits = tiktok.fake.calls(VIDEO_INIT)
    assert [i.status for i in inits] == [403, 200]
    assert [i.body["post_info"]["privacy_level"] for i in inits] == [
        "PUBLIC_TO_EVERYONE",
        "SELF_ONLY",
    ]
    [post] = tiktok.fake.posts
    assert post.post_info["privacy_level"] == "SELF_ONLY"
    assert result.status == "published"
    assert result.privacy_note is not None
    assert "audit" in result.privacy_note
    assert "SELF_ONLY" in result.privacy_note


def test_the_note_comes_back_with_a_post_still_processing(tiktok: TikTokHarness) -> None:
    tiktok.fake.account.audited = False
    tiktok.fake.account.processing_polls = 1000
    publisher = tiktok.publisher(tiktok.settings(publish_poll_seconds=10))

    result = publisher.publish(tiktok.video(12 * KIB), None, Recorder(), UsageLog())

    # The runner records a processing result, note included, and asks status() later.
    assert result.status == "processing"
    assert result.privacy_note is not None
    assert "audit" in result.privacy_note


def test_unaudited_app_and_a_public_account_fail_with_what_to_do(tiktok: TikTokHarness) -> None:
    tiktok.fake.account.audited = False
    tiktok.fake.account.unaudited_needs_private_account = True
    recorder = Recorder()

    with pytest.raises(ProviderAuthError) as caught:
        tiktok.publisher().publish(tiktok.video(12 * KIB), None, recorder, UsageLog())

    assert "unaudited_client_can_only_post_to_private_accounts" in str(caught.value)
    assert "private account" in caught.value.hint
    assert "audit" in caught.value.hint
    assert not caught.value.retryable
    assert [i.status for i in tiktok.fake.calls(VIDEO_INIT)] == [403, 403]
    assert tiktok.fake.posts == []
    assert recorder.sessions == []


def test_unaudited_app_asked_for_private_posts_at_once(tiktok: TikTokHarness) -> None:
    tiktok.fake.account.audited = False
    request = tiktok.video(12 * KIB, privacy=Privacy.PRIVATE)

    result = tiktok.publisher().publish(request, None, Recorder(), UsageLog())

    assert [i.status for i in tiktok.fake.calls(VIDEO_INIT)] == [200]
    assert result.privacy_note is None
    assert tiktok.fake.posts[0].post_info["privacy_level"] == "SELF_ONLY"


def test_an_expired_access_token_is_refreshed_exactly_once(tiktok: TikTokHarness) -> None:
    stale = tiktok.tokens.access_token()
    tiktok.registry.expire_all()

    result = tiktok.publisher().publish(tiktok.video(12 * KIB), None, Recorder(), UsageLog())

    assert result.status == "published"
    assert tiktok.tokens.invalidated == [stale]
    assert tiktok.registry.refreshes == 2  # the stale token, and its one replacement
    assert [c.status for c in tiktok.fake.calls(CREATOR_INFO)] == [401, 200]
    fresh = tiktok.tokens.access_token()
    assert tiktok.fake.calls(VIDEO_INIT)[0].headers["authorization"] == f"Bearer {fresh}"


def test_a_token_rejected_after_its_refresh_asks_to_connect_again(tmp_path: Path) -> None:
    tiktok = TikTokHarness.start(tmp_path, ttl=-1)  # every token it gets is already expired
    try:
        with pytest.raises(ProviderAuthError) as caught:
            tiktok.publisher().publish(tiktok.video(12 * KIB), None, Recorder(), UsageLog())
        tokens = [i.headers["authorization"].split()[1] for i in tiktok.fake.calls(CREATOR_INFO)]
    finally:
        tiktok.stop()

    assert "trendreel accounts connect tiktok" in caught.value.hint
    assert "access_token_invalid" in str(caught.value)
    assert tiktok.registry.refreshes == 2
    assert len(tokens) == 2
    for token in tokens:  # no secret in what a person sees
        assert token not in str(caught.value)
        assert token not in caught.value.hint
        assert token not in repr(caught.value)


def test_a_missing_scope_is_not_refreshed_but_reconnected(tmp_path: Path) -> None:
    tiktok = TikTokHarness.start(tmp_path, scopes={"user.info.basic"})
    try:
        with pytest.raises(ProviderAuthError) as caught:
            tiktok.publisher().publish(tiktok.video(12 * KIB), None, Recorder(), UsageLog())
    finally:
        tiktok.stop()

    assert "scope_not_authorized" in str(caught.value)
    assert "trendreel accounts connect tiktok" in caught.value.hint
    assert tiktok.registry.refreshes == 1


def test_seven_posts_in_a_row_wait_for_the_init_limit_instead_of_a_429(
    tiktok: TikTokHarness,
) -> None:
    tiktok.fake.account.processing_polls = 0
    publisher = tiktok.publisher()
    recorder = Recorder()

    for n in range(7):
        request = tiktok.video(6 * KIB + n, name=f"video-{n}.mp4")
        assert publisher.publish(request, None, recorder, UsageLog()).status == "published"

    assert len(tiktok.fake.posts) == 7
    assert [r for r in tiktok.fake.requests if r.status == 429] == []
    # video/init takes 6 a minute per token: the 7th waited for the first to leave the window.
    inits = [s.opened_at for s in recorder.sessions]
    assert (inits[6] - inits[0]).total_seconds() >= 60
    assert (inits[5] - inits[0]).total_seconds() < 60


def test_a_rate_limit_spent_elsewhere_is_a_retryable_rate_limit_error(
    tiktok: TikTokHarness,
) -> None:
    tiktok.fake.throttle(VIDEO_INIT, 10)
    recorder = Recorder()

    with pytest.raises(ProviderRateLimitError) as caught:
        tiktok.publisher().publish(tiktok.video(12 * KIB), None, recorder, UsageLog())

    assert caught.value.retryable
    assert "rate_limit_exceeded" in str(caught.value)
    assert [i.status for i in tiktok.fake.calls(VIDEO_INIT)] == [429, 429, 429]  # 1 + 2 retries
    # The shared client's backoff (0.5 s, then 1 s, each stretched by up to 25 % jitter) ran
    # on the fake clock.
    first, second = tiktok.time.slept
    assert 0.5 <= first < 0.625
    assert 1.0 <= second < 1.25
    assert recorder.sessions == []
    assert tiktok.fake.posts == []


def test_the_daily_post_cap_is_a_quota_error_read_from_a_200(tiktok: TikTokHarness) -> None:
    tiktok.fake.account.daily_post_cap = 0

    with pytest.raises(ProviderQuotaExceededError) as caught:
        tiktok.publisher().publish(tiktok.video(12 * KIB), None, Recorder(), UsageLog())

    assert [c.status for c in tiktok.fake.calls(CREATOR_INFO)] == [200]
    assert "spam_risk_too_many_posts" in str(caught.value)
    assert "log_id" in str(caught.value)
    assert "tomorrow" in caught.value.hint
    assert not caught.value.retryable
    assert tiktok.fake.calls(VIDEO_INIT) == []
    assert tiktok.fake.calls(STATUS_FETCH) == []
