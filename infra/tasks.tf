locals {
  # Queue ids allow letters, digits and '-' only: content_generation -> {prefix}-content-generation.
  queue_names = { for stage in local.stages : stage => "${var.name_prefix}-${replace(stage, "_", "-")}" }
}

# One queue per stage: each has its own backlog, rate and retry budget, and each stage may
# write only to the next stage's queue (iam.tf). A task is an HTTP POST to the stage's URL with
# an OIDC token of the task-invoker account; its dispatch deadline is set per task by the
# adapter (the stage timeout, at most 30 min).
resource "google_cloud_tasks_queue" "stage" {
  for_each = local.queue_names

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
