"""Chunk plans follow TikTok's Media Transfer Guide, checked against the fake's own reading of
it; the client-side limiter waits out TikTok's one-minute windows."""

from __future__ import annotations

import pytest

from tests.support.fakes.tiktok_harness import FakeTime
from tests.support.fakes.tiktok_rules import ChunkLimits, chunk_problem
from trendreel.errors import ProviderResponseError
from trendreel.providers.publish.tiktok_chunks import MIB, ChunkPlan, plan_chunks
from trendreel.providers.publish.tiktok_limits import SlidingWindowLimiter
from trendreel.providers.publish.tiktok_post_info import utf16_prefix


def test_the_guides_example_five_chunks_with_the_tail_in_the_last() -> None:
    plan = plan_chunks(50_000_123, preferred=10_000_000)

    assert plan.source_info() == {
        "source": "FILE_UPLOAD",
        "video_size": 50_000_123,
        "chunk_size": 10_000_000,
        "total_chunk_count": 5,
    }
    assert [plan.span(i) for i in range(5)] == [
        (0, 10_000_000),
        (10_000_000, 10_000_000),
        (20_000_000, 10_000_000),
        (30_000_000, 10_000_000),
        (40_000_000, 10_000_123),
    ]


def test_under_5_mib_is_one_whole_chunk() -> None:
    assert plan_chunks(4_194_304).source_info()["chunk_size"] == 4_194_304
    assert plan_chunks(4_194_304).total_chunk_count == 1


def test_over_64_mib_is_never_one_chunk_even_if_asked() -> None:
    plan = plan_chunks(100 * MIB, preferred=64 * MIB)

    assert plan.total_chunk_count == 2
    assert plan.chunk_size == 50 * MIB


@pytest.mark.parametrize(
    "size",
    [1, 5 * MIB - 1, 5 * MIB, 12 * MIB, 64 * MIB, 64 * MIB + 1, 129 * MIB, 999 * MIB, 4096 * MIB],
)
@pytest.mark.parametrize("preferred", [1, 5 * MIB, 10 * MIB, 64 * MIB, 200 * MIB])
def test_every_plan_keeps_the_rules_as_the_fake_reads_them(size: int, preferred: int) -> None:
    plan = plan_chunks(size, preferred)

    assert chunk_problem(size, plan.chunk_size, plan.total_chunk_count, ChunkLimits()) is None
    spans = [plan.span(i) for i in range(plan.total_chunk_count)]
    assert sum(length for _, length in spans) == size
    assert all(first == i * plan.chunk_size for i, (first, _) in enumerate(spans))


def test_a_video_over_4_gb_is_refused() -> None:
    with pytest.raises(ProviderResponseError, match="at most"):
        plan_chunks(4096 * MIB + 1)


def test_resuming_restarts_the_chunk_holding_the_acknowledged_byte() -> None:
    plan = ChunkPlan(45 * 1024 + 123, 10 * 1024)

    assert plan.index_of(0) == 0
    assert plan.index_of(20 * 1024) == 2  # two chunks acknowledged: send the third
    assert plan.index_of(25 * 1024) == 2  # half a chunk: send it again from its start
    assert plan.index_of(44 * 1024) == 3  # inside the long final chunk


def test_the_limiter_waits_for_the_oldest_call_to_leave_the_window() -> None:
    clock = FakeTime()
    limiter = SlidingWindowLimiter(clock.time, clock.sleep)

    for _ in range(6):
        limiter.acquire("video_init")
        clock.advance(1)
    limiter.acquire("video_init")  # the 7th within a minute

    assert clock.slept == [pytest.approx(55.0)]  # 60 s after the first, plus 1 s of margin
    limiter.acquire("status_fetch")  # another endpoint has a window of its own
    assert len(clock.slept) == 1


def test_utf16_prefix_counts_astral_characters_as_two_units() -> None:
    assert utf16_prefix("ab🚀c", 3) == "ab"
    assert utf16_prefix("ab🚀c", 4) == "ab🚀"
    assert utf16_prefix("abc", 2200) == "abc"
