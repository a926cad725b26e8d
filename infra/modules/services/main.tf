# services.yaml resolved into each Cloud Run service's and each Cloud Scheduler job's
# configuration. No provider and no resources, so that tests/unit/infra can evaluate it offline
# with terraform and compare it with the tests' resolver (tests/support/cloud_run/infra.py).
#
# A value is either literal or {ref: NAME}; try(var.refs[value.ref], value) takes the ref and
# leaves a literal (which has no .ref) as it is. A NAME missing from refs would be left as the
# {ref = NAME} object too, so the outputs' precondition rejects any such NAME first.

locals {
  size_fields = ["cpu", "memory", "timeout_seconds", "concurrency", "min_instances", "max_instances"]

  # Every field of a service or a schedule with its ref taken (invokers and env: below).
  services  = { for name, service in var.spec.services : name => { for field, value in service : field => try(var.refs[value.ref], value) } }
  schedules = { for name, job in var.spec.schedules : name => { for field, value in job : field => try(var.refs[value.ref], value) } }

  # The spec's sizes, then the non-null overrides (timeouts are not overridable).
  sizes = {
    for name, service in local.services : name => merge(
      { for field in local.size_fields : field => service[field] },
      { for field, value in try(var.function_sizes[name], {}) : field => value if value != null },
    )
  }

  # A ref may be a list of members (var.api_invoker_members): one flat list.
  invokers = {
    for name, service in var.spec.services :
    name => flatten([for member in service.invokers : try(var.refs[member.ref], member)])
  }

  # The service's groups in order, then its own env: later names win.
  merged_env = {
    for name, service in var.spec.services :
    name => merge(concat([for group in service.env_groups : var.spec.env_groups[group]], [try(service.env, {})])...)
  }
  resolved_env = {
    for name, env in local.merged_env : name => { for key, value in env : key => try(var.refs[value.ref], value) }
  }
  # Then as strings: a list joined with ",", null as "", a number or a bool as tostring writes it.
  env = {
    for name, env in local.resolved_env : name => merge(
      { for key, value in env : key => value == null ? "" : try(join(",", value), tostring(value)) },
      {
        # Whether Cloud Run verified the caller's ID token before the function sees it.
        TRENDREEL_INVOKER_IAM_CHECK = tostring(!local.services[name].invoker_iam_disabled)
        FUNCTION_TARGET             = "handle"
        FUNCTION_SIGNATURE_TYPE     = "http"
        FUNCTION_SOURCE             = "${var.function_source_dir}/functions/${name}/main.py"
      },
    )
  }

  # Every function's URL, without a trailing slash: a schedule's path is appended to it.
  function_urls = jsondecode(var.refs.function_urls)

  used_refs = toset(flatten([
    [for group in values(var.spec.env_groups) : [for value in values(group) : try(value.ref, [])]],
    [for service in values(var.spec.services) : [
      [for value in values(service) : try(value.ref, [])],
      [for value in values(try(service.env, {})) : try(value.ref, [])],
      [for member in service.invokers : try(member.ref, [])],
    ]],
    [for job in values(var.spec.schedules) : [for value in values(job) : try(value.ref, [])]],
  ]))
  missing_refs = setsubtract(local.used_refs, keys(var.refs))
}
