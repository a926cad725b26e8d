# --- where -----------------------------------------------------------------------------------

variable "project" {
  description = "Google Cloud project id everything is created in."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run services, Cloud Tasks queues, Cloud Scheduler jobs and (by default) the bucket and Firestore."
  type        = string
  default     = "us-central1"
}

variable "name_prefix" {
  description = "Prefix of every resource name. At most 11 characters: service-account ids (prefix + \"-content-generation\") are limited to 30."
  type        = string
  default     = "trendreel"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,9}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix: 2-11 characters, lowercase letters, digits and '-', starting with a letter."
  }
}

variable "labels" {
  description = "Extra labels on every resource that takes labels."
  type        = map(string)
  default     = {}
}

variable "deletion_protection" {
  description = "Protect the Firestore database and the Cloud Run services from terraform destroy."
  type        = bool
  default     = true
}

# --- the functions ---------------------------------------------------------------------------

variable "image" {
  description = "Container image holding the repository (pip-installed) with functions-framework as its entrypoint; every function runs it with its own FUNCTION_SOURCE. Terraform sets it on creation; Cloud Build rolls new images afterwards."
  type        = string
}

variable "function_source_dir" {
  description = "Where the repository lives inside the image: FUNCTION_SOURCE is <this>/functions/<name>/main.py."
  type        = string
  default     = "/app"
}

variable "function_sizes" {
  description = "Per-function overrides of CPU, memory, request concurrency and instance counts (defaults in services.yaml). Timeouts are not overridable: a function's is how long one delivery may run (trendreel.tasks.timeout_seconds, its tasks' dispatch deadline)."
  type = map(object({
    cpu           = optional(string)
    memory        = optional(string)
    concurrency   = optional(number)
    min_instances = optional(number)
    max_instances = optional(number)
  }))
  default = {}

  validation {
    condition     = alltrue([for name in keys(var.function_sizes) : contains(["api", "sweeper", "trend_collection", "trend_analysis", "content_generation", "composition", "review", "publish", "metrics", "webhooks"], name)])
    error_message = "function_sizes keys must be function names (folders under functions/)."
  }
}

variable "api_ingress" {
  description = "Ingress of the api service. Every other service is always INGRESS_TRAFFIC_INTERNAL_ONLY (services.yaml; Cloud Tasks and Cloud Scheduler in the same project count as internal)."
  type        = string
  default     = "INGRESS_TRAFFIC_ALL"

  validation {
    condition     = contains(["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"], var.api_ingress)
    error_message = "api_ingress must be a Cloud Run v2 ingress value."
  }
}

# --- who may call the api --------------------------------------------------------------------

variable "api_app_auth_only" {
  description = "true: Cloud Run's invoker check is off for the api alone and the api's own authentication admits callers (Google ID tokens with audience and allow-list, hashed API keys, the web dashboard). false: the check is on for the api too: every caller needs roles/run.invoker (api_invoker_members) and a Google ID token for the api's URL (in Authorization, or in X-Serverless-Authorization when Authorization carries an API key), and the api reads the caller's aud and email from the token Cloud Run verified (its signature stripped). The web dashboard cannot be used then."
  type        = bool
  default     = true
}

variable "api_invoker_members" {
  description = "Principals given roles/run.invoker on the api (e.g. group:oncall@example.com, user:you@example.com). The scheduler's service account is always one. Never public."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.api_invoker_members : !contains(["allUsers", "allAuthenticatedUsers"], m)])
    error_message = "api_invoker_members must not be allUsers or allAuthenticatedUsers: the api is not public."
  }
}

variable "api_allowed_principals" {
  description = "Emails whose Google ID tokens the api accepts (TRENDREEL_API_ALLOWED_PRINCIPALS), in addition to the scheduler's service account."
  type        = list(string)
  default     = []
}

variable "api_key_hashes" {
  description = "SHA-256 (hex) of the API keys the api accepts (TRENDREEL_API_KEY_HASHES). Hashes, not keys: safe in plain configuration."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for h in var.api_key_hashes : can(regex("^[0-9a-f]{64}$", h))])
    error_message = "api_key_hashes must be lowercase hex SHA-256 digests (64 characters)."
  }
}

# --- storage ---------------------------------------------------------------------------------

variable "bucket_name" {
  description = "Media bucket name (default: <project>-<name_prefix>-media)."
  type        = string
  default     = null
}

variable "bucket_location" {
  description = "Media bucket location (default: region)."
  type        = string
  default     = null
}

variable "intermediate_retention_days" {
  description = "Days after which intermediate media (the voice-over and music WAVs under jobs/) is deleted. A job retried after that cannot re-run composition."
  type        = number
  default     = 30

  validation {
    condition     = var.intermediate_retention_days >= 1
    error_message = "intermediate_retention_days must be at least 1."
  }
}

variable "firestore_database" {
  description = "Firestore database id (TRENDREEL_FIRESTORE_DATABASE)."
  type        = string
  default     = "(default)"
}

variable "firestore_location" {
  description = "Firestore location, e.g. nam5 (default: region). Cannot change after creation."
  type        = string
  default     = null
}

# --- queues ----------------------------------------------------------------------------------

# Retry budget of every stage queue (trendreel.settings.Settings has the same defaults). Cloud
# Tasks waits min_backoff before the first retry, doubles the wait max_doublings times, then
# grows it linearly by min_backoff * 2^max_doublings, never past max_backoff. With 10 s, 4
# doublings and 300 s the waits are 10, 20, 40, 80, 160, then 300 (160 + 160, capped), 300, 300,
# 300: the 10th and last attempt comes 1510 s (25 min) after the first. So:
# - a 15-minute provider outage (the stage answers 503, transient) is ridden out by retries alone;
# - a crashed stage (e.g. composition out of memory) costs one attempt: the redelivery that meets
#   the dead instance's lease is acknowledged and re-enqueued as a new task scheduled for when
#   that short lease (TRENDREEL_LEASE_SECONDS) expires, so it never burns attempts;
# - the runner records the job failed on the last attempt (it reads X-CloudTasks-TaskRetryCount),
#   so TRENDREEL_TASK_MAX_ATTEMPTS (services.yaml) must equal max_attempts: both come from here.
variable "task_max_attempts" {
  description = "Cloud Tasks max_attempts of every stage queue, and TRENDREEL_TASK_MAX_ATTEMPTS: the runner records the failure on the last attempt, so both must agree."
  type        = number
  default     = 10

  validation {
    condition     = var.task_max_attempts >= 1 && var.task_max_attempts <= 100
    error_message = "task_max_attempts must be between 1 and 100 (the Settings bounds)."
  }
}

variable "queue_min_backoff_seconds" {
  description = "Cloud Tasks min_backoff of every stage queue."
  type        = number
  default     = 10
}

variable "queue_max_backoff_seconds" {
  description = "Cloud Tasks max_backoff of every stage queue."
  type        = number
  default     = 300
}

variable "queue_max_doublings" {
  description = "Cloud Tasks max_doublings of every stage queue."
  type        = number
  default     = 4
}

variable "queue_max_dispatches_per_second" {
  description = "Cloud Tasks max_dispatches_per_second of every stage queue (concurrency is derived from the service's capacity)."
  type        = number
  default     = 5
}

# The webhooks queue's budget (tasks.tf has the arithmetic): 30 attempts spread over 24 hours, so
# a receiver down for up to a day still gets the event.
variable "webhook_max_attempts" {
  description = "Cloud Tasks max_attempts of the webhooks queue, and the webhooks service's TRENDREEL_TASK_MAX_ATTEMPTS: the delivery is recorded undeliverable on the last attempt, so both must agree."
  type        = number
  default     = 30

  validation {
    condition     = var.webhook_max_attempts >= 1 && var.webhook_max_attempts <= 100
    error_message = "webhook_max_attempts must be between 1 and 100 (the Settings bounds)."
  }
}

# --- schedules -------------------------------------------------------------------------------

variable "schedule" {
  description = "Cron schedule of POST /generate."
  type        = string
  default     = "0 9 * * *"
}

variable "time_zone" {
  description = "Time zone of the schedules (tz database name)."
  type        = string
  default     = "Etc/UTC"
}

variable "generate_body" {
  description = "JSON body of the scheduled POST /generate, e.g. {\"theme\": \"tech\"}, or {\"config_path\": \"daily.yaml\"}: works out of the box, every file in infra/configs/ is uploaded to the api's config root (configs.tf)."
  type        = string
  default     = "{}"

  validation {
    condition     = can(jsondecode(var.generate_body))
    error_message = "generate_body must be JSON."
  }
}

variable "sweeper_schedule" {
  description = "Cron schedule of the sweeper, which re-drives stuck jobs."
  type        = string
  default     = "*/5 * * * *"
}

variable "metrics_schedule" {
  description = "Cron schedule of the metrics function, which reads published videos' numbers once they fall due (about 1 h, 24 h and 7 d after publishing)."
  type        = string
  default     = "0 * * * *"
}

# --- providers (TRENDREEL_* choices; their keys come from Secret Manager, secrets.tf) --------

variable "trend_sources" {
  description = "TRENDREEL_TREND_SOURCES."
  type        = list(string)
  default     = ["bundled"]

  validation {
    condition     = length(var.trend_sources) > 0 && alltrue([for s in var.trend_sources : contains(["bundled", "youtube", "google_trends", "tiktok", "file"], s)])
    error_message = "trend_sources: one or more of bundled, youtube, google_trends, tiktok, file."
  }
}

variable "analyzer" {
  description = "TRENDREEL_ANALYZER: offline or gemini."
  type        = string
  default     = "offline"

  validation {
    condition     = contains(["offline", "gemini"], var.analyzer)
    error_message = "analyzer must be offline or gemini."
  }
}

variable "writer" {
  description = "TRENDREEL_WRITER: offline or gemini."
  type        = string
  default     = "offline"

  validation {
    condition     = contains(["offline", "gemini"], var.writer)
    error_message = "writer must be offline or gemini."
  }
}

variable "tts" {
  description = "TRENDREEL_TTS: piper (the neural offline narrator), espeak or google."
  type        = string
  default     = "piper"

  validation {
    condition     = contains(["piper", "espeak", "google"], var.tts)
    error_message = "tts must be piper, espeak or google."
  }
}

variable "visuals" {
  description = "TRENDREEL_VISUALS: procedural or pexels."
  type        = string
  default     = "procedural"

  validation {
    condition     = contains(["procedural", "pexels"], var.visuals)
    error_message = "visuals must be procedural or pexels."
  }
}

variable "music" {
  description = "TRENDREEL_MUSIC: generated or library."
  type        = string
  default     = "generated"

  validation {
    condition     = contains(["generated", "library"], var.music)
    error_message = "music must be generated or library."
  }
}

variable "music_library" {
  description = "TRENDREEL_MUSIC_LIBRARY (gs://bucket/prefix of WAV files) when music = library."
  type        = string
  default     = null
}

# --- publishing (YouTube Shorts, TikTok) ------------------------------------------------------

variable "publish_platforms" {
  description = "Platforms whose connected account and OAuth client secret are mounted on publish and metrics (secrets.tf). Add both secrets' versions first: a revision referencing a secret without a version does not start. Publishing to a platform not listed fails the publication with the command that connects the account."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.publish_platforms : contains(["youtube", "tiktok"], p)])
    error_message = "publish_platforms: youtube, tiktok or both."
  }
}

variable "youtube_client_id" {
  description = "TRENDREEL_YOUTUBE_CLIENT_ID: the OAuth client (Google Cloud console) the YouTube account was connected through. Its secret is the youtube-client-secret secret."
  type        = string
  default     = null
}

variable "tiktok_client_key" {
  description = "TRENDREEL_TIKTOK_CLIENT_KEY: the TikTok app's client key the account was connected through. Its secret is the tiktok-client-secret secret."
  type        = string
  default     = null
}

variable "publish_privacy" {
  description = "TRENDREEL_PUBLISH_PRIVACY: what a publication gets unless the request says otherwise, auto_post included."
  type        = string
  default     = "private"

  validation {
    condition     = contains(["private", "unlisted", "public"], var.publish_privacy)
    error_message = "publish_privacy must be private, unlisted or public."
  }
}

variable "publish_made_for_kids" {
  description = "TRENDREEL_PUBLISH_MADE_FOR_KIDS: YouTube's made-for-kids declaration of every upload."
  type        = bool
  default     = false
}

# --- webhooks --------------------------------------------------------------------------------

variable "webhook_secret_enabled" {
  description = "Mount the webhook-secret secret on the webhooks service: it signs deliveries to a theme config's webhook_url (registered endpoints have their own). Add a version first: a revision referencing a secret without a version does not start."
  type        = bool
  default     = false
}
