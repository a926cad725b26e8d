locals {
  # Every provider credential trendreel.settings.Settings reads (its SecretStr fields but
  # api_token, which the gcp api does not use): one Secret Manager secret each. Terraform
  # creates the secrets, never their values; add one with
  #   printf %s "$KEY" | gcloud secrets versions add trendreel-gemini-api-key --data-file=-
  # before choosing the provider that needs it (a revision referencing a secret without a
  # version does not start).
  provider_secrets = toset(["apify_token", "gemini_api_key", "google_tts_api_key", "pexels_api_key", "youtube_api_key"])

  # The keys the chosen providers need. Every stage builds every provider at start
  # (bootstrap.build_providers checks credentials in constructors), so each stage gets all of
  # them.
  provider_secrets_in_use = sort(compact([
    contains(var.trend_sources, "tiktok") ? "apify_token" : "",
    var.analyzer == "gemini" || var.writer == "gemini" ? "gemini_api_key" : "",
    var.tts == "google" ? "google_tts_api_key" : "",
    var.visuals == "pexels" ? "pexels_api_key" : "",
    contains(var.trend_sources, "youtube") ? "youtube_api_key" : "",
  ]))
}

resource "google_secret_manager_secret" "provider" {
  for_each = local.provider_secrets

  project   = var.project
  secret_id = "${var.name_prefix}-${replace(each.key, "_", "-")}"

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}
