output "services" {
  description = "Per function (a folder under functions/): cpu, memory, timeout_seconds, concurrency, min_instances, max_instances, ingress, invoker_iam_disabled, invokers (IAM members given roles/run.invoker) and env (the plain environment variables)."
  value = {
    for name, service in local.services : name => merge(local.sizes[name], {
      ingress              = service.ingress
      invoker_iam_disabled = service.invoker_iam_disabled
      invokers             = tolist(local.invokers[name])
      env                  = tomap(local.env[name])
    })
  }

  precondition {
    condition     = length(local.missing_refs) == 0
    error_message = "services.yaml uses refs that refs does not give: ${join(", ", sort(local.missing_refs))}."
  }
}

output "schedules" {
  description = "Per Cloud Scheduler job: description, schedule (cron), target (a function), uri (its URL + path), body, headers, attempt_deadline_seconds, retry_count and the optional backoff (min_backoff_seconds, max_backoff_seconds, max_doublings; null: Cloud Scheduler's default)."
  value = {
    for name, job in local.schedules : name => {
      description              = job.description
      schedule                 = job.schedule
      target                   = job.target
      uri                      = "${local.function_urls[job.target]}${job.path}"
      body                     = job.body
      headers                  = tomap(try(job.headers, {}))
      attempt_deadline_seconds = job.attempt_deadline_seconds
      retry_count              = job.retry_count
      min_backoff_seconds      = try(job.min_backoff_seconds, null)
      max_backoff_seconds      = try(job.max_backoff_seconds, null)
      max_doublings            = try(job.max_doublings, null)
    }
  }

  precondition {
    condition     = length(local.missing_refs) == 0
    error_message = "services.yaml uses refs that refs does not give: ${join(", ", sort(local.missing_refs))}."
  }
}
