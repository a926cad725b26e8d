# POST {api}/generate on a schedule. Cloud Scheduler adds X-CloudScheduler-JobName and
# X-CloudScheduler-ScheduleTime, from which the api derives an idempotency key: a retried or
# repeated delivery of one scheduled run creates one job.
resource "google_cloud_scheduler_job" "generate" {
  project     = var.project
  region      = var.region
  name        = "${var.name_prefix}-generate"
  description = "trendreel: start a video job (POST /generate)."
  schedule    = var.schedule
  time_zone   = var.time_zone

  attempt_deadline = "60s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "30s"
    max_backoff_duration = "300s"
    max_doublings        = 3
  }

  http_target {
    http_method = "POST"
    uri         = "${local.function_urls["api"]}/generate"
    body        = base64encode(var.generate_body)
    headers = {
      "Content-Type" = "application/json"
    }

    # An ID token (not an access token): Cloud Run IAM and the api both check its audience.
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.function_urls["api"]
    }
  }

  depends_on = [google_project_service.enabled, google_cloud_run_v2_service_iam_member.scheduler_invokes]
}

# The sweeper re-drives jobs stuck without a live lease or a pending task (a crash between
# completing a stage and enqueuing the next). Missing one run is harmless: no retries.
resource "google_cloud_scheduler_job" "sweeper" {
  project     = var.project
  region      = var.region
  name        = "${var.name_prefix}-sweeper"
  description = "trendreel: re-drive stuck jobs."
  schedule    = var.sweeper_schedule
  time_zone   = var.time_zone

  attempt_deadline = "${local.sizes["sweeper"].timeout_seconds}s"

  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = "${local.function_urls["sweeper"]}/"
    body        = base64encode("{}")
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.function_urls["sweeper"]
    }
  }

  depends_on = [google_project_service.enabled, google_cloud_run_v2_service_iam_member.scheduler_invokes]
}
