# One Secret Manager secret per credential trendreel.settings.Settings reads (its SecretStr
# fields but api_token, which the gcp api does not use), named <prefix>-<field with '-'>:
# trendreel-gemini-api-key, trendreel-youtube-account, ... services.yaml's secret_groups say
# which function may get which; functions.tf mounts each as TRENDREEL_<FIELD> where it is in use.
#
# Terraform creates the secrets, never their values (values would land in the state). Add a
# version before using what needs it: a revision that references a secret without a version
# does not start, which is why only the secrets in use (below) are mounted.
#
# Provider keys:
#   printf %s "$KEY" | gcloud secrets versions add trendreel-gemini-api-key --data-file=-
#   then choose the provider (-var analyzer=gemini).
# Publishing, per platform (youtube, tiktok):
#   the OAuth client's secret, from the Google Cloud console or the TikTok developer portal:
#     printf %s "$SECRET" | gcloud secrets versions add trendreel-youtube-client-secret --data-file=-
#   the connected account: `trendreel accounts connect youtube` on your machine, with the same
#   client id and secret set there, writes $TRENDREEL_HOME/accounts/youtube.json (the refresh
#   token, mode 600); add that file, as it is, as the secret's value:
#     gcloud secrets versions add trendreel-youtube-account \
#       --data-file="$TRENDREEL_HOME/accounts/youtube.json"
#   then publish there (-var 'publish_platforms=["youtube"]' -var youtube_client_id=...).
# Webhooks: any long random string, then -var webhook_secret_enabled=true:
#   openssl rand -hex 32 | tr -d '\n' | gcloud secrets versions add trendreel-webhook-secret --data-file=-
# (with another name_prefix, the secrets are <name_prefix>-..., the `secrets` output lists them.)

moved {
  from = google_secret_manager_secret.provider
  to   = google_secret_manager_secret.setting
}

locals {
  secrets = toset(flatten(values(local.spec.secret_groups)))

  # The secrets the deployment uses, each when what needs it is chosen. Every stage builds every
  # provider at start (bootstrap.build_providers checks credentials in constructors), so a
  # chosen provider's key goes to every stage; publish and metrics read a platform's account
  # and client secret once it is in publish_platforms.
  secrets_in_use = sort(compact([
    contains(var.trend_sources, "tiktok") ? "apify_token" : "",
    var.analyzer == "gemini" || var.writer == "gemini" ? "gemini_api_key" : "",
    var.tts == "google" ? "google_tts_api_key" : "",
    var.visuals == "pexels" ? "pexels_api_key" : "",
    contains(var.trend_sources, "youtube") ? "youtube_api_key" : "",
    contains(var.publish_platforms, "tiktok") ? "tiktok_account" : "",
    contains(var.publish_platforms, "tiktok") ? "tiktok_client_secret" : "",
    contains(var.publish_platforms, "youtube") ? "youtube_account" : "",
    contains(var.publish_platforms, "youtube") ? "youtube_client_secret" : "",
    var.webhook_secret_enabled ? "webhook_secret" : "",
  ]))
}

resource "google_secret_manager_secret" "setting" {
  for_each = local.secrets

  project   = var.project
  secret_id = "${var.name_prefix}-${replace(each.key, "_", "-")}"

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}
