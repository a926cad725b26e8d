locals {
  apis = toset([
    "artifactregistry.googleapis.com",     # the functions' container image
    "cloudbuild.googleapis.com",           # cloudbuild.yaml: test gate, build, deploy
    "cloudresourcemanager.googleapis.com", # data.google_project (the project number in URLs)
    "cloudscheduler.googleapis.com",
    "cloudtasks.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com", # signBlob: signed media URLs without a private key
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
}

resource "google_project_service" "enabled" {
  for_each = local.apis

  project = var.project
  service = each.value

  # Other systems in the project may use these APIs too: never switch them off on destroy.
  disable_on_destroy         = false
  disable_dependent_services = false
}

# The project number is part of every Cloud Run deterministic URL (functions.tf).
data "google_project" "this" {
  project_id = var.project
}
