locals {
  bucket_name = coalesce(var.bucket_name, "${var.project}-${var.name_prefix}-media")

  # A script has at most 20 scenes (models/content.py: Script.scenes max_length), one footage
  # clip each; tests/unit/infra checks the two stay in step.
  max_scenes = 20
  intermediate_suffixes = concat(
    ["/content_generation/voiceover.wav", "/content_generation/music.wav"],
    [for i in range(local.max_scenes) : format("/content_generation/visuals/scene_%02d.mp4", i)],
  )
}

resource "google_storage_bucket" "media" {
  project  = var.project
  name     = local.bucket_name
  location = coalesce(var.bucket_location, var.region)

  # IAM only (no ACLs), and no public object can ever exist: media leaves through V4 signed
  # URLs that the api signs with its own identity (signBlob).
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  # Stages overwrite deterministic keys jobs/{job_id}/{stage}/... on a rerun: old versions
  # would only cost money.
  versioning {
    enabled = false
  }

  # Intermediates: what content_generation writes under jobs/{job_id}/content_generation/
  # for composition to consume: the voice-over and music WAVs and the stock footage
  # (visuals/scene_NN.mp4). Lifecycle conditions match literal prefixes and suffixes, with no
  # wildcard for the job id, so the rule is "under jobs/ AND ending in one of these exact
  # tails". The final video (composition/video.mp4), thumbnail, captions, manifests and the
  # small JSON plans never match and stay, and so do the theme configs under configs/
  # (configs.tf).
  lifecycle_rule {
    condition {
      age            = var.intermediate_retention_days
      matches_prefix = ["jobs/"]
      matches_suffix = local.intermediate_suffixes
    }
    action {
      type = "Delete"
    }
  }

  force_destroy = false

  depends_on = [google_project_service.enabled]
}
