# Every schedule in services.yaml: POST {api}/generate on var.schedule, the sweeper every few
# minutes and metrics hourly (metrics_schedule). Cloud Scheduler adds X-CloudScheduler-JobName and X-CloudScheduler-ScheduleTime, from
# which the api derives an idempotency key: a retried or repeated delivery of one scheduled run
# creates one job.
resource "google_cloud_scheduler_job" "schedule" {
  for_each = module.services.schedules

  project     = var.project
  region      = var.region
  name        = "${var.name_prefix}-${each.key}"
  description = each.value.description
  schedule    = each.value.schedule
  time_zone   = var.time_zone

  attempt_deadline = "${each.value.attempt_deadline_seconds}s"

  # Unset backoff (null) leaves Cloud Scheduler's default.
  retry_config {
    retry_count          = each.value.retry_count
    min_backoff_duration = each.value.min_backoff_seconds == null ? null : "${each.value.min_backoff_seconds}s"
    max_backoff_duration = each.value.max_backoff_seconds == null ? null : "${each.value.max_backoff_seconds}s"
    max_doublings        = each.value.max_doublings
  }

  http_target {
    http_method = "POST"
    uri         = each.value.uri
    body        = base64encode(each.value.body)
    headers     = each.value.headers

    # An ID token (not an access token) for the target's URL: Cloud Run's invoker check and the
    # function both check its audience and its email.
    oidc_token {
      service_account_email = local.service_accounts.scheduler
      audience              = local.function_urls[each.value.target]
    }
  }

  depends_on = [google_project_service.enabled, google_cloud_run_v2_service_iam_member.invoker]
}

# The jobs were two resources before services.yaml: keep them rather than recreate them.
moved {
  from = google_cloud_scheduler_job.generate
  to   = google_cloud_scheduler_job.schedule["generate"]
}

moved {
  from = google_cloud_scheduler_job.sweeper
  to   = google_cloud_scheduler_job.schedule["sweeper"]
}
