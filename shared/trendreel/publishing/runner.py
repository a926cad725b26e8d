"""The publish function's delivery protocol: the stages' protocol, for one platform's post.

For every delivery of a publish task (job, platform, generation):

1. Load the job. Unknown job, another generation of the publication, or a publication already
   published or failed: acknowledge (2xx) and do nothing.
2. Claim the publication with a short lease that a heartbeat renews. A live lease held by
   another delivery: acknowledge and queue a follow-up for when it expires (as stages do), so
   two concurrent deliveries of one task make one upload.
3. A publication the platform is still processing is only asked where it stands. Otherwise the
   publisher uploads, recording the platform's session on the job before the first byte; with a
   session already recorded it asks the platform first and resumes or records the finished
   upload. It never starts a second upload.
4. Processing: record it and queue a follow-up that asks again later. Published: record the
   remote id and URL; metrics fall due. Retryable failure before the last attempt: release and
   answer 503 (the queue backs off). Otherwise the publication fails with the platform, the
   cause and the fix, and the queue is answered 2xx.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from trendreel import services
from trendreel.bootstrap import Runtime
from trendreel.delivery import Outcome, TaskDelivery
from trendreel.errors import InternalError, LeaseHeldError, TrendreelError
from trendreel.heartbeat import Heartbeat
from trendreel.lifecycle import StaleDeliveryError
from trendreel.models import Job
from trendreel.models.publishing import (
    Publication,
    PublicationError,
    PublicationStatus,
    PublishTask,
    RemoteSession,
)
from trendreel.providers.base import UsageLog
from trendreel.providers.publish.base import PublishResult
from trendreel.publishing import transitions
from trendreel.publishing.video import publish_request
from trendreel.runner import scratch_root
from trendreel.stages.context import private_scratch

log = logging.getLogger(__name__)
#: A post the platform is still processing is asked again after this long.
PROCESSING_RECHECK_SECONDS = 30.0
PublishDelivery = TaskDelivery[PublishTask]


class PublishRunner:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    def handle(self, d: PublishDelivery) -> Outcome:
        p = d.payload
        job = self.rt.store.get(p.job_id)
        pub = job.publications.get(p.platform) if job is not None else None
        if job is None or pub is None or pub.generation != p.generation:
            return Outcome(200, {"result": "stale", "reason": "no such publication request"})
        if not pub.active:
            return Outcome(200, {"result": pub.status.value, "remote_id": pub.remote_id})
        now = self.rt.clock()
        lease = self.rt.settings.lease_seconds
        try:
            job = self.rt.store.update(
                job.id,
                lambda j: transitions.claim(j, p.platform, p.generation, d.holder, now, lease),
            )
        except LeaseHeldError as exc:
            follow = services.follow_up_publish(self.rt, p, exc.retry_after_seconds)
            return Outcome(200, {"result": "deferred", "reason": exc.message, "next_task": follow})
        except StaleDeliveryError as exc:
            return Outcome(200, {"result": "stale", "reason": str(exc)})
        return self._run(job, job.publications[p.platform], d)

    def _run(self, job: Job, pub: Publication, d: PublishDelivery) -> Outcome:
        platform = d.payload.platform
        lease = self.rt.settings.lease_seconds

        def renew() -> Job:
            now = self.rt.clock()
            return self.rt.store.update(
                job.id, lambda j: transitions.renew(j, platform, d.holder, now, lease)
            )

        with Heartbeat(renew, lease, name=f"{job.id}-publish-{platform.value}") as beat:
            try:
                result = self._publish(job, pub, d.holder)
            except Exception as exc:  # every failure is recorded with its platform and cause
                error = exc if isinstance(exc, TrendreelError) else InternalError(exc)
                if beat.lost:
                    return _superseded(platform.value)
                return self._failed(job, d, error)
        if beat.lost:
            return _superseded(platform.value)
        return self._finished(job, d, result)

    def _publish(self, job: Job, pub: Publication, holder: str) -> PublishResult:
        publisher = self.rt.publisher(pub.platform)
        usage = UsageLog()
        if pub.status == PublicationStatus.PROCESSING and pub.remote_id:
            return publisher.status(pub.remote_id, pub.session, usage)
        record = self._recorder(job.id, pub, holder)
        settings = self.rt.settings
        with private_scratch(scratch_root(self.rt)) as scratch:
            request = publish_request(
                job, self.rt.blobs, scratch, pub.privacy, pub.publish_at,
                settings.publish_made_for_kids,
            )  # fmt: skip
            return publisher.publish(request, pub.session, record, usage)

    def _recorder(
        self, job_id: str, pub: Publication, holder: str
    ) -> Callable[[RemoteSession], None]:
        def record(session: RemoteSession) -> None:
            now = self.rt.clock()
            self.rt.store.update(
                job_id, lambda j: transitions.record_session(j, pub.platform, holder, session, now)
            )

        return record

    def _finished(self, job: Job, d: PublishDelivery, result: PublishResult) -> Outcome:
        p = d.payload
        now = self.rt.clock()
        try:
            job = self.rt.store.update(
                job.id, lambda j: transitions.finish(j, p.platform, d.holder, result, now)
            )
        except StaleDeliveryError:
            return _superseded(p.platform.value)
        body = {"result": result.status, "remote_id": result.remote_id, "url": result.url}
        if result.status == "processing":
            body["next_task"] = services.follow_up_publish(self.rt, p, PROCESSING_RECHECK_SECONDS)
        else:
            services.published(self.rt, job, p.platform)
        return Outcome(200, body)

    def _failed(self, job: Job, d: PublishDelivery, exc: TrendreelError) -> Outcome:
        p = d.payload
        now = self.rt.clock()
        last = d.retry_count + 1 >= self.rt.settings.task_max_attempts
        if exc.retryable and not last:
            log.warning("publish to %s of %s failed transiently: %s", p.platform, job.id, exc)
            self.rt.store.update(
                job.id, lambda j: transitions.release(j, p.platform, d.holder, now)
            )
            return Outcome(503, {"result": "retry", "error": exc.code}, 10)
        error = publication_error(p.platform.value, exc)
        job = self.rt.store.update(
            job.id, lambda j: transitions.fail(j, p.platform, p.generation, error, now)
        )
        log.error("publish to %s of %s failed: %s", p.platform, job.id, error.message)
        services.publication_failed(self.rt, job, p.platform)
        return Outcome(200, {"result": "failed", "error": error.model_dump(mode="json")})


def publication_error(platform: str, exc: TrendreelError) -> PublicationError:
    message = exc.message if exc.message.startswith(f"{platform}:") else f"{platform}: {exc}"
    return PublicationError(
        platform=platform,  # type: ignore[arg-type]  # validated by the model
        code=exc.code,
        message=message,
        hint=exc.hint,
        retryable=exc.retryable,
    )


def _superseded(platform: str) -> Outcome:
    reason = f"the lease on the {platform} publication was taken over by another delivery"
    return Outcome(200, {"result": "superseded", "reason": reason})
