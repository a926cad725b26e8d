"""Publishing in the deployed shape (tests/e2e/gcp_stack.py): every function behind a Cloud Run
edge with the environment infra/ gives it, against the Firestore, Cloud Storage and Cloud Tasks
emulators, publishing to the platforms' doubles (tests/support/fakes).

A scheduled run makes a job with ``auto_post`` for YouTube Shorts; a person approves it through
the api, and the publish task goes through the Cloud Tasks emulator to the publish function (the
invoker's OIDC token, checked by the edge and forwarded without its signature); TikTok is asked
for through the api; Cloud Scheduler's metrics run reads both posts' numbers once the 1 h
checkpoint has passed; a webhook endpoint registered with POST /webhooks gets every event, signed.

What this test deployment supplies beyond infra/ (gcp_stack.py says how each is kept apart):
the Secret Manager values infra/ mounts (both accounts as ``trendreel accounts connect`` stores
them, both OAuth client secrets, the webhook secret), under the variables infra/ mounts them as,
on the services it mounts them on; the doubles' URLs, as overrides of publish and metrics only
(infra/ leaves the platforms' URLs at their defaults); and the internet, where the receiver is
(``PublicInternet``: trendreel sends webhooks only to public https hosts, as it should).

The clock: the metrics function reads the time from the system (``Runtime.clock``) and nothing
tells it another, so instead of moving its clock, the test moves the publications back in time
in Firestore (published 61 minutes ago, reading due 1 minute ago) through the job store itself;
the deployed function then runs unmodified, on the real clock, and finds the 1 h reading due.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from secrets import token_hex
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.e2e.conftest import short_config
from tests.e2e.gcp_stack import STAGES, GcpStack
from tests.support.cloud_run.internet import PublicInternet
from tests.support.fakes.oauth import FakeGoogleOAuth, FakeTikTokOAuth
from tests.support.fakes.tiktok import FakeTikTok
from tests.support.fakes.tokens import TokenRegistry
from tests.support.fakes.webhook_receiver import WebhookReceiver
from tests.support.fakes.youtube import FakeYouTube
from trendreel.accounts.store import StoredAccount
from trendreel.adapters.firestore_jobs import FirestoreJobStore
from trendreel.models import Job
from trendreel.models.publishing import PublishPlatform

pytestmark = [pytest.mark.emulator, pytest.mark.slow]
YOUTUBE_SCOPES = (
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.readonly",
)
TIKTOK_SCOPES = ("user.info.basic", "video.publish", "video.upload", "video.list")
RECEIVER_HOST = "hooks.example.com"
EVENTS = ["job.completed", "video.approved", "video.published", "video.published"]


@dataclass(frozen=True)
class Platforms:
    youtube: FakeYouTube
    google: FakeGoogleOAuth
    tiktok: FakeTikTok
    tiktok_oauth: FakeTikTokOAuth

    def urls(self) -> dict[str, str]:
        """Where publish and metrics find the platforms: the doubles (Settings' fields)."""
        return {
            "TRENDREEL_GOOGLE_OAUTH_TOKEN_URL": self.google.token_url,
            "TRENDREEL_YOUTUBE_UPLOAD_BASE_URL": self.youtube.upload_base,
            "TRENDREEL_YOUTUBE_BASE_URL": self.youtube.data_base,
            "TRENDREEL_TIKTOK_TOKEN_URL": f"{self.tiktok_oauth.url}/v2/oauth/token/",
            "TRENDREEL_TIKTOK_BASE_URL": self.tiktok.url,
        }

    def secrets(self) -> dict[str, str]:
        """Secret Manager's values: the connected accounts (the JSON `trendreel accounts
        connect` writes, refresh tokens the doubles granted) and the OAuth client secrets."""
        now = datetime.now(UTC)
        youtube = StoredAccount(
            platform=PublishPlatform.YOUTUBE,
            refresh_token=SecretStr(self.google.registry.grant(set(YOUTUBE_SCOPES))),
            scopes=YOUTUBE_SCOPES,
            client_id=self.google.client_id,
            connected_at=now,
        )
        tiktok = StoredAccount(
            platform=PublishPlatform.TIKTOK,
            refresh_token=SecretStr(self.tiktok_oauth.registry.grant(set(TIKTOK_SCOPES))),
            scopes=TIKTOK_SCOPES,
            client_id=self.tiktok_oauth.client_key,
            connected_at=now,
        )
        return {
            "youtube_account": youtube.to_file_json(),
            "youtube_client_secret": self.google.client_secret,
            "tiktok_account": tiktok.to_file_json(),
            "tiktok_client_secret": self.tiktok_oauth.client_secret,
        }


@dataclass(frozen=True)
class Deployed:
    stack: GcpStack
    platforms: Platforms
    receiver: WebhookReceiver
    hook_url: str  # the receiver, as the internet reaches it


def start_platforms(started: ExitStack) -> Platforms:
    yt_tokens, tt_tokens = TokenRegistry("yt"), TokenRegistry("tt")
    platforms = Platforms(
        FakeYouTube(yt_tokens, processed_after=0),
        FakeGoogleOAuth(yt_tokens),
        FakeTikTok(tt_tokens),
        FakeTikTokOAuth(tt_tokens),
    )
    for fake in (platforms.youtube, platforms.google, platforms.tiktok, platforms.tiktok_oauth):
        fake.start()
        started.callback(fake.stop)
    return platforms


@pytest.fixture(scope="module")
def deployed() -> Iterator[Deployed]:
    with ExitStack() as started:  # unwound in reverse: the functions stop before the doubles
        platforms = start_platforms(started)
        receiver = started.enter_context(WebhookReceiver())
        internet = started.enter_context(PublicInternet())
        hook_url = internet.publish(RECEIVER_HOST, receiver.url)
        variables = {  # tfvars, as an operator publishing to both platforms sets them
            "publish_platforms": ["youtube", "tiktok"],
            "youtube_client_id": platforms.google.client_id,
            "tiktok_client_key": platforms.tiktok_oauth.client_key,
            "publish_privacy": "public",  # TikTok shows numbers of public posts only
            "webhook_secret_enabled": True,
        }
        stack = GcpStack(
            variables,
            secrets={**platforms.secrets(), "webhook_secret": token_hex(32)},
            overrides={"publish": platforms.urls(), "metrics": platforms.urls()},
            internet=internet,
        )
        yield Deployed(started.enter_context(stack), platforms, receiver, hook_url)


@contextmanager
def logs_on_failure(stack: GcpStack) -> Iterator[None]:
    try:
        yield
    except Exception:
        stack.print_logs()
        raise


def publications(stack: GcpStack, job_id: str) -> dict[str, dict[str, Any]]:
    """The job's publications as Firestore holds them."""
    return dict(stack.job_document(job_id)["job"]["publications"])


def wait_for_publication(
    stack: GcpStack, job_id: str, platform: str, timeout: float = 90.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    pub: dict[str, Any] = {}
    while time.monotonic() < deadline:
        pub = publications(stack, job_id).get(platform) or {}
        if pub.get("status") in ("published", "failed"):
            return pub
        time.sleep(0.5)
    raise AssertionError(f"{platform} publication of {job_id} still {pub} after {timeout:.0f} s")


def moved_back(stack: GcpStack, job_id: str, by: timedelta) -> Job:
    """The job's publications as if they had gone live ``by`` earlier: the same transaction the
    functions use (FirestoreJobStore.update), so the document and its query fields agree."""
    collection = stack.infra.services["api"].env["TRENDREEL_FIRESTORE_COLLECTION"]
    store = FirestoreJobStore(stack.emulators.firestore.client, collection)

    def earlier(job: Job) -> Job:
        moved = {}
        for platform, pub in job.publications.items():
            assert pub.published_at is not None, pub
            assert pub.metrics_due_at is not None, pub
            times = {
                "published_at": pub.published_at - by,
                "metrics_due_at": pub.metrics_due_at - by,
            }
            moved[platform] = pub.model_copy(update=times)
        due = min(p.metrics_due_at for p in moved.values() if p.metrics_due_at is not None)
        return job.model_copy(update={"publications": moved, "publications_due_at": due})

    return store.update(job_id, earlier)


def trendreel_names(stack: GcpStack, function: str) -> set[str]:
    """The TRENDREEL_* variables the function's running instance has (names only)."""
    pid = stack.edges[function].instance_pid()
    assert pid is not None, f"no {function} instance"
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    names = {entry.split(b"=", 1)[0].decode() for entry in environ if entry}
    return {name for name in names if name.startswith("TRENDREEL_")}


def minted_for(stack: GcpStack, identity: str, function: str) -> bool:
    """Whether an ID token of ``identity`` was minted for ``function``'s URL (the audience)."""
    email, url = stack.infra.service_accounts[identity], stack.infra.services[function].url
    return any(e == email and a.rstrip("/") == url for e, a in stack.identity.minted)


def scheduled_job(stack: GcpStack, config: dict[str, Any]) -> str:
    """Cloud Scheduler's generate job, its body naming ``config`` (var.generate_body)."""
    when = datetime.now(UTC).replace(second=0, microsecond=0)
    answer = stack.run_schedule("generate", when, generate_body=json.dumps({"config": config}))
    assert answer.status_code == 202, answer.text
    return str(answer.json()["job_id"])


def test_an_approved_video_is_published_once_per_platform_and_its_numbers_come_back(
    deployed: Deployed,
) -> None:
    stack, platforms, receiver = deployed.stack, deployed.platforms, deployed.receiver
    with logs_on_failure(stack), stack.api_client() as api:
        hook = api.post("/webhooks", json={"url": deployed.hook_url})
        assert hook.status_code == 201, hook.text
        receiver.secret = hook.json()["secret"]

        job_id = generated_and_approved(stack, api)
        published_on_youtube_by_the_queue(stack, platforms, job_id)
        published_on_tiktok_when_asked(stack, api, platforms, job_id)
        numbers_read_after_an_hour(stack, api, job_id)
        every_event_arrived_signed(stack, receiver, job_id)


def generated_and_approved(stack: GcpStack, api: httpx.Client) -> str:
    config = short_config(5)
    config["config"] |= {"auto_post": True, "target_platform": "youtube_shorts"}
    job_id = scheduled_job(stack, config)

    job = stack.wait_for_job(api, job_id)
    assert job["status"] == "completed", job
    assert (job["completed_stages"], job["trigger"]) == (list(STAGES), "scheduler")
    assert publications(stack, job_id) == {}  # nothing is published before a person approves

    approved = api.post(f"/videos/{job_id}/approve", json={})
    assert approved.status_code == 200, approved.text
    assert [p["platform"] for p in approved.json()["publications"]] == ["youtube"]  # auto_post
    assert publications(stack, job_id)["youtube"]["requested_by"] == "auto_post"
    return job_id


def published_on_youtube_by_the_queue(stack: GcpStack, platforms: Platforms, job_id: str) -> None:
    youtube = wait_for_publication(stack, job_id, "youtube")

    assert youtube["status"] == "published", youtube
    assert (youtube["privacy"], youtube["attempts"]) == ("public", 1)
    assert platforms.youtube.videos_created == 1
    assert list(platforms.youtube.videos) == [youtube["remote_id"]]
    # Delivered by Cloud Tasks to the publish function behind Cloud Run's invoker check, with the
    # task invoker's token for the publish URL; nobody else gets past the edge.
    assert stack.infra.services["publish"].invoker_iam_disabled is False
    assert minted_for(stack, "tasks_invoker", "publish")
    url = stack.infra.services["publish"].url + "/"
    stranger = stack.identity.mint(stack.infra.service_accounts["scheduler"], url)
    refused = httpx.post(url, headers={"Authorization": f"Bearer {stranger}"})
    assert refused.status_code == 403
    assert_publish_runs_with_what_infra_gives(stack, platforms)


def assert_publish_runs_with_what_infra_gives(stack: GcpStack, platforms: Platforms) -> None:
    """infra's environment, the secrets infra/ mounts there, and this deployment's doubles."""
    spec = stack.infra.services["publish"]
    infra_gives = {name for name in spec.env if name.startswith("TRENDREEL_")}
    mounted = {
        "TRENDREEL_YOUTUBE_ACCOUNT", "TRENDREEL_YOUTUBE_CLIENT_SECRET",
        "TRENDREEL_TIKTOK_ACCOUNT", "TRENDREEL_TIKTOK_CLIENT_SECRET",
    }  # fmt: skip
    doubles = {*platforms.urls(), "TRENDREEL_GOOGLE_CERTS_URL"}
    assert set(spec.secret_env) == mounted
    assert spec.env["TRENDREEL_INVOKER_IAM_CHECK"] == "true"  # it reads the stripped token
    assert trendreel_names(stack, "publish") == infra_gives | mounted | doubles


def published_on_tiktok_when_asked(
    stack: GcpStack, api: httpx.Client, platforms: Platforms, job_id: str
) -> None:
    for _ in range(2):  # a client retrying: one post
        asked = api.post(f"/videos/{job_id}/publish", json={"platforms": ["tiktok"]})
        assert asked.status_code == 202, asked.text

    tiktok = wait_for_publication(stack, job_id, "tiktok")

    assert tiktok["status"] == "published", tiktok
    assert len(platforms.tiktok.posts) == 1
    assert tiktok["remote_id"]
    assert platforms.youtube.videos_created == 1  # YouTube was not asked again
    assert publications(stack, job_id)["youtube"]["attempts"] == 1


def numbers_read_after_an_hour(stack: GcpStack, api: httpx.Client, job_id: str) -> None:
    too_early = stack.run_schedule("metrics")  # Cloud Scheduler, the scheduler's own token
    assert too_early.status_code == 200, too_early.text
    assert too_early.json()["read"] == []

    moved_back(stack, job_id, timedelta(minutes=61))
    collected = stack.run_schedule("metrics")

    assert collected.status_code == 200, collected.text
    assert sorted(collected.json()["read"]) == [f"{job_id}/tiktok/1h", f"{job_id}/youtube/1h"]
    assert collected.json()["failed"] == []
    metrics_url = stack.infra.services["metrics"].url + "/"
    queue = stack.identity.mint(stack.infra.service_accounts["tasks_invoker"], metrics_url)
    refused = httpx.post(metrics_url, json={}, headers={"Authorization": f"Bearer {queue}"})
    assert refused.status_code == 403  # only Cloud Scheduler's account invokes metrics
    series = api.get(f"/videos/{job_id}/metrics").json()["series"]
    assert {s["platform"]: [r["checkpoint"] for r in s["readings"]] for s in series} == {
        "youtube": ["1h"],
        "tiktok": ["1h"],
    }
    stored = publications(stack, job_id)
    for platform in ("youtube", "tiktok"):  # the next reading falls due 24 h after publishing
        pub = stored[platform]
        next_due = datetime.fromisoformat(pub["metrics_due_at"])
        assert next_due - datetime.fromisoformat(pub["published_at"]) == timedelta(hours=24)


def every_event_arrived_signed(stack: GcpStack, receiver: WebhookReceiver, job_id: str) -> None:
    def arrived(r: WebhookReceiver) -> bool:
        return len(r.acted) >= len(EVENTS)

    assert receiver.wait_until(arrived, timeout=60), [e["type"] for e in receiver.acted.values()]

    assert sorted(e["type"] for e in receiver.acted.values()) == EVENTS
    assert {e["data"]["job_id"] for e in receiver.acted.values()} == {job_id}
    posted = [e["data"]["publication"] for e in receiver.acted.values()]
    assert sorted(p["platform"] for p in posted if p) == ["tiktok", "youtube"]
    assert receiver.rejected == 0
    assert all(r.headers["host"] == RECEIVER_HOST for r in receiver.received)
    assert minted_for(stack, "tasks_invoker", "webhooks")


# What a function process behind the edge sees of the internet double: the published name only.
_PROBE = """
import sys
import httpx
from trendreel.webhooks.errors import WebhookUrlError
from trendreel.webhooks.transport import PinnedTransport
from trendreel.webhooks.urls import resolve_target

target = resolve_target(sys.argv[1], "gcp")
with httpx.Client(transport=PinnedTransport(target.addresses)) as client:
    print(target.addresses[0], client.post(target.url, content=b"{}").status_code)
for refused in (sys.argv[2], "https://localhost/hooks"):
    try:
        resolve_target(refused, "gcp")
    except WebhookUrlError:
        print("refused")
"""


def test_the_internet_double_publishes_one_name_and_bends_no_rule() -> None:
    with WebhookReceiver(secret="not-this-one") as receiver, PublicInternet() as internet:
        url = internet.publish(RECEIVER_HOST, receiver.url)
        env = {"PATH": os.environ.get("PATH", ""), **internet.env()}
        probe = [sys.executable, "-c", _PROBE, url, receiver.url]
        done = subprocess.run(
            probe, env=env, capture_output=True, text=True, timeout=60, check=False
        )

    assert done.returncode == 0, done.stderr
    address, status = done.stdout.split()[:2]
    assert ipaddress.ip_address(address).is_global
    assert status == "400"  # through TLS to the receiver, which refused the unsigned body
    assert done.stdout.split()[2:] == ["refused", "refused"]  # loopback stays off-limits
    assert (receiver.rejected, receiver.rejections) == (1, ["missing"])
    assert receiver.received == []
