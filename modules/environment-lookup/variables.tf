variable "name" {
  description = "Name of the environment to read: the `name` of its `mosia_environment` (e.g. `acme-staging`). The environment must exist in the provider's region; reading fails otherwise."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z](-?[a-z0-9])*$", var.name)) && length(var.name) >= 3 && length(var.name) <= 28
    error_message = "name must be 3-28 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}
