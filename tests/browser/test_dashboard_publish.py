"""Publishing from the review dashboard, in headless Chromium against a real LocalServer.

An approved video is published to YouTube from its page: the POST is sent (nothing can be sent
twice while it is in flight), the queued badge shows, the page follows the publication to its
link and then stops polling. A published post links to itself and carries its privacy note, a
failed one says why and what to do, and the numbers are drawn one point per reading. The api's
refusal is shown beside the buttons; a video not approved has no enabled publish button; the
video list shows and filters published videos; phone width still lays out (screenshots in
test-artifacts/).

Videos are seeded straight into the server's job store (finished jobs, with publications where
a test needs them). The server runs without its queue dispatcher, so a queued publication stays
queued until the test moves it on, as the publish function would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.dashboard import sign_in
from tests.e2e.conftest import e2e_settings
from tests.unit.api.fakes import finished_job
from trendreel.local_server import LocalServer
from trendreel.models import Job, Review, ReviewStatus
from trendreel.models.publishing import (
    MetricReading,
    Privacy,
    Publication,
    PublicationError,
    PublicationStatus,
    PublishPlatform,
)

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
VIDEO = "20250314T120300-0000000a"
YOUTUBE, TIKTOK = PublishPlatform.YOUTUBE, PublishPlatform.TIKTOK
YOUTUBE_URL = "https://www.youtube.com/shorts/Xq3dR0aZk2E"
TIKTOK_URL = "https://www.tiktok.com/@trendreel/video/7345678901234567890"
POLL_TIMEOUT_MS = 10_000  # the page asks every 3 s while a publication is in flight


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    """No queue dispatcher: a publish task stays queued, and the test plays the publish
    function by writing the publication's next state to the store."""
    with LocalServer(e2e_settings(tmp_path / "home"), dispatch=False) as running:
        yield running


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def publication(platform: PublishPlatform, status: PublicationStatus, **fields: Any) -> Publication:
    return Publication(
        platform=platform, status=status, requested_at=ago(hours=30), updated_at=ago(hours=1),
        **fields,
    )  # fmt: skip


def seed(
    server: LocalServer, job_id: str, review: ReviewStatus, *publications: Publication
) -> None:
    job = finished_job(job_id, review).model_copy(
        update={"publications": {p.platform: p for p in publications}}
    )
    _, created = server.runtime.store.create(job)
    assert created


def move(server: LocalServer, job_id: str, platform: PublishPlatform, **changes: Any) -> None:
    """What the publish function records as the post goes along."""

    def mutate(job: Job) -> Job:
        pub = job.publications[platform].model_copy(update=changes)
        return job.model_copy(update={"publications": {**job.publications, platform: pub}})

    server.runtime.store.update(job_id, mutate)


def stored(server: LocalServer, job_id: str) -> Job:
    job = server.runtime.store.get(job_id)
    assert job is not None
    return job


def open_video(page: Any, server: LocalServer, job_id: str, status: str) -> None:
    sign_in(page, server)
    page.wait_for_selector("#view-list", state="visible")
    page.goto(f"{server.url}/ui/#/videos/{job_id}")
    page.wait_for_selector(f"#view-review[data-video='{status}']")


def item(platform: PublishPlatform) -> str:
    return f"#publications li[data-platform='{platform.value}']"


def fits_phone(page: Any) -> bool:
    page.set_viewport_size(PHONE)
    return bool(page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def test_publish_to_youtube_sends_the_post_and_follows_it_to_its_link(
    page: Any, server: LocalServer, artifacts: Path
) -> None:
    seed(server, VIDEO, ReviewStatus.APPROVED)
    open_video(page, server, VIDEO, "approved")
    assert page.input_value("#publish-privacy") == "private"
    assert page.is_enabled("#publish-youtube")
    assert page.is_enabled("#publish-tiktok")
    assert page.is_visible("#publications-empty")
    assert "Not published yet" in page.text_content("#metrics")

    # Hold the POST: while it is in flight, nothing more can be asked.
    held: list[Any] = []

    def hold(route: Any) -> None:  # a function: Playwright tags its handlers, not a builtin
        held.append(route)

    page.route(f"**/videos/{VIDEO}/publish", hold)
    page.click("#publish-youtube")
    page.wait_for_selector("#publish[aria-busy='true']")
    for _ in range(100):  # the handler runs as Playwright's events are read
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the POST never left the page"
    assert [page.is_disabled(c) for c in ("#publish-youtube", "#publish-tiktok")] == [True, True]
    assert page.is_disabled("#publish-privacy")
    assert held[0].request.method == "POST"
    assert held[0].request.post_data_json == {"platforms": ["youtube"], "privacy": "private"}
    held[0].continue_()

    page.wait_for_selector(f"{item(YOUTUBE)}[data-status='queued']")
    assert page.text_content(f"{item(YOUTUBE)} .badge") == "queued"
    assert page.get_attribute("#publish", "aria-busy") == "false"
    assert page.is_disabled("#publish-youtube")  # in flight: not asked twice
    assert page.is_enabled("#publish-tiktok")
    assert "YouTube: queued" in page.text_content("#publish-reason")
    pub = stored(server, VIDEO).publications[YOUTUBE]
    assert (pub.status, pub.privacy, pub.requested_by) == ("queued", "private", "api")
    assert TIKTOK not in stored(server, VIDEO).publications

    # The publish function takes it up, then it goes live: the page follows by polling.
    move(server, VIDEO, YOUTUBE, status=PublicationStatus.UPLOADING, started_at=ago(), attempts=1)
    page.wait_for_selector(f"{item(YOUTUBE)}[data-status='uploading']", timeout=POLL_TIMEOUT_MS)
    published = ago(seconds=1)
    move(
        server, VIDEO, YOUTUBE, status=PublicationStatus.PUBLISHED, published_at=published,
        remote_id="Xq3dR0aZk2E", url=YOUTUBE_URL, metrics_due_at=published + timedelta(hours=1),
    )  # fmt: skip
    link = page.wait_for_selector(
        f"{item(YOUTUBE)} a[href='{YOUTUBE_URL}']", timeout=POLL_TIMEOUT_MS
    )
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in (link.get_attribute("rel") or "").split()
    assert page.text_content(f"{item(YOUTUBE)} .badge") == "published"
    assert page.text_content("#video-status") == "published"
    assert page.is_disabled("#publish-youtube")
    assert "YouTube: already published" in page.text_content("#publish-reason")

    # Live but not read yet: no chart, and when the first reading is due.
    due = page.wait_for_selector("#metrics figure[data-platform='youtube'] .next-reading")
    assert "No readings yet: the first is due" in due.text_content()
    assert page.locator("#metrics svg").count() == 0
    page.screenshot(path=str(artifacts / "publish-published.png"), full_page=True)

    # Nothing in flight any more: the page stops asking.
    polls: list[str] = []
    page.on(
        "request", lambda r: polls.append(r.url) if r.url.endswith(f"/videos/{VIDEO}") else None
    )
    page.wait_for_timeout(4_000)  # more than one 3 s polling interval
    assert polls == []


def test_a_published_post_links_a_failed_one_says_why_and_readings_are_drawn(
    page: Any, server: LocalServer, artifacts: Path
) -> None:
    live = ago(days=2)
    readings = [
        MetricReading(checkpoint="1h", read_at=live + timedelta(hours=1), views=120, likes=9,
                      comments=2),
        MetricReading(checkpoint="24h", read_at=live + timedelta(hours=24), views=2450, likes=180,
                      comments=31),
    ]  # fmt: skip
    note = "TikTok posted it as private: the app is not audited for public posts yet."
    tiktok = publication(
        TIKTOK, PublicationStatus.PUBLISHED, privacy=Privacy.PRIVATE, privacy_note=note,
        remote_id="7345678901234567890", url=TIKTOK_URL, published_at=live, attempts=1,
        metrics=readings, metrics_due_at=live + timedelta(days=7),
    )  # fmt: skip
    error = PublicationError(
        platform=YOUTUBE, code="quotaExceeded", retryable=True,
        message="youtube: the project's daily upload quota is used up (quotaExceeded)",
        hint="The quota resets at midnight Pacific time: publish again after that.",
    )  # fmt: skip
    youtube = publication(YOUTUBE, PublicationStatus.FAILED, attempts=3, error=error)
    seed(server, VIDEO, ReviewStatus.APPROVED, tiktok, youtube)
    open_video(page, server, VIDEO, "published")

    link = page.wait_for_selector(f"{item(TIKTOK)}[data-status='published'] a")
    assert link.get_attribute("href") == TIKTOK_URL
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in (link.get_attribute("rel") or "").split()
    assert note in page.text_content(f"{item(TIKTOK)} .privacy-note")
    assert page.text_content(f"{item(YOUTUBE)} .badge") == "failed"
    assert page.text_content(f"{item(YOUTUBE)} .pub-error-message") == error.message
    assert page.text_content(f"{item(YOUTUBE)} .pub-error-hint") == error.hint
    assert page.is_enabled("#publish-youtube")  # a failed post may be asked for again
    assert page.is_disabled("#publish-tiktok")
    assert "TikTok: already published" in page.text_content("#publish-reason")

    # One point per reading for each number, left to right; 24 h is above 1 h on every scale.
    chart = page.wait_for_selector("#metrics figure[data-platform='tiktok'] svg.chart")
    assert chart.get_attribute("data-points") == "2"
    assert chart.get_attribute("role") == "img"
    assert "2,450" in (chart.get_attribute("aria-label") or "")
    for metric, values in (("views", [120, 2450]), ("likes", [9, 180]), ("comments", [2, 31])):
        points = page.eval_on_selector_all(
            f"#metrics figure[data-platform='tiktok'] circle[data-metric='{metric}']",
            "els => els.map(e => [e.dataset.checkpoint, Number(e.dataset.value),"
            " Number(e.getAttribute('cx')), Number(e.getAttribute('cy'))])",
        )
        assert [(p[0], p[1]) for p in points] == [("1h", values[0]), ("24h", values[1])]
        assert points[0][2] < points[1][2]
        assert points[0][3] > points[1][3]
    assert page.locator("#metrics figure[data-platform='tiktok'] polyline").count() == 3
    assert page.locator("#metrics figure[data-platform='tiktok'] tbody tr").count() == 2
    assert "Next reading due" in page.text_content(
        "#metrics figure[data-platform='tiktok'] .next-reading"
    )
    youtube_numbers = "#metrics figure[data-platform='youtube']"
    assert page.locator(f"{youtube_numbers} svg").count() == 0
    assert "Not live yet" in page.text_content(youtube_numbers)
    page.screenshot(path=str(artifacts / "publish-metrics.png"), full_page=True)

    assert fits_phone(page)
    box = chart.bounding_box()
    assert box is not None
    assert 200 < box["width"] <= PHONE["width"]
    assert page.is_visible("#publish-youtube")
    page.screenshot(path=str(artifacts / "publish-phone.png"), full_page=True)


def test_the_apis_refusal_is_shown_beside_the_buttons(page: Any, server: LocalServer) -> None:
    seed(server, VIDEO, ReviewStatus.APPROVED)
    open_video(page, server, VIDEO, "approved")
    # Meanwhile someone else rejects the video: the page still offers publishing.
    rejected = Review(status=ReviewStatus.REJECTED, reason="off-topic", reviewed_at=ago())
    server.runtime.store.update(VIDEO, lambda job: job.model_copy(update={"review": rejected}))

    page.click("#publish-tiktok")

    page.wait_for_selector("#publish-error", state="visible")
    message = page.text_content("#publish-error-message")
    assert message.startswith("Not published: ")
    assert f"video {VIDEO} was rejected: only approved videos are published" in message
    assert "approved" in page.text_content("#publish-error-hint")
    assert "publish-error" in (page.get_attribute("#publish-tiktok", "aria-describedby") or "")
    # The page then shows where the video stands: rejected, nothing to publish.
    page.wait_for_selector("#view-review[data-review='rejected']")
    assert page.is_disabled("#publish-tiktok")
    assert page.is_disabled("#publish-youtube")
    assert "rejected" in page.text_content("#publish-reason")
    assert page.is_visible("#publish-error")  # the refusal stays until the next request
    assert stored(server, VIDEO).publications == {}


def test_a_video_not_approved_has_no_enabled_publish_button(page: Any, server: LocalServer) -> None:
    seed(server, VIDEO, ReviewStatus.GENERATED)
    seed(server, "20250314T120300-0000000b", ReviewStatus.REJECTED)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.url.endswith("/publish") else None)

    open_video(page, server, VIDEO, "generated")
    assert page.is_disabled("#publish-youtube")
    assert page.is_disabled("#publish-tiktok")
    assert page.is_disabled("#publish-privacy")
    assert "approve the video first" in page.text_content("#publish-reason")

    page.click("#approve")  # approving makes it publishable, at once
    page.wait_for_selector("#view-review[data-review='approved']")
    assert page.is_enabled("#publish-youtube")
    assert page.is_enabled("#publish-tiktok")
    assert page.is_hidden("#publish-reason")

    page.goto(f"{server.url}/ui/#/videos/20250314T120300-0000000b")
    page.wait_for_selector("#view-review[data-video='rejected']")
    assert page.is_disabled("#publish-youtube")
    assert page.is_disabled("#publish-tiktok")
    assert "was rejected" in page.text_content("#publish-reason")
    assert posts == []


def test_the_video_list_shows_published_videos_and_filters_them(
    page: Any, server: LocalServer, artifacts: Path
) -> None:
    live = publication(
        TIKTOK, PublicationStatus.PUBLISHED, url=TIKTOK_URL, published_at=ago(hours=3)
    )
    seed(server, "20250314T120300-0000000c", ReviewStatus.APPROVED, live)
    seed(server, "20250314T120200-0000000b", ReviewStatus.APPROVED)
    seed(server, "20250314T120100-0000000a", ReviewStatus.GENERATED)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/videos?" in r.url else None)
    sign_in(page, server)
    page.wait_for_selector("#view-list", state="visible")

    page.click("#nav-videos")
    page.wait_for_selector("#view-videos", state="visible")
    page.wait_for_function("() => document.querySelectorAll('#video-list li').length === 3")
    assert page.get_attribute("#nav-videos", "aria-current") == "page"
    rows = page.eval_on_selector_all(
        "#video-list li",
        "els => els.map(e => [e.dataset.videoId, e.querySelector('.job-head .badge').textContent])",
    )
    assert sorted(rows) == [
        ["20250314T120100-0000000a", "generated"],
        ["20250314T120200-0000000b", "approved"],
        ["20250314T120300-0000000c", "published"],
    ]
    published = "#video-list li[data-video-id='20250314T120300-0000000c']"
    assert page.text_content(f"{published} .pub-badges .badge") == "TikTok: published"
    watch = page.wait_for_selector(f"{published} a[target='_blank']")
    assert watch.get_attribute("href") == TIKTOK_URL
    assert "noopener" in (watch.get_attribute("rel") or "").split()

    page.select_option("#video-filter", "published")
    page.wait_for_function("() => document.querySelectorAll('#video-list li').length === 1")
    assert page.get_attribute("#video-list li", "data-status") == "published"
    assert "status=published" in asked[-1]
    assert fits_phone(page)
    page.screenshot(path=str(artifacts / "videos-phone.png"), full_page=True)

    page.select_option("#video-filter", "rejected")
    page.wait_for_selector("#video-list-empty", state="visible")
    assert page.locator("#video-list li").count() == 0
    assert page.text_content("#video-list-empty") == "No rejected videos."

    page.select_option("#video-filter", "")
    page.wait_for_function("() => document.querySelectorAll('#video-list li').length === 3")
    page.click(f"{published} a.button.primary")
    page.wait_for_selector("#view-review[data-video='published']")
