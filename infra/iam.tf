# Least privilege, one identity per job to do:
#
#   identity        may                                                   on
#   api             read/write jobs (datastore.user)                      the project's Firestore
#                   read media, sign URLs as itself (signBlob)            the bucket, itself
#                   create tasks, read queues (/health), act as invoker   every queue (*)
#                   read the webhook signing secret (**)                  webhook_secret only
#   stage <s>       read/write jobs, read/write media                     Firestore, the bucket
#                   create tasks, act as invoker                          the next stage's queue
#                                                                         and the webhooks queue
#                   read the chosen providers' keys                       those secrets only
#   sweeper         read/write jobs; see and create tasks, act as invoker Firestore, every stage
#                                                                         queue
#                   create tasks (job.failed of a job it fails)           the webhooks queue
#   publish         read/write jobs, read media                           Firestore, the bucket
#                   create tasks, act as invoker                          the publish and webhooks
#                                                                         queues
#                   read the accounts and client secrets                  of publish_platforms
#   metrics         read/write jobs; read the same secrets as publish     Firestore, those secrets
#   webhooks        read events and endpoints, record deliveries          Firestore
#                   read the signing secret                               webhook_secret only
#   tasks-invoker   roles/run.invoker                                     each function Cloud Tasks
#                                                                         delivers to only
#   scheduler       roles/run.invoker                                     the api, the sweeper and
#                                                                         metrics only
#
# (*) POST /generate enqueues the first stage, but POST /jobs/{id}/retry resumes a job at its
# first incomplete stage, which can be any of them; the api also queues publish tasks and
# webhook events, and its /health reads every queue.
# (**) It refuses a job whose config names a webhook_url while there is no secret to sign its
# events with; it only checks that there is one.
# datastore.user is project-wide: Firestore has no per-collection IAM.

locals {
  identities = merge(
    {
      api           = google_service_account.api
      sweeper       = google_service_account.sweeper
      publish       = google_service_account.publish
      metrics       = google_service_account.metrics
      webhooks      = google_service_account.webhooks
      tasks_invoker = google_service_account.tasks_invoker
      scheduler     = google_service_account.scheduler
    },
    google_service_account.stage,
  )
  # Emails built from the account ids rather than read from .email, which is known only once
  # the account exists: the run.invoker grants (below) are keyed by member, and keys must be
  # known when planning. The references still order everything after the accounts.
  service_accounts = { for name, account in local.identities : name => "${account.account_id}@${var.project}.iam.gserviceaccount.com" }
  members          = { for name, email in local.service_accounts : name => "serviceAccount:${email}" }
  stage_members    = { for stage in local.stages : stage => local.members[stage] }

  # Identities that read and write job documents (webhooks: events, endpoints, deliveries).
  job_store_members = merge(
    { for name in ["api", "sweeper", "publish", "metrics", "webhooks"] : name => local.members[name] },
    local.stage_members,
  )

  # The queues each identity creates tasks on. A stage: the next stage's (review is last) and
  # webhooks (job.completed, job.failed); the sweeper: any stage it re-drives, and webhooks
  # (job.failed of a job that spent its attempts); publish: its own follow-ups and webhooks
  # (video.published, publication.failed).
  enqueues = merge(
    {
      api     = local.task_functions
      sweeper = concat(local.stages, ["webhooks"])
      publish = ["publish", "webhooks"]
    },
    { for stage in local.stages : stage => compact([lookup(local.next_stage, stage, ""), "webhooks"]) },
  )
  # The queues each identity reads: the api's /health gets every queue; the sweeper asks
  # whether a stage's task is still pending (tasks.get) before re-enqueuing.
  views = { api = local.task_functions, sweeper = local.stages }

  queue_grants = merge(
    merge([
      for who, queues in local.enqueues :
      { for queue in queues : "${who}/${queue}/enqueuer" => { queue = queue, member = local.members[who], role = "roles/cloudtasks.enqueuer" } }
    ]...),
    merge([
      for who, queues in local.views :
      { for queue in queues : "${who}/${queue}/viewer" => { queue = queue, member = local.members[who], role = "roles/cloudtasks.viewer" } }
    ]...),
  )

  # Identities that create tasks: each needs actAs on the invoker account the tasks' OIDC
  # tokens are minted for.
  enqueuers = { for who in keys(local.enqueues) : who => local.members[who] }
}

# --- identities ------------------------------------------------------------------------------

resource "google_service_account" "api" {
  project      = var.project
  account_id   = "${var.name_prefix}-api"
  display_name = "trendreel api"
  description  = "Runtime identity of the api service."
}

resource "google_service_account" "stage" {
  for_each = toset(local.stages)

  project      = var.project
  account_id   = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  display_name = "trendreel ${each.key}"
  description  = "Runtime identity of the ${each.key} stage service."
}

resource "google_service_account" "sweeper" {
  project      = var.project
  account_id   = "${var.name_prefix}-sweeper"
  display_name = "trendreel sweeper"
  description  = "Runtime identity of the sweeper service."
}

resource "google_service_account" "publish" {
  project      = var.project
  account_id   = "${var.name_prefix}-publish"
  display_name = "trendreel publish"
  description  = "Runtime identity of the publish service (uploads to YouTube and TikTok)."
}

resource "google_service_account" "metrics" {
  project      = var.project
  account_id   = "${var.name_prefix}-metrics"
  display_name = "trendreel metrics"
  description  = "Runtime identity of the metrics service (published videos' numbers)."
}

resource "google_service_account" "webhooks" {
  project      = var.project
  account_id   = "${var.name_prefix}-webhooks"
  display_name = "trendreel webhooks"
  description  = "Runtime identity of the webhooks service (signed event deliveries)."
}

resource "google_service_account" "tasks_invoker" {
  project      = var.project
  account_id   = "${var.name_prefix}-tasks-invoker"
  display_name = "trendreel Cloud Tasks invoker"
  description  = "OIDC identity of every task (TRENDREEL_TASKS_SERVICE_ACCOUNT); runs nothing."
}

resource "google_service_account" "scheduler" {
  project      = var.project
  account_id   = "${var.name_prefix}-scheduler"
  display_name = "trendreel Cloud Scheduler"
  description  = "OIDC identity of the scheduled api, sweeper and metrics calls; runs nothing."
}

# --- Firestore -------------------------------------------------------------------------------

resource "google_project_iam_member" "job_store" {
  for_each = local.job_store_members

  project = var.project
  role    = "roles/datastore.user"
  member  = each.value
}

# --- media bucket ----------------------------------------------------------------------------

resource "google_storage_bucket_iam_member" "api_reads_media" {
  bucket = google_storage_bucket.media.name
  role   = "roles/storage.objectViewer"
  member = local.members.api
}

# publish downloads the video, its thumbnail and the review manifest; it writes nothing there.
resource "google_storage_bucket_iam_member" "publish_reads_media" {
  bucket = google_storage_bucket.media.name
  role   = "roles/storage.objectViewer"
  member = local.members.publish
}

resource "google_storage_bucket_iam_member" "stage_writes_media" {
  for_each = local.stage_members

  bucket = google_storage_bucket.media.name
  role   = "roles/storage.objectAdmin"
  member = each.value
}

# Signed URLs on Cloud Run: no private key on the instance, the api signs through the IAM
# signBlob API as itself (TRENDREEL_SIGNING_SERVICE_ACCOUNT).
resource "google_service_account_iam_member" "api_signs_as_itself" {
  service_account_id = google_service_account.api.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.members.api
}

# --- Cloud Tasks -----------------------------------------------------------------------------

resource "google_cloud_tasks_queue_iam_member" "queue" {
  for_each = local.queue_grants

  project  = var.project
  location = var.region
  name     = local.queues[each.value.queue].name
  role     = each.value.role
  member   = each.value.member
}

# Creating a task that carries an OIDC token for the invoker account is acting as it.
resource "google_service_account_iam_member" "enqueuer_acts_as_invoker" {
  for_each = local.enqueuers

  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = each.value
}

# --- Secret Manager --------------------------------------------------------------------------

# Each function reads exactly the secrets mounted on it (functions.tf: secret_env).
resource "google_secret_manager_secret_iam_member" "reads" {
  for_each = merge([
    for name, keys in local.secret_env :
    { for key in keys : "${name}/${key}" => { function = name, secret = key } }
  ]...)

  project   = var.project
  secret_id = google_secret_manager_secret.setting[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.members[each.value.function]
}

# The grants were stage_reads_provider_keys, keyed "stage/secret" as these are: kept, not
# revoked and granted again.
moved {
  from = google_secret_manager_secret_iam_member.stage_reads_provider_keys
  to   = google_secret_manager_secret_iam_member.reads
}

# --- who may call which service (never allUsers / allAuthenticatedUsers) ---------------------

# One grant per service and invoker (services.yaml: the task invoker on each function Cloud
# Tasks delivers to, the scheduler on the api, the sweeper and metrics, var.api_invoker_members
# on the api).
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = merge([
    for name, service in local.services :
    { for member in service.invokers : "${name}/${member}" => { service = name, member = member } }
  ]...)

  project  = var.project
  location = var.region
  name     = google_cloud_run_v2_service.function[each.value.service].name
  role     = "roles/run.invoker"
  member   = each.value.member
}

# Before services.yaml the grants were three resources. Terraform forgets them without revoking
# anything (the invoker resource above grants the same members again, a no-op), rather than
# destroying them while it creates their replacements, which could revoke a grant just made.
removed {
  from = google_cloud_run_v2_service_iam_member.tasks_invoke_stages
  lifecycle {
    destroy = false
  }
}

removed {
  from = google_cloud_run_v2_service_iam_member.scheduler_invokes
  lifecycle {
    destroy = false
  }
}

removed {
  from = google_cloud_run_v2_service_iam_member.api_invokers
  lifecycle {
    destroy = false
  }
}
