variable "spec" {
  description = "infra/services.yaml, yamldecode'd: env_groups, services, schedules."
  type        = any
}

variable "refs" {
  description = "The value of every {ref: NAME} the spec may use, keyed by NAME (the vocabulary is in the header of services.yaml). Strings for env use; lists, bools and numbers where a field needs them; null for an unset variable."
  type        = any
}

variable "function_sizes" {
  description = "Per-function overrides of cpu, memory, concurrency and instance counts (the root's var.function_sizes); null attributes keep the spec's value."
  type = map(object({
    cpu           = optional(string)
    memory        = optional(string)
    concurrency   = optional(number)
    min_instances = optional(number)
    max_instances = optional(number)
  }))
  default = {}
}

variable "function_source_dir" {
  description = "Where the repository lives inside the image: FUNCTION_SOURCE is <this>/functions/<name>/main.py."
  type        = string
}
