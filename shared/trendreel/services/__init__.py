"""The service layer: everything that changes a job outside a stage's own work, in one place.

The api's routes, the stage functions (through the runner), the sweeper function, the local
server's sweep loop and the tests all call these; none of them enqueues or transitions a job by
itself. Each operation is a pure transition from ``lifecycle`` applied in a job-store transaction,
followed by the enqueue it implies under a deterministic task name, so running it twice is safe.
"""

from trendreel.services.events import notify
from trendreel.services.jobs import (
    SWEEP_BATCH,
    Accepted,
    NewJob,
    Resumed,
    advance,
    check_webhook_url,
    create_job,
    current_task,
    defer,
    first_task,
    next_task,
    queue_task,
    retry_job,
    sweep,
)
from trendreel.services.publishing import (
    METRICS_BATCH,
    TARGET_PLATFORMS,
    PublishAsk,
    collect_metrics,
    follow_up_publish,
    publication_failed,
    publish_video,
    published,
    redrive_publications,
    review_video,
)

__all__ = [
    "METRICS_BATCH",
    "SWEEP_BATCH",
    "TARGET_PLATFORMS",
    "Accepted",
    "NewJob",
    "PublishAsk",
    "Resumed",
    "advance",
    "check_webhook_url",
    "collect_metrics",
    "create_job",
    "current_task",
    "defer",
    "first_task",
    "follow_up_publish",
    "next_task",
    "notify",
    "publication_failed",
    "publish_video",
    "published",
    "queue_task",
    "redrive_publications",
    "retry_job",
    "review_video",
    "sweep",
]
