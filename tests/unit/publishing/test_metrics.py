"""Numbers back: a published video's views, likes and comments read about 1 h, 24 h and 7 d
after publishing, by the collector the scheduled metrics function runs."""

from __future__ import annotations

from tests.unit.publishing.conftest import JOB, YT, ask, deliver
from tests.unit.publishing.fakes import FakePublisher
from tests.unit.test_runner import Clock
from trendreel import services
from trendreel.bootstrap import Runtime


def _published(rt: Runtime) -> Clock:
    deliver(rt, ask(rt))
    clock = rt.clock
    assert isinstance(clock, Clock)
    return clock


def test_readings_follow_the_checkpoints(rt: Runtime, publisher: FakePublisher) -> None:
    clock = _published(rt)
    assert services.collect_metrics(rt)["read"] == []  # nothing due yet

    clock.advance(3601)
    assert services.collect_metrics(rt)["read"] == [f"{JOB}/youtube/1h"]
    assert services.collect_metrics(rt)["read"] == []  # the collector may run twice: one reading

    clock.advance(24 * 3600)
    services.collect_metrics(rt)
    pub = rt.store.get(JOB).publications[YT]  # type: ignore[union-attr]
    assert [r.checkpoint for r in pub.metrics] == ["1h", "24h"]
    assert [r.views for r in pub.metrics] == [100, 200]
    assert pub.metrics_due_at is not None
    assert pub.published_at is not None
    assert (pub.metrics_due_at - pub.published_at).days == 7


def test_a_collector_that_was_down_reads_the_latest_checkpoint_only(
    rt: Runtime, publisher: FakePublisher
) -> None:
    clock = _published(rt)
    clock.advance(8 * 24 * 3600)
    services.collect_metrics(rt)
    pub = rt.store.get(JOB).publications[YT]  # type: ignore[union-attr]
    assert [r.checkpoint for r in pub.metrics] == ["7d"]
    assert pub.metrics_due_at is None
    assert rt.store.publications_due(due_before=clock(), limit=10) == []
