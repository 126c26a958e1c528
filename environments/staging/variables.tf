variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "eu-central-1"
}

variable "endpoint" {
  description = "One endpoint URL for every AWS service, for local runs against the emulator or LocalStack (e.g. `http://127.0.0.1:4566`). Null (the default) for real AWS."
  type        = string
  default     = null
}

variable "name" {
  description = "Name of the environment, the prefix of every AWS name it creates (see modules/environment)."
  type        = string
}

variable "tags" {
  description = "Tags for every AWS object of the environment."
  type        = map(string)
  default     = {}
}

# The service settings are passed to modules/environment as they are: its variables declare
# their shape, defaults and validation, so these roots cannot fall behind the module.

variable "network" {
  description = "The network: a VPC Mosia creates (`cidr_block`, `az_count`, `nat_gateway`) or your own (`vpc_id`, `subnet_ids`). Shape and defaults: the `network` input of modules/environment."
  type        = any
  default     = {}
}

variable "eks" {
  description = "The EKS cluster and its node groups, or null for none. Shape and defaults: the `eks` input of modules/environment."
  type        = any
  default     = null
}

variable "rds" {
  description = "The RDS PostgreSQL instance, or null for none. Shape and defaults: the `rds` input of modules/environment."
  type        = any
  default     = null
}

variable "elasticache" {
  description = "The ElastiCache replication group, or null for none. Shape and defaults: the `elasticache` input of modules/environment."
  type        = any
  default     = null
}

variable "msk" {
  description = "The MSK cluster, or null for none. Shape and defaults: the `msk` input of modules/environment."
  type        = any
  default     = null
}

variable "workloads" {
  description = "Application identities, by workload name: an IAM role with a generated least-privilege policy each, and the connection settings. Shape and defaults: the `workloads` input of modules/environment."
  type        = any
  default     = {}
}

variable "monitoring" {
  description = "Alert topic, email subscriptions, alarms, insights and log exports. Shape and defaults: the `monitoring` input of modules/environment (null: the tier's defaults)."
  type        = any
  default     = null
}

variable "budget" {
  description = "The AWS Budgets cost budget (`{}`: the plan's estimate x 1.25, alerts at 80 and 100% and on the forecast). Shape: the `budget` input of modules/environment; null: no budget."
  type        = any
  default     = {}
}

variable "backup" {
  description = "Backups: the AWS Backup plan of the database (`copy_to_region` for copies in another Region) and the cache's automatic snapshots. Shape and defaults: the `backup` input of modules/environment (null: the tier's defaults)."
  type        = any
  default     = null
}
