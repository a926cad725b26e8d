# Theme configs that POST /generate can name: {"config_path": "daily.yaml"} reads
# gs://BUCKET/configs/daily.yaml, because the api's TRENDREEL_CONFIG_ROOT is gs://BUCKET/configs
# (config_root in functions.tf). Every file in infra/configs/ is uploaded there under its own
# path; the api reads the bucket (iam.tf), and the lifecycle rule (storage.tf) deletes only
# under jobs/.
locals {
  config_files = fileset("${path.module}/configs", "**")
  # The api accepts only these (api/config_source.py); any other file fails the plan here.
  config_content_types = { yaml = "application/yaml", yml = "application/yaml", json = "application/json" }
}

resource "google_storage_bucket_object" "config" {
  for_each = local.config_files

  bucket       = google_storage_bucket.media.name
  name         = "configs/${each.value}"
  source       = "${path.module}/configs/${each.value}"
  content_type = local.config_content_types[lower(regex("[^.]+$", each.value))]
  # An edited file is uploaded again: with a source file, the provider compares the file's MD5
  # with the object's (detect_md5hash, left at its default) and replaces the object when they
  # differ, edits made outside Terraform included.
}
