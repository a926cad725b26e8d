# Each function is a Cloud Run v2 service (google_cloud_run_v2_service), not a
# google_cloudfunctions2_function, because:
# - every function imports the shared package (shared/trendreel) and composition needs the
#   ffmpeg that imageio-ffmpeg bundles: one image built once by Cloud Build from the repository
#   root serves all seven, each picking its entry point with FUNCTION_SOURCE/FUNCTION_TARGET
#   (functions-framework reads both), instead of seven source uploads that each vendor shared/;
# - the knobs this system depends on are first-class here: per-request timeout up to 60 min,
#   2 vCPU / 2 GiB with request concurrency 1 for composition, internal-only ingress for the
#   stages, and the deterministic URL that the tasks' OIDC audience is built from.
# Cloud Run functions (gen2) are Cloud Run services underneath, so nothing is lost.

locals {
  # Pipeline order (trendreel.models.Stage); the next stage's queue is the only one a stage may
  # write to.
  stages     = ["trend_collection", "trend_analysis", "content_generation", "composition", "review"]
  next_stage = { for i, stage in local.stages : stage => local.stages[i + 1] if i + 1 < length(local.stages) }

  # Per-function size. A stage's timeout is its lease, lifecycle.STAGE_TIMEOUT_SECONDS: Cloud
  # Run must not cut a stage off before the lease it holds expires. Concurrency x instances is
  # also the stage queue's max_concurrent_dispatches (tasks.tf), so the queue never offers more
  # work than the service can take.
  default_sizes = {
    # Routing, Firestore reads, signed URLs: light and concurrent.
    api = { cpu = "1", memory = "512Mi", timeout_seconds = 60, concurrency = 40, min_instances = 0, max_instances = 10 }
    # Provider calls over HTTP; mostly waiting on the network.
    trend_collection = { cpu = "1", memory = "512Mi", timeout_seconds = 300, concurrency = 4, min_instances = 0, max_instances = 5 }
    trend_analysis   = { cpu = "1", memory = "512Mi", timeout_seconds = 300, concurrency = 4, min_instances = 0, max_instances = 5 }
    # Speech synthesis and music into WAVs that sit in /tmp (memory) until uploaded.
    content_generation = { cpu = "1", memory = "1Gi", timeout_seconds = 900, concurrency = 1, min_instances = 0, max_instances = 5 }
    # README "Performance": peak ~450 MB (Python ~135 MB + the ffmpeg encoder ~310 MB), flat in
    # video length, ~12 s wall for a 30 s video on 2 cores. /tmp is memory too (downloaded
    # voice-over, music and footage, the encoded mp4), hence 2 GiB; 2 vCPU because compositing
    # and x264 each take a core. One render per instance.
    composition = { cpu = "2", memory = "2Gi", timeout_seconds = 1800, concurrency = 1, min_instances = 0, max_instances = 5 }
    # QC decodes the finished video once.
    review = { cpu = "1", memory = "1Gi", timeout_seconds = 600, concurrency = 1, min_instances = 0, max_instances = 5 }
    # One pass over stuck jobs every few minutes; one at a time.
    sweeper = { cpu = "1", memory = "512Mi", timeout_seconds = 300, concurrency = 1, min_instances = 0, max_instances = 1 }
  }
  sizes = {
    for name, size in local.default_sizes :
    name => merge(size, { for k, v in try(var.function_sizes[name], {}) : k => v if v != null })
  }

  service_names = { for name in keys(local.default_sizes) : name => "${var.name_prefix}-${replace(name, "_", "-")}" }

  # Deterministic Cloud Run URLs (https://SERVICE-PROJECT_NUMBER.REGION.run.app), known before
  # the services exist: every service needs the others' URLs (task targets and OIDC audiences)
  # and the api its own (ID-token audience), which with .uri would be a dependency cycle.
  # No trailing slash: the URL is the audience Cloud Run and the functions check.
  function_urls = {
    for name, service in local.service_names :
    name => "https://${service}-${data.google_project.this.number}.${var.region}.run.app"
  }

  service_accounts = merge(
    { api = google_service_account.api.email, sweeper = google_service_account.sweeper.email },
    { for stage in local.stages : stage => google_service_account.stage[stage].email },
  )

  # --- environment: only TRENDREEL_* names that are fields of trendreel.settings.Settings ------
  common_env = {
    TRENDREEL_BACKEND              = "gcp"
    TRENDREEL_GCP_PROJECT          = var.project
    TRENDREEL_GCP_LOCATION         = var.region
    TRENDREEL_GCS_BUCKET           = google_storage_bucket.media.name
    TRENDREEL_FIRESTORE_DATABASE   = google_firestore_database.main.name
    TRENDREEL_FIRESTORE_COLLECTION = local.jobs_collection
    # One queue per stage (tasks.tf): the adapter routes each stage's tasks by this map.
    TRENDREEL_QUEUE_NAME            = var.name_prefix
    TRENDREEL_QUEUE_NAMES           = jsonencode(local.queue_names)
    TRENDREEL_TASK_MAX_ATTEMPTS     = tostring(var.task_max_attempts)
    TRENDREEL_TASKS_SERVICE_ACCOUNT = google_service_account.tasks_invoker.email
    TRENDREEL_FUNCTION_URLS         = jsonencode(local.function_urls)
  }
  provider_env = merge(
    {
      TRENDREEL_TREND_SOURCES = join(",", var.trend_sources)
      TRENDREEL_ANALYZER      = var.analyzer
      TRENDREEL_WRITER        = var.writer
      TRENDREEL_TTS           = var.tts
      TRENDREEL_VISUALS       = var.visuals
      TRENDREEL_MUSIC         = var.music
    },
    var.music_library == null ? {} : { TRENDREEL_MUSIC_LIBRARY = var.music_library },
  )
  api_env = {
    TRENDREEL_API_AUDIENCE            = local.function_urls["api"]
    TRENDREEL_API_ALLOWED_PRINCIPALS  = join(",", concat([google_service_account.scheduler.email], var.api_allowed_principals))
    TRENDREEL_API_KEY_HASHES          = join(",", var.api_key_hashes)
    TRENDREEL_SIGNING_SERVICE_ACCOUNT = google_service_account.api.email
  }
  stage_env = merge(local.provider_env, {
    # Besides Cloud Run IAM, each stage checks the task's OIDC token itself: issuer, audience =
    # its own URL in TRENDREEL_FUNCTION_URLS, email = TRENDREEL_TASKS_SERVICE_ACCOUNT.
    TRENDREEL_STAGE_AUTH = "oidc"
  })
  env = {
    for name in keys(local.default_sizes) : name => merge(
      local.common_env,
      name == "api" ? local.api_env : {},
      contains(local.stages, name) ? local.stage_env : {},
      {
        FUNCTION_TARGET         = "handle"
        FUNCTION_SIGNATURE_TYPE = "http"
        FUNCTION_SOURCE         = "${var.function_source_dir}/functions/${name}/main.py"
      },
    )
  }

  # Provider keys reach the stages only as Secret Manager references (secrets.tf); the api and
  # the sweeper never build providers and get none.
  secret_env = {
    for name in keys(local.default_sizes) :
    name => [for key in local.provider_secrets_in_use : key if contains(local.stages, name)]
  }
}

resource "google_artifact_registry_repository" "images" {
  project       = var.project
  location      = var.region
  repository_id = var.name_prefix
  format        = "DOCKER"
  description   = "trendreel function images (cloudbuild.yaml pushes, Cloud Run pulls)."

  depends_on = [google_project_service.enabled]
}

resource "google_cloud_run_v2_service" "function" {
  for_each = local.sizes

  project     = var.project
  location    = var.region
  name        = local.service_names[each.key]
  description = "trendreel ${each.key} (functions/${each.key}/main.py)"
  labels      = { function = replace(each.key, "_", "-") }

  # Stages and the sweeper are only called by Cloud Tasks and Cloud Scheduler of this project,
  # which count as internal traffic; the api takes clients and on-call engineers.
  ingress = each.key == "api" ? var.api_ingress : "INGRESS_TRAFFIC_INTERNAL_ONLY"

  # Stages and the sweeper: every caller needs roles/run.invoker (iam.tf), and they verify the
  # Cloud Tasks / Scheduler OIDC token themselves too. The api authenticates every route but
  # /health itself (Google ID tokens with audience + allow-list, hashed API keys), so by default
  # Cloud Run's invoker check is off for the api alone: API-key clients and the web dashboard
  # could not pass it. Set api_app_auth_only = false to require roles/run.invoker as well.
  invoker_iam_disabled = each.key == "api" ? var.api_app_auth_only : false
  deletion_protection  = var.deletion_protection

  template {
    service_account                  = local.service_accounts[each.key]
    timeout                          = "${each.value.timeout_seconds}s"
    max_instance_request_concurrency = each.value.concurrency
    # Gen2: full Linux compatibility for ffmpeg, and faster CPU.
    execution_environment = "EXECUTION_ENVIRONMENT_GEN2"

    scaling {
      min_instance_count = each.value.min_instances
      max_instance_count = each.value.max_instances
    }

    containers {
      image = var.image

      resources {
        limits = {
          cpu    = each.value.cpu
          memory = each.value.memory
        }
        # Every function works only inside a request, so CPU is billed per request.
        cpu_idle          = true
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = local.env[each.key]
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = toset(local.secret_env[each.key])
        content {
          name = "TRENDREEL_${upper(env.value)}"
          value_source {
            secret_key_ref {
              secret = google_secret_manager_secret.provider[env.value].secret_id
              # Read when a revision starts: a new key version takes effect on the next deploy.
              version = "latest"
            }
          }
        }
      }
    }
  }

  lifecycle {
    # Terraform owns the configuration; Cloud Build rolls out new images
    # (gcloud run services update SERVICE --image=...), which Terraform leaves alone.
    ignore_changes = [template[0].containers[0].image, client, client_version]

    precondition {
      condition     = var.music != "library" || var.music_library != null
      error_message = "music = \"library\" needs music_library (gs://bucket/prefix of WAV files)."
    }
  }

  depends_on = [
    google_project_service.enabled,
    # A revision whose service account cannot read its secrets fails to start.
    google_secret_manager_secret_iam_member.stage_reads_provider_keys,
  ]
}
