variable "region" {
  description = "AWS region of the state bucket and lock table."
  type        = string
  default     = "eu-central-1"
}

variable "endpoint" {
  description = "One endpoint URL for every AWS service (LocalStack or Mosia's emulator, e.g. `http://127.0.0.1:4566`). Null for real AWS."
  type        = string
  default     = null
}

variable "bucket" {
  description = "Name of the S3 bucket that holds every environment's state (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket))
    error_message = "The bucket must be 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "lock_table" {
  description = "Optional DynamoDB lock table (for Terraform older than 1.10). Null: environments lock with S3 lock files (`use_lockfile = true`)."
  type        = string
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which superseded state versions are deleted."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650
    error_message = "Must be between 1 and 3650 days."
  }
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete the bucket with every state version in it. Keep false outside test setups."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the bucket and the lock table (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}
