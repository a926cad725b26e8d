locals {
  # Every function Cloud Tasks delivers to (trendreel.tasks.TASK_FUNCTIONS): the stages, publish
  # and webhooks, one queue each. The functions route tasks by TRENDREEL_QUEUE_NAMES
  # (services.yaml: queue_names). Queue ids allow letters, digits and '-' only:
  # content_generation -> {prefix}-content-generation.
  task_functions    = concat(local.stages, ["publish", "webhooks"])
  queue_names       = { for name in local.task_functions : name => "${var.name_prefix}-${replace(name, "_", "-")}" }
  stage_queue_names = { for stage in local.stages : stage => local.queue_names[stage] }

  queues = merge(
    google_cloud_tasks_queue.stage,
    { publish = google_cloud_tasks_queue.publish, webhooks = google_cloud_tasks_queue.webhooks },
  )
}

# One queue per stage: each has its own backlog, rate and retry budget, and each stage may
# write only to the next stage's queue (iam.tf). A task is an HTTP POST to the stage's URL with
# an OIDC token of the task-invoker account; its dispatch deadline is set per task by the
# adapter (the stage timeout, at most 30 min).
resource "google_cloud_tasks_queue" "stage" {
  for_each = local.stage_queue_names

  project  = var.project
  location = var.region
  name     = each.value

  # Every non-2xx answer is retried and counts as an attempt: 503 (transient, claim released)
  # and 429 (another delivery holds the lease and no follow-up task could be queued; a delivery
  # meeting a live lease is otherwise acknowledged and followed by a new task, burning no
  # attempt). The runner treats attempt max_attempts as the last one and records the job failed
  # with its stage and cause, so the queue and TRENDREEL_TASK_MAX_ATTEMPTS (services.yaml) must
  # agree; max_retry_duration stays unset (0 = unlimited) so the attempt count alone decides.
  # The budget is sized in variables.tf (task_max_attempts): a 15-minute provider outage is
  # ridden out by retries alone.
  retry_config {
    max_attempts  = var.task_max_attempts
    min_backoff   = "${var.queue_min_backoff_seconds}s"
    max_backoff   = "${var.queue_max_backoff_seconds}s"
    max_doublings = var.queue_max_doublings
  }

  rate_limits {
    max_dispatches_per_second = var.queue_max_dispatches_per_second
    # No more in flight than the stage's service can run at once.
    max_concurrent_dispatches = local.services[each.key].max_instances * local.services[each.key].concurrency
  }

  # Every attempt in Cloud Logging: "why did this task retry" is answered there.
  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  depends_on = [google_project_service.enabled]
}

# Publish tasks (one per job, platform and request generation; follow-ups under new names), to
# the publish function. The api queues them (POST /videos/{id}/publish, auto_post on approval)
# and publish its own follow-ups: a post the platform is still processing is asked about again
# later, and a delivery meeting a live lease (TRENDREEL_LEASE_SECONDS, renewed by a heartbeat)
# is acknowledged and followed by a task for when the lease expires. Neither burns an attempt.
resource "google_cloud_tasks_queue" "publish" {
  project  = var.project
  location = var.region
  name     = local.queue_names["publish"]

  # A retryable failure (a platform's 5xx, a 429 rate limit, a network error) answers 503 and
  # is retried; publish asks the platform where the recorded upload session stands before
  # sending anything again, so a retry resumes, never posts twice. The runner records the
  # publication failed on attempt TRENDREEL_TASK_MAX_ATTEMPTS, which its service gets from
  # task_max_attempts like the stages: the queue must allow exactly that many.
  # The waits (Cloud Tasks' rule, variables.tf): 30 s doubled 4 times, then capped at 600 s:
  # 30, 60, 120, 240, 480, then 600 four times: the 10th and last attempt comes 3330 s (55 min)
  # after the first (task_max_attempts = 10). So:
  # - a 15-minute platform outage is ridden out: the 6th attempt comes 930 s after the first;
  # - TikTok's per-token limits count over a one-minute sliding window: a 429 is followed by
  #   attempts 30 s and 90 s later, the second one past the window;
  # - a crashed upload (the instance died) costs one attempt and resumes from the session.
  retry_config {
    max_attempts  = var.task_max_attempts
    min_backoff   = "30s"
    max_backoff   = "600s"
    max_doublings = 4
  }

  rate_limits {
    # Six a minute: TikTok allows 6 video/init calls a minute per user token, and each instance
    # counts only its own; if every dispatch started an upload, the token would still not be
    # refused. YouTube's limits are daily (100 uploads a project), far below this.
    max_dispatches_per_second = 0.1
    max_concurrent_dispatches = local.services["publish"].max_instances * local.services["publish"].concurrency
  }

  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  depends_on = [google_project_service.enabled]
}

# Webhook tasks (one per event and endpoint), to the webhooks function, which POSTs the signed
# event to a receiver on the internet. The api (video.approved), the stages (job.completed,
# job.failed), the sweeper (job.failed) and publish (video.published, publication.failed) queue
# them.
resource "google_cloud_tasks_queue" "webhooks" {
  project  = var.project
  location = var.region
  name     = local.queue_names["webhooks"]

  # A receiver that answers non-2xx or cannot be reached gets 503 back to the queue, which
  # retries; on attempt TRENDREEL_TASK_MAX_ATTEMPTS the delivery is recorded undeliverable. The
  # webhooks service gets webhook_max_attempts as that setting (services.yaml), the same
  # variable as max_attempts here. A receiver being down is someone else's outage, and often a
  # long one (a deploy gone wrong, a night): the waits grow to the hour Cloud Tasks allows.
  # 60 s doubled 6 times, then capped at 3600 s: 60, 120, 240, 480, 960, 1920, then 3600 s
  # between the rest: the 30th and last attempt comes 86580 s (24 h) after the first
  # (webhook_max_attempts = 30), so a receiver down for up to a day still gets the event, at
  # most an hour after it is back.
  retry_config {
    max_attempts  = var.webhook_max_attempts
    min_backoff   = "60s"
    max_backoff   = "3600s"
    max_doublings = 6
  }

  rate_limits {
    max_dispatches_per_second = 10
    # A slow receiver holds a dispatch for up to 30 s: no more at once than the service takes.
    max_concurrent_dispatches = local.services["webhooks"].max_instances * local.services["webhooks"].concurrency
  }

  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  depends_on = [google_project_service.enabled]
}
