output "api_url" {
  description = "Base URL of the api (POST /generate, GET /jobs, ...); also the audience of its ID tokens."
  value       = local.function_urls["api"]
}

output "function_urls" {
  description = "Every function's URL, as given to the functions in TRENDREEL_FUNCTION_URLS."
  value       = local.function_urls
}

output "service_urls" {
  description = "The URLs Cloud Run reports for each service."
  value       = { for name, service in google_cloud_run_v2_service.function : name => service.uri }
}

output "bucket" {
  description = "Media bucket (TRENDREEL_GCS_BUCKET): jobs/{job_id}/{stage}/..."
  value       = google_storage_bucket.media.name
}

output "config_root" {
  description = "Where POST /generate's config_path resolves (TRENDREEL_CONFIG_ROOT of the api); infra/configs/ is uploaded there."
  value       = local.ref_values.config_root
}

output "queues" {
  description = "Cloud Tasks queue id per function it delivers to: the five stages, publish and webhooks."
  value       = { for name, queue in local.queues : name => queue.name }
}

output "secrets" {
  description = "Secret Manager secret id per credential (gcloud secrets versions add <id> --data-file=...; secrets.tf says what goes in each). Only those in use are mounted: secrets_in_use."
  value       = { for key, secret in google_secret_manager_secret.setting : key => secret.secret_id }
}

output "secrets_in_use" {
  description = "The secrets this configuration mounts, each of which must have a version."
  value       = local.secrets_in_use
}

output "service_accounts" {
  description = "Runtime identities per function, and the task-invoker and scheduler identities."
  value       = local.service_accounts
}

output "image_repository" {
  description = "Where cloudbuild.yaml pushes the function image."
  value       = "${var.region}-docker.pkg.dev/${var.project}/${google_artifact_registry_repository.images.repository_id}"
}

output "scheduler_jobs" {
  description = "gcloud scheduler jobs run <name> --location <region> triggers one now."
  value       = [for job in google_cloud_scheduler_job.schedule : job.name]
}

# The functions address each other by deterministic URL (functions.tf). Cloud Run gives a
# service one only when "name-projectnumber" fits in a 63-character DNS label.
check "deterministic_urls" {
  assert {
    condition     = alltrue([for name, service in google_cloud_run_v2_service.function : contains(service.urls, local.function_urls[name])])
    error_message = "A service does not answer at its deterministic URL; shorten name_prefix."
  }
}
