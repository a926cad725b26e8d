"""The Cloud Scheduler driver: the request one execution of an HTTP job with an OIDC token
sends, checked on a recording server and end to end through an edge."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from tests.support.cloud_run.edge import SIGNATURE_REMOVED, CloudRunEdge
from tests.support.cloud_run.identity import GoogleIdentity
from tests.support.cloud_run.scheduler import SchedulerDriver, schedule_time_header
from tests.support.cloud_run.spec import ScheduleSpec
from tests.support.http_fixture import FixtureServer, Scripted
from tests.unit.cloud_run.conftest import SCHEDULER_SA, echo_edge, echo_spec

WHEN = datetime(2026, 5, 1, 6, 30, tzinfo=UTC)


def job(uri: str, **changes: object) -> ScheduleSpec:
    fields: dict[str, object] = {
        "name": "trendreel-generate",
        "schedule": "30 6 * * *",
        "time_zone": "Etc/UTC",
        "target": "api",
        "uri": uri,
        "http_method": "POST",
        "body": b'{"config": "daily"}',
        "headers": {"Content-Type": "application/json"},
        "oidc_service_account": SCHEDULER_SA,
        "oidc_audience": "https://trendreel-api-abc123-uc.a.run.app",
    }
    return ScheduleSpec(**(fields | changes))  # type: ignore[arg-type]


@pytest.fixture
def target(http_fixture: FixtureServer) -> FixtureServer:
    http_fixture.add("POST", "/generate", Scripted.json({"ok": True}, status=202))
    http_fixture.add("GET", "/generate", Scripted.json({"ok": True}))
    return http_fixture


def test_a_run_sends_what_cloud_scheduler_sends(
    google: GoogleIdentity, target: FixtureServer
) -> None:
    spec = job(target.url + "/generate")

    answer = SchedulerDriver(google).run(spec, WHEN)

    assert answer.status_code == 202
    (sent,) = target.requests
    headers = sent.headers  # recorded with lower-case names
    assert (sent.method, sent.path, sent.body) == ("POST", "/generate", spec.body)
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Google-Cloud-Scheduler"
    assert headers["x-cloudscheduler"] == "true"
    assert headers["x-cloudscheduler-jobname"] == "trendreel-generate"
    assert headers["x-cloudscheduler-scheduletime"] == "2026-05-01T06:30:00Z"
    assert headers["content-length"] == str(len(spec.body))
    scheme, token = headers["authorization"].split(" ", 1)
    claims = google.verify(token, audiences=[spec.oidc_audience])
    assert scheme == "Bearer"
    assert claims["email"] == SCHEDULER_SA


def test_a_body_without_a_content_type_is_sent_as_octet_stream(
    google: GoogleIdentity, target: FixtureServer
) -> None:
    SchedulerDriver(google).run(job(target.url + "/generate", headers={}), WHEN)

    assert target.requests[0].headers["content-type"] == "application/octet-stream"


def test_the_audience_defaults_to_the_uri_and_a_get_carries_no_body(
    google: GoogleIdentity, target: FixtureServer
) -> None:
    uri = target.url + "/generate"
    SchedulerDriver(google).run(job(uri, http_method="GET", headers={}, oidc_audience=""), WHEN)

    (sent,) = target.requests
    assert sent.body == b""
    assert "content-type" not in sent.headers
    assert google.verify(sent.headers["authorization"].split()[1], audiences=[uri])


def test_a_job_without_an_oidc_token_sends_no_authorization(
    google: GoogleIdentity, target: FixtureServer
) -> None:
    SchedulerDriver(google).run(job(target.url + "/generate", oidc_service_account=""), WHEN)

    assert "authorization" not in target.requests[0].headers


def test_the_job_cannot_override_what_cloud_scheduler_sets(
    google: GoogleIdentity, target: FixtureServer
) -> None:
    headers = {"User-Agent": "mine", "X-CloudScheduler": "false", "Content-Type": "text/plain"}
    SchedulerDriver(google).run(job(target.url + "/generate", headers=headers), WHEN)

    sent = target.requests[0].headers
    assert (sent["user-agent"], sent["x-cloudscheduler"]) == ("Google-Cloud-Scheduler", "true")
    assert sent["content-type"] == "text/plain"


def test_the_schedule_time_is_rfc3339_utc_zulu() -> None:
    paris = timezone(timedelta(hours=2))

    assert schedule_time_header(datetime(2026, 5, 1, 8, 30, tzinfo=paris)) == "2026-05-01T06:30:00Z"
    assert schedule_time_header(WHEN.replace(microsecond=250_000)) == "2026-05-01T06:30:00.25Z"
    with pytest.raises(ValueError, match="timezone"):
        schedule_time_header(datetime(2026, 5, 1, 6, 30))


@pytest.fixture(scope="module")
def sweeper(google: GoogleIdentity) -> Iterator[CloudRunEdge]:
    spec = echo_spec(invokers=(f"serviceAccount:{SCHEDULER_SA}",))
    with echo_edge(spec, google) as running:
        yield running


def test_through_an_internal_service_the_function_sees_the_scheduler_headers(
    google: GoogleIdentity, sweeper: CloudRunEdge
) -> None:
    spec = job(sweeper.internal_url, oidc_audience="", body=b"{}")

    answer = SchedulerDriver(google).run(spec, WHEN)

    assert answer.status_code == 200, answer.text
    seen = answer.json()["headers"]
    assert seen["X-Cloudscheduler-Jobname"] == "trendreel-generate"
    assert seen["X-Cloudscheduler-Scheduletime"] == "2026-05-01T06:30:00Z"
    assert seen["Authorization"].endswith(f".{SIGNATURE_REMOVED}")


def test_a_scheduler_that_is_not_an_invoker_is_refused(
    google: GoogleIdentity, sweeper: CloudRunEdge
) -> None:
    spec = job(
        sweeper.internal_url, oidc_audience="", oidc_service_account="x@y.iam.gserviceaccount.com"
    )

    assert SchedulerDriver(google).run(spec, WHEN).status_code == 403


def test_run_uses_the_attempt_deadline(google: GoogleIdentity, sweeper: CloudRunEdge) -> None:
    uri = sweeper.internal_url + "?sleep=3"
    spec = job(uri, oidc_audience=sweeper.internal_url, attempt_deadline_seconds=1)

    with pytest.raises(httpx.TimeoutException):
        SchedulerDriver(google).run(spec, WHEN)
