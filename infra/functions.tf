# Each function is a Cloud Run v2 service (google_cloud_run_v2_service), not a
# google_cloudfunctions2_function, because:
# - every function imports the shared package (shared/trendreel) and composition needs the
#   ffmpeg that imageio-ffmpeg bundles: one image built once by Cloud Build from the repository
#   root serves all of them, each picking its entry point with FUNCTION_SOURCE/FUNCTION_TARGET
#   (functions-framework reads both), instead of one source upload per function, each vendoring
#   shared/;
# - the knobs this system depends on are first-class here: per-request timeout up to 60 min,
#   2 vCPU / 2 GiB with request concurrency 1 for composition, internal-only ingress for every
#   function but the api, and the deterministic URL that the tasks' OIDC audience is built from.
# Cloud Run functions (gen2) are Cloud Run services underneath, so nothing is lost.

locals {
  # Pipeline order (trendreel.models.Stage); the next stage's queue is the only stage queue a
  # stage may write to (iam.tf).
  stages     = ["trend_collection", "trend_analysis", "content_generation", "composition", "review"]
  next_stage = { for i, stage in local.stages : stage => local.stages[i + 1] if i + 1 < length(local.stages) }

  # Every service and schedule, as data: sizes, ingress, invoker check, invokers, environment.
  # The tests' Cloud Run edge reads the same file (tests/support/cloud_run/infra.py), so the
  # functions are tested with exactly the configuration deployed here.
  spec = yamldecode(file("${path.module}/services.yaml"))

  service_names = { for name in keys(local.spec.services) : name => "${var.name_prefix}-${replace(name, "_", "-")}" }

  # Deterministic Cloud Run URLs (https://SERVICE-PROJECT_NUMBER.REGION.run.app), known before
  # the services exist: every service needs the others' URLs (task targets and OIDC audiences)
  # and the api its own (ID-token audience), which with .uri would be a dependency cycle.
  # No trailing slash: the URL is the audience Cloud Run and the functions check.
  function_urls = {
    for name, service in local.service_names :
    name => "https://${service}-${data.google_project.this.number}.${var.region}.run.app"
  }

  # What each {ref: NAME} in services.yaml stands for (the vocabulary is in its header).
  # tests/support/cloud_run/infra.py computes the same refs for a test deployment, and
  # tests/unit/infra holds each entry here to the expression that file mirrors.
  ref_values = {
    project            = var.project
    region             = var.region
    bucket             = google_storage_bucket.media.name
    firestore_database = google_firestore_database.main.name
    function_urls      = jsonencode(local.function_urls)
    queue_names        = jsonencode(local.queue_names)
    api_url            = local.function_urls["api"]
    # The scheduler calls POST /generate with its own ID token.
    api_allowed_principals = join(",", concat([local.service_accounts.scheduler], var.api_allowed_principals))
    # POST /generate's config_path resolves here (configs.tf uploads infra/configs/).
    config_root = "gs://${google_storage_bucket.media.name}/configs"
  }
  # The variables services.yaml refers to (var.NAME), as they are: the module writes them into
  # the environment (lists joined with ",", null as "").
  ref_variables = {
    "var.name_prefix"           = var.name_prefix
    "var.task_max_attempts"     = var.task_max_attempts
    "var.api_ingress"           = var.api_ingress
    "var.api_app_auth_only"     = var.api_app_auth_only
    "var.api_invoker_members"   = var.api_invoker_members
    "var.api_key_hashes"        = var.api_key_hashes
    "var.trend_sources"         = var.trend_sources
    "var.analyzer"              = var.analyzer
    "var.writer"                = var.writer
    "var.tts"                   = var.tts
    "var.visuals"               = var.visuals
    "var.music"                 = var.music
    "var.music_library"         = var.music_library
    "var.schedule"              = var.schedule
    "var.generate_body"         = var.generate_body
    "var.sweeper_schedule"      = var.sweeper_schedule
    "var.metrics_schedule"      = var.metrics_schedule
    "var.publish_privacy"       = var.publish_privacy
    "var.publish_made_for_kids" = var.publish_made_for_kids
    "var.youtube_client_id"     = var.youtube_client_id
    "var.tiktok_client_key"     = var.tiktok_client_key
    "var.webhook_max_attempts"  = var.webhook_max_attempts
  }
  refs = merge(
    local.ref_values,
    { for name, email in local.service_accounts : "service_account.${name}" => email },
    { for name, member in local.members : "member.${name}" => member },
    local.ref_variables,
  )

  # Per function: cpu, memory, timeout_seconds, concurrency, min/max_instances, ingress,
  # invoker_iam_disabled, invokers, env. Concurrency x instances is also the
  # max_concurrent_dispatches of the function's queue (tasks.tf), so the queue never offers more
  # work than the service can take.
  services = module.services.services

  # Credentials reach a function only as Secret Manager references (secrets.tf): those of the
  # secret groups services.yaml gives it (`secrets`) that the deployment uses. The stages get
  # the chosen providers' keys (every stage builds every provider at start), publish and
  # metrics the accounts and OAuth client secrets of var.publish_platforms, webhooks and the api
  # the webhook signing secret; the sweeper gets none.
  secret_env = {
    for name, service in local.spec.services : name => [
      for key in local.secrets_in_use : key
      if anytrue([for group in try(service.secrets, []) : contains(local.spec.secret_groups[group], key)])
    ]
  }
}

module "services" {
  source = "./modules/services"

  spec                = local.spec
  refs                = local.refs
  function_sizes      = var.function_sizes
  function_source_dir = var.function_source_dir
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
  for_each = local.services

  project     = var.project
  location    = var.region
  name        = local.service_names[each.key]
  description = "trendreel ${each.key} (functions/${each.key}/main.py)"
  labels      = { function = replace(each.key, "_", "-") }

  # services.yaml: every function but the api is internal and behind Cloud Run's invoker check
  # (Cloud Tasks and Cloud Scheduler of this project count as internal traffic); the api takes
  # clients and on-call engineers, and by default authenticates them itself (api_app_auth_only).
  ingress              = each.value.ingress
  invoker_iam_disabled = each.value.invoker_iam_disabled
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
        for_each = each.value.env
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
              secret = google_secret_manager_secret.setting[env.value].secret_id
              # Resolved when an instance starts: a new version reaches new instances, and every
              # instance after the next deploy.
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

    # A connected account works only with the OAuth client it was authorized through.
    precondition {
      condition     = !contains(var.publish_platforms, "youtube") || var.youtube_client_id != null
      error_message = "publish_platforms has youtube: set youtube_client_id (the OAuth client the account was connected through)."
    }

    precondition {
      condition     = !contains(var.publish_platforms, "tiktok") || var.tiktok_client_key != null
      error_message = "publish_platforms has tiktok: set tiktok_client_key (the app the account was connected through)."
    }
  }

  depends_on = [
    google_project_service.enabled,
    # A revision whose service account cannot read its secrets fails to start.
    google_secret_manager_secret_iam_member.reads,
  ]
}
