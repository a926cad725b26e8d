# Least privilege, one identity per job to do:
#
#   identity        may                                                   on
#   api             read/write jobs (datastore.user)                      the project's Firestore
#                   read media, sign URLs as itself (signBlob)            the bucket, itself
#                   create tasks, read queues (/health), act as invoker   every stage queue (*)
#   stage <s>       read/write jobs, read/write media                     Firestore, the bucket
#                   create tasks, act as invoker                          the next stage's queue only
#                   read the chosen providers' keys                       those secrets only
#   sweeper         read/write jobs; see and create tasks, act as invoker Firestore, every stage queue
#   tasks-invoker   roles/run.invoker                                     each stage service only
#   scheduler       roles/run.invoker                                     the api and the sweeper only
#
# (*) POST /generate enqueues the first stage, but POST /jobs/{id}/retry resumes a job at its
# first incomplete stage, which can be any of them.
# datastore.user is project-wide: Firestore has no per-collection IAM.

locals {
  identities = merge(
    {
      api           = google_service_account.api
      sweeper       = google_service_account.sweeper
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

  # Identities that read and write job documents.
  job_store_members = merge({ api = local.members.api, sweeper = local.members.sweeper }, local.stage_members)

  # Identities that create tasks (each needs actAs on the invoker account the tasks' OIDC
  # tokens are minted for). review is last and enqueues nothing.
  enqueuers = merge(
    { api = local.members.api, sweeper = local.members.sweeper },
    { for stage in keys(local.next_stage) : stage => local.stage_members[stage] },
  )

  queue_grants = merge(
    { for stage in local.stages : "api/${stage}/enqueuer" => { queue = stage, member = local.members.api, role = "roles/cloudtasks.enqueuer" } },
    { for stage in local.stages : "api/${stage}/viewer" => { queue = stage, member = local.members.api, role = "roles/cloudtasks.viewer" } },
    # The sweeper asks whether a job's task is still pending (tasks.get) before re-enqueuing.
    { for stage in local.stages : "sweeper/${stage}/enqueuer" => { queue = stage, member = local.members.sweeper, role = "roles/cloudtasks.enqueuer" } },
    { for stage in local.stages : "sweeper/${stage}/viewer" => { queue = stage, member = local.members.sweeper, role = "roles/cloudtasks.viewer" } },
    { for stage, next in local.next_stage : "${stage}/${next}/enqueuer" => { queue = next, member = local.stage_members[stage], role = "roles/cloudtasks.enqueuer" } },
  )
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

resource "google_service_account" "tasks_invoker" {
  project      = var.project
  account_id   = "${var.name_prefix}-tasks-invoker"
  display_name = "trendreel Cloud Tasks invoker"
  description  = "OIDC identity of stage tasks (TRENDREEL_TASKS_SERVICE_ACCOUNT); runs nothing."
}

resource "google_service_account" "scheduler" {
  project      = var.project
  account_id   = "${var.name_prefix}-scheduler"
  display_name = "trendreel Cloud Scheduler"
  description  = "OIDC identity of the scheduled POST /generate and sweeper calls; runs nothing."
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
  name     = google_cloud_tasks_queue.stage[each.value.queue].name
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

resource "google_secret_manager_secret_iam_member" "stage_reads_provider_keys" {
  for_each = {
    for pair in setproduct(local.stages, local.provider_secrets_in_use) :
    "${pair[0]}/${pair[1]}" => { stage = pair[0], secret = pair[1] }
  }

  project   = var.project
  secret_id = google_secret_manager_secret.provider[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.stage_members[each.value.stage]
}

# --- who may call which service (never allUsers / allAuthenticatedUsers) ---------------------

# One grant per service and invoker (services.yaml: the task invoker on each stage, the
# scheduler on the api and the sweeper, var.api_invoker_members on the api).
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
