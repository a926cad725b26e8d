locals {
  # The one source of truth for indexes: the file the index test checks against the adapter's
  # real queries (tests/unit/adapters/test_firestore_indexes.py). Terraform reads it, so the
  # deployed indexes cannot drift from it.
  firestore = jsondecode(file("${path.module}/firestore.indexes.json"))

  # Keyed by content, not position: reordering the file must not rebuild an index (queries
  # fail with FAILED_PRECONDITION while one builds).
  firestore_indexes = {
    for index in local.firestore.indexes :
    join("-", concat([index.collectionGroup], [for f in index.fields : "${f.fieldPath}-${lower(lookup(f, "order", lookup(f, "arrayConfig", "")))}"])) => index
  }
  firestore_field_overrides = {
    for override in local.firestore.fieldOverrides : "${override.collectionGroup}-${override.fieldPath}" => override
  }
}

resource "google_firestore_database" "main" {
  project     = var.project
  name        = var.firestore_database
  location_id = coalesce(var.firestore_location, var.region)
  type        = "FIRESTORE_NATIVE"

  # Claims and completions are read-modify-write transactions (adapters/firestore_jobs.py):
  # pessimistic locking serializes racing deliveries instead of failing them at commit.
  concurrency_mode            = "PESSIMISTIC"
  app_engine_integration_mode = "DISABLED"

  delete_protection_state = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy         = var.deletion_protection ? "ABANDON" : "DELETE"

  depends_on = [google_project_service.enabled]
}

resource "google_firestore_index" "composite" {
  for_each = local.firestore_indexes

  project     = var.project
  database    = google_firestore_database.main.name
  collection  = each.value.collectionGroup
  query_scope = each.value.queryScope

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.fieldPath
      order        = lookup(fields.value, "order", null)
      array_config = lookup(fields.value, "arrayConfig", null)
    }
  }
}

# Single-field exemptions: the "job" map (the whole Job as JSON) is never queried, so it is not
# indexed at all (cheaper writes, and its size does not count against index-entry limits).
resource "google_firestore_field" "override" {
  for_each = local.firestore_field_overrides

  project    = var.project
  database   = google_firestore_database.main.name
  collection = each.value.collectionGroup
  field      = each.value.fieldPath

  # An index_config without indexes disables every single-field index on the field.
  index_config {
    dynamic "indexes" {
      for_each = each.value.indexes
      content {
        order        = lookup(indexes.value, "order", null)
        array_config = lookup(indexes.value, "arrayConfig", null)
        query_scope  = lookup(indexes.value, "queryScope", null)
      }
    }
  }
}
