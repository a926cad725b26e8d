terraform {
  # removed blocks (iam.tf) need 1.7, check blocks (outputs.tf) 1.5, optional object attributes
  # (variables.tf) 1.3.
  required_version = ">= 1.7"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.50"
    }
  }

  # State lives in a GCS bucket made once by hand (versioned, not this project's media bucket):
  #   terraform init -backend-config="bucket=STATE_BUCKET" -backend-config="prefix=trendreel"
  # For a look without state: terraform init -backend=false && terraform validate
  backend "gcs" {}
}

provider "google" {
  project = var.project
  region  = var.region

  default_labels = merge({ app = "trendreel" }, var.labels)
}
