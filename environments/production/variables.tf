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

variable "network" {
  description = "The VPC: `cidr_block`, `az_count`, `nat_gateway` (see modules/environment; left-out values take the tier presets)."
  type = object({
    cidr_block  = optional(string)
    az_count    = optional(number)
    nat_gateway = optional(string)
  })
  default = {}
}

variable "eks" {
  description = "The EKS cluster and its node groups, or null for none (see modules/environment)."
  type = object({
    version                      = optional(string)
    endpoint_public_access       = optional(bool)
    endpoint_private_access      = optional(bool, true)
    public_endpoint_acknowledged = optional(bool, false)
    public_access_cidrs          = optional(list(string))
    enabled_log_types            = optional(set(string))
    node_groups = optional(map(object({
      instance_types = optional(list(string))
      min_size       = optional(number)
      max_size       = optional(number)
      desired_size   = optional(number)
      capacity_type  = optional(string, "ON_DEMAND")
      disk_size_gb   = optional(number, 20)
      labels         = optional(map(string))
    })), { general = {} })
  })
  default = null
}

variable "rds" {
  description = "The RDS PostgreSQL instance, or null for none (see modules/environment)."
  type = object({
    engine_version            = optional(string)
    instance_class            = optional(string)
    allocated_storage_gb      = optional(number)
    max_allocated_storage_gb  = optional(number)
    multi_az                  = optional(bool)
    backup_retention_days     = optional(number)
    deletion_protection       = optional(bool)
    read_replicas             = optional(number, 0)
    parameters                = optional(map(string))
    skip_final_snapshot       = optional(bool)
    final_snapshot_identifier = optional(string)
    master_username           = optional(string, "mosia")
    database_name             = optional(string)
  })
  default = null
}

variable "elasticache" {
  description = "The ElastiCache replication group, or null for none (see modules/environment)."
  type = object({
    engine             = optional(string, "redis")
    engine_version     = optional(string)
    node_type          = optional(string)
    replicas           = optional(number)
    automatic_failover = optional(bool)
    multi_az           = optional(bool)
    at_rest_encryption = optional(bool, true)
    transit_encryption = optional(bool, true)
  })
  default = null
}

variable "msk" {
  description = "The MSK cluster, or null for none (see modules/environment)."
  type = object({
    kafka_version                  = string
    broker_instance_type           = optional(string)
    brokers_per_az                 = optional(number)
    storage_gb                     = optional(number)
    client_authentication          = optional(string, "iam")
    encryption_in_transit          = optional(string, "TLS")
    tls_certificate_authority_arns = optional(list(string))
  })
  default = null
}
