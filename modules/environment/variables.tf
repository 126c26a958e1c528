variable "name" {
  description = "Name of the environment: the prefix of every AWS name it creates. 3-28 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen. Changing it replaces the whole environment."
  type        = string

  validation {
    condition     = length(var.name) >= 3 && length(var.name) <= 28 && can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.name))
    error_message = "The name must be 3-28 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "tier" {
  description = "`dev`, `staging` or `production`: picks the defaults the provider fills in for every value left out (see Tier defaults in README.md) and the guardrails the provider checks at plan time (production: Multi-AZ RDS with backups and deletion protection, ElastiCache failover, at least 3 MSK brokers, a private EKS endpoint)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "production"], var.tier)
    error_message = "The tier must be one of \"dev\", \"staging\" or \"production\"."
  }
}

variable "tags" {
  description = "Tags for every AWS object of the environment, merged over the provider's `default_tags`. Keys starting with `mosia:` are reserved for ownership tags."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.tags) : !startswith(k, "mosia:")])
    error_message = "Tag keys starting with \"mosia:\" are reserved for Mosia's ownership tags."
  }
}

variable "customer_managed_key" {
  description = "Encrypt the environment (RDS, ElastiCache, MSK, the secrets and log groups Mosia creates, Kubernetes secrets) with its own customer-managed KMS key `alias/NAME`. Null: the tier's default (dev `false`: AWS-managed keys; staging and production `true`). Production requires a customer-managed key. Changing the key replaces each database, cache and cluster encrypted with the old one (refused in production)."
  type        = bool
  default     = null
}

variable "kms_key_arn" {
  description = "ARN of your own symmetric KMS key to use instead of the environment's own. Its key policy must allow this account through IAM and CloudWatch Logs (`logs.REGION.amazonaws.com`) for the environment's log groups."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN: arn:aws:kms:REGION:ACCOUNT:key/ID."
  }
}

variable "network" {
  description = <<-EOT
    The environment's network. Either a VPC Mosia creates, split into a public and a private subnet
    per AZ: `cidr_block` (/16 to /24, default `10.0.0.0/16`), `az_count` (1-6) and `nat_gateway`
    (`none`, `single`, `per_az`), the last two the tier's defaults when left out; the default `{}`
    takes every default. Or your own VPC: `vpc_id` with `subnet_ids` (at least 2 private subnets in
    different AZs, with a NAT route for EKS nodes), where Mosia only adds security groups. Null: no
    network, which is only valid when no service is enabled.
    Who reaches the data services (RDS, ElastiCache, MSK): the EKS cluster's security group, plus
    `allowed_cidrs` (e.g. a VPN) and `allowed_security_group_ids` (e.g. a bastion), never the whole
    VPC; without EKS, one of these is required. `vpc_endpoints`: the VPC endpoints to create
    (default by tier: `s3` in dev and staging; `s3`, `ecr.api`, `ecr.dkr`, `sts`, `secretsmanager`,
    `logs` in production).
  EOT
  type = object({
    cidr_block                 = optional(string)
    az_count                   = optional(number)
    nat_gateway                = optional(string)
    vpc_id                     = optional(string)
    subnet_ids                 = optional(list(string))
    allowed_cidrs              = optional(list(string))
    allowed_security_group_ids = optional(list(string))
    vpc_endpoints              = optional(set(string))
  })
  default = {}

  validation {
    condition     = try(var.network.allowed_cidrs == null, true) || try(alltrue([for c in var.network.allowed_cidrs : can(cidrhost(c, 0)) && !strcontains(c, ":")]), false)
    error_message = "network.allowed_cidrs must be IPv4 CIDR blocks, e.g. \"10.99.0.0/24\"."
  }

  validation {
    condition     = try(var.network.allowed_security_group_ids == null, true) || try(alltrue([for id in var.network.allowed_security_group_ids : can(regex("^sg-([0-9a-f]{8}|[0-9a-f]{17})$", id))]), false)
    error_message = "network.allowed_security_group_ids must be security group IDs: sg- and 8 or 17 hexadecimal digits."
  }

  validation {
    condition     = try(var.network.vpc_endpoints == null, true) || try(alltrue([for e in var.network.vpc_endpoints : contains(["s3", "dynamodb", "ecr.api", "ecr.dkr", "sts", "secretsmanager", "logs", "kms", "ssm", "ec2", "elasticloadbalancing", "eks", "eks-auth", "monitoring"], e)]), false)
    error_message = "network.vpc_endpoints must each be one of s3, dynamodb, ecr.api, ecr.dkr, sts, secretsmanager, logs, kms, ssm, ec2, elasticloadbalancing, eks, eks-auth, monitoring."
  }

  validation {
    condition     = try(var.network.vpc_id == null && var.network.subnet_ids == null, true) || try(var.network.vpc_id != null && length(var.network.subnet_ids) >= 2 && var.network.cidr_block == null && var.network.az_count == null && var.network.nat_gateway == null, false)
    error_message = "Your own network needs both network.vpc_id and network.subnet_ids (at least 2), and then no cidr_block, az_count or nat_gateway (those shape a VPC Mosia creates)."
  }

  validation {
    condition     = try(var.network.vpc_id == null, true) || try(can(regex("^vpc-([0-9a-f]{8}|[0-9a-f]{17})$", var.network.vpc_id)), false)
    error_message = "network.vpc_id must be a VPC ID: vpc- and 8 or 17 hexadecimal digits."
  }

  validation {
    condition     = try(var.network.subnet_ids == null, true) || try(alltrue([for id in var.network.subnet_ids : can(regex("^subnet-([0-9a-f]{8}|[0-9a-f]{17})$", id))]), false)
    error_message = "network.subnet_ids must be subnet IDs: subnet- and 8 or 17 hexadecimal digits."
  }

  validation {
    condition     = try(var.network.cidr_block == null, true) || try(can(cidrhost(var.network.cidr_block, 0)) && tonumber(split("/", var.network.cidr_block)[1]) >= 16 && tonumber(split("/", var.network.cidr_block)[1]) <= 24, false)
    error_message = "network.cidr_block must be an IPv4 CIDR block from /16 to /24, e.g. \"10.0.0.0/16\"."
  }

  validation {
    condition     = try(var.network.az_count == null, true) || try(var.network.az_count >= 1 && var.network.az_count <= 6 && floor(var.network.az_count) == var.network.az_count, false)
    error_message = "network.az_count must be a whole number from 1 to 6 (EKS, RDS and MSK need 2 or more)."
  }

  validation {
    condition     = try(var.network.nat_gateway == null, true) || try(contains(["none", "single", "per_az"], var.network.nat_gateway), false)
    error_message = "network.nat_gateway must be \"none\", \"single\" or \"per_az\"."
  }
}

variable "eks" {
  description = <<-EOT
    An EKS cluster with an IAM OIDC provider for IRSA and managed node groups. Null (the default):
    no cluster. Left-out values take the tier's defaults: `endpoint_public_access`, `enabled_log_types`,
    and per node group `instance_types`, `min_size`, `max_size` (`desired_size` defaults to
    `min_size`). `version` defaults to the version EKS picks at create. `node_groups` maps group names
    (one of `general`, `system`, `spot`, `arm`, `gpu`, `memory`, `compute`, `batch`) to their settings; default: one group `general` with the tier defaults.
    Production refuses `endpoint_public_access = true` unless `public_endpoint_acknowledged = true`.
    Access: `authentication_mode` (`API` or `API_AND_CONFIG_MAP`; tier default), `creator_admin`
    (default true; production refuses it without an `access_entries` entry of policy
    `cluster-admin` unless `creator_admin_acknowledged`), `access_entries` (name, one of `platform-admins`, `admins`, `ops`, `ci`, `deployers`, `developers`, `readers`, `security`,
    => `principal_arn`, `policy` one of cluster-admin, admin, edit, view, optional `namespaces`). `support_type`
    (`EXTENDED` default, or `STANDARD`), `secrets_encryption` (tier default) with an optional
    `kms_key_arn`, `log_retention_days` (tier default). `addons` (default: vpc-cni, kube-proxy,
    coredns, eks-pod-identity-agent, aws-ebs-csi-driver) with `addon_settings` (add-on name, one of those and `aws-efs-csi-driver`, `snapshot-controller`, `amazon-cloudwatch-observability`,
    => `version`, `configuration` JSON). Node groups also take `ami_type`, `taints`, `max_unavailable` or
    `max_unavailable_percentage`, and `scaling` (`managed` or `external`: an autoscaler owns
    `desired_size` after create). The provider's documentation describes each attribute.
  EOT
  type = object({
    version                      = optional(string)
    endpoint_public_access       = optional(bool)
    endpoint_private_access      = optional(bool, true)
    public_endpoint_acknowledged = optional(bool, false)
    public_access_cidrs          = optional(list(string))
    enabled_log_types            = optional(set(string))
    authentication_mode          = optional(string)
    creator_admin                = optional(bool, true)
    creator_admin_acknowledged   = optional(bool, false)
    support_type                 = optional(string, "EXTENDED")
    secrets_encryption           = optional(bool)
    kms_key_arn                  = optional(string)
    log_retention_days           = optional(number)
    access_entries = optional(map(object({
      principal_arn = string
      policy        = string
      namespaces    = optional(set(string))
    })), {})
    addons = optional(list(string))
    addon_settings = optional(map(object({
      version       = optional(string, "latest")
      configuration = optional(string)
    })), {})
    node_groups = optional(map(object({
      instance_types             = optional(list(string))
      min_size                   = optional(number)
      max_size                   = optional(number)
      desired_size               = optional(number)
      capacity_type              = optional(string, "ON_DEMAND")
      disk_size_gb               = optional(number, 20)
      labels                     = optional(map(string))
      ami_type                   = optional(string)
      taints                     = optional(list(object({ key = string, value = optional(string), effect = string })))
      max_unavailable            = optional(number)
      max_unavailable_percentage = optional(number)
      scaling                    = optional(string, "managed")
    })), { general = {} })
  })
  default = null

  validation {
    condition     = try(var.eks.version == null, true) || try(can(regex("^1\\.[0-9]+$", var.eks.version)), false)
    error_message = "eks.version must be a Kubernetes version 1.MINOR, e.g. \"1.31\"."
  }

  validation {
    condition     = try(var.eks.enabled_log_types == null, true) || try(alltrue([for t in var.eks.enabled_log_types : contains(["api", "audit", "authenticator", "controllerManager", "scheduler"], t)]), false)
    error_message = "eks.enabled_log_types may only contain \"api\", \"audit\", \"authenticator\", \"controllerManager\" and \"scheduler\"."
  }

  validation {
    condition     = try(var.eks.public_access_cidrs == null, true) || try(alltrue([for c in var.eks.public_access_cidrs : can(cidrhost(c, 0))]), false)
    error_message = "eks.public_access_cidrs must be IPv4 CIDR blocks."
  }

  validation {
    condition     = try(var.eks.endpoint_public_access || var.eks.endpoint_private_access, true)
    error_message = "At least one of eks.endpoint_public_access and eks.endpoint_private_access must be true."
  }

  validation {
    condition     = try(alltrue([for k, _ in var.eks.node_groups : contains(["general", "system", "spot", "arm", "gpu", "memory", "compute", "batch"], k)]), true)
    error_message = "Node group names must be one of general, system, spot, arm, gpu, memory, compute, batch (the module writes node_group blocks with literal labels; see README.md)."
  }

  validation {
    condition = try(alltrue([for g in values(var.eks.node_groups) : alltrue([
      g.min_size == null || try(g.min_size >= 0 && g.min_size <= 450, false),
      g.max_size == null || try(g.max_size >= 1 && g.max_size <= 450, false),
      g.desired_size == null || try(g.desired_size >= 0 && g.desired_size <= 450, false),
      g.min_size == null || g.max_size == null || try(g.max_size >= g.min_size, false),
      g.desired_size == null || g.min_size == null || try(g.desired_size >= g.min_size, false),
      g.desired_size == null || g.max_size == null || try(g.desired_size <= g.max_size, false),
    ])]), true)
    error_message = "Node group sizes: min_size 0-450, max_size 1-450, desired_size 0-450, with min_size <= desired_size <= max_size."
  }

  validation {
    condition     = try(var.eks.authentication_mode == null, true) || try(contains(["API", "API_AND_CONFIG_MAP"], var.eks.authentication_mode), false)
    error_message = "eks.authentication_mode must be \"API\" or \"API_AND_CONFIG_MAP\"."
  }

  validation {
    condition     = try(contains(["STANDARD", "EXTENDED"], var.eks.support_type), true)
    error_message = "eks.support_type must be \"STANDARD\" or \"EXTENDED\"."
  }

  validation {
    condition     = try(alltrue([for e in values(var.eks.access_entries) : contains(["cluster-admin", "admin", "edit", "view"], e.policy) && can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", e.principal_arn))]), true)
    error_message = "Each eks.access_entries entry needs principal_arn, an IAM role or user ARN, and policy \"cluster-admin\", \"admin\", \"edit\" or \"view\"."
  }

  validation {
    condition     = try(alltrue([for k, _ in var.eks.access_entries : contains(["platform-admins", "admins", "ops", "ci", "deployers", "developers", "readers", "security"], k)]), true)
    error_message = "Access entry names must be one of platform-admins, admins, ops, ci, deployers, developers, readers, security (the module writes access_entry blocks with literal labels; see README.md)."
  }

  validation {
    condition     = try(alltrue([for k, _ in var.eks.addon_settings : contains(["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver", "aws-efs-csi-driver", "snapshot-controller", "amazon-cloudwatch-observability"], k)]), true)
    error_message = "addon_settings keys must be one of vpc-cni, kube-proxy, coredns, eks-pod-identity-agent, aws-ebs-csi-driver, aws-efs-csi-driver, snapshot-controller, amazon-cloudwatch-observability (the module writes addon blocks with literal labels; see README.md)."
  }

  validation {
    condition     = try(alltrue([for g in values(var.eks.node_groups) : contains(["managed", "external"], g.scaling)]), true)
    error_message = "Node group scaling must be \"managed\" or \"external\"."
  }

  validation {
    condition     = try(alltrue([for g in values(var.eks.node_groups) : contains(["ON_DEMAND", "SPOT"], g.capacity_type) && g.disk_size_gb >= 20 && g.disk_size_gb <= 16384]), true)
    error_message = "Node group capacity_type must be \"ON_DEMAND\" or \"SPOT\", and disk_size_gb 20 to 16384."
  }
}

variable "rds" {
  description = <<-EOT
    An RDS PostgreSQL instance (no read replicas: RDS refuses them while Secrets Manager keeps the master password). Null (the default): no database. Left-out
    values take the tier's defaults: `instance_class`, `allocated_storage_gb`, `multi_az`,
    `backup_retention_days`, `deletion_protection`, `skip_final_snapshot`. `engine_version` (major
    `16` or `16.4`, majors 13-18) defaults to RDS's default. The master password is generated and kept
    by RDS in Secrets Manager (see the `rds_master_user_secret_arn` output); it never enters state.
    `snapshot_identifier` (a DB snapshot name or ARN, e.g. another environment's final snapshot)
    creates the database from that snapshot; it is only used when the database is created.
    `maintenance_window` (`ddd:hh24:mi-ddd:hh24:mi`, lowercase days) and `backup_window`
    (`hh24:mi-hh24:mi`), UTC, must not overlap; left out, the tier's (dev: RDS picks them).
    `apply_immediately` (default: true in dev and staging, false in production) applies class,
    storage, Multi-AZ and minor version changes now; false leaves them pending until
    `maintenance_window` (see the `pending_changes` output). Production refuses an instance class
    change applied at once unless `maintenance_acknowledged = true` and `timeouts.update` are set.
    `auto_minor_version_upgrade` (default true) lets RDS apply minor versions in the window.
    `major_upgrade` (`blue_green`, default in production, or `in_place`) says how a new major
    `engine_version` is reached; blue/green needs `rds.logical_replication = "1"` in `parameters`,
    in effect, and keeps the old instance `old_instance_retention_hours` (production: 24).
  EOT
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
    snapshot_identifier       = optional(string)
    master_username           = optional(string, "mosia")
    database_name             = optional(string)
    # rds-db:connect for workloads with rds = "read_write".
    iam_database_authentication = optional(bool, true)
    # UTC; tier defaults (dev: RDS's choice).
    maintenance_window = optional(string)
    backup_window      = optional(string)
    # Tier default: true in dev and staging, false in production.
    apply_immediately          = optional(bool)
    maintenance_acknowledged   = optional(bool, false)
    auto_minor_version_upgrade = optional(bool, true)
    # Tier default: blue_green (kept 24 hours) in production, in_place elsewhere.
    major_upgrade                = optional(string)
    old_instance_retention_hours = optional(number)
  })
  default = null

  validation {
    condition     = try(var.rds.maintenance_window == null, true) || try(can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.rds.maintenance_window)), false)
    error_message = "rds.maintenance_window must be ddd:hh24:mi-ddd:hh24:mi in UTC with lowercase days, e.g. \"sun:03:00-sun:04:00\"."
  }

  validation {
    condition     = try(var.rds.backup_window == null, true) || try(can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.rds.backup_window)), false)
    error_message = "rds.backup_window must be hh24:mi-hh24:mi in UTC, e.g. \"01:00-02:00\"."
  }

  validation {
    condition     = try(var.rds.engine_version == null, true) || try(can(regex("^1[3-8](\\.[0-9]+)?$", var.rds.engine_version)), false)
    error_message = "rds.engine_version must be a PostgreSQL major (e.g. \"16\") or major.minor (e.g. \"16.4\"), majors 13 to 18."
  }

  validation {
    condition     = try(var.rds.instance_class == null, true) || try(can(regex("^db\\.[a-z0-9-]+\\.[a-z0-9]+$", var.rds.instance_class)), false)
    error_message = "rds.instance_class must look like db.FAMILY.SIZE, e.g. \"db.t4g.medium\"."
  }

  validation {
    condition     = try(var.rds.allocated_storage_gb == null, true) || try(var.rds.allocated_storage_gb >= 20 && var.rds.allocated_storage_gb <= 65536, false)
    error_message = "rds.allocated_storage_gb must be from 20 to 65536."
  }

  validation {
    condition     = try(var.rds.max_allocated_storage_gb == null, true) || try(var.rds.max_allocated_storage_gb >= 22 && var.rds.max_allocated_storage_gb <= 65536, false)
    error_message = "rds.max_allocated_storage_gb must be from 22 to 65536 (and at least 10% above allocated_storage_gb)."
  }

  validation {
    condition     = try(var.rds.backup_retention_days == null, true) || try(var.rds.backup_retention_days >= 0 && var.rds.backup_retention_days <= 35, false)
    error_message = "rds.backup_retention_days must be from 0 to 35 (0 turns backups off)."
  }

  validation {
    condition     = try(var.rds.read_replicas == 0, true)
    error_message = "rds.read_replicas must be 0: RDS refuses read replicas of an instance whose master password Secrets Manager manages, and Mosia always keeps it there."
  }

  validation {
    condition     = var.rds == null ? true : can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.rds.master_username))
    error_message = "rds.master_username must be 1-63 letters, digits or underscores, starting with a letter."
  }

  validation {
    condition     = try(var.rds.database_name == null, true) || try(can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.rds.database_name)), false)
    error_message = "rds.database_name must be 1-63 letters, digits or underscores, starting with a letter."
  }

  validation {
    condition     = try(var.rds.snapshot_identifier == null, true) || try(can(regex("^(arn:aws[a-z-]*:rds:[a-z0-9-]+:[0-9]{12}:snapshot:)?(rds:)?[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$", var.rds.snapshot_identifier)), false)
    error_message = "rds.snapshot_identifier must be a DB snapshot name (letters, digits and single hyphens, starting with a letter; rds: first for an automated snapshot) or a DB snapshot ARN."
  }

  validation {
    condition     = try(var.rds.final_snapshot_identifier == null, true) || try(length(var.rds.final_snapshot_identifier) <= 255 && can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.rds.final_snapshot_identifier)), false)
    error_message = "rds.final_snapshot_identifier must be 1-255 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "elasticache" {
  description = <<-EOT
    An ElastiCache replication group (one shard, cluster mode off). Null (the default): no cache.
    Left-out values take the tier's defaults: `node_type`, `replicas`. `automatic_failover` defaults to
    `replicas >= 1` and `multi_az` to `automatic_failover`; `engine_version` to ElastiCache's default.
    Production requires at least 1 replica with automatic failover. `authentication`: `iam` (default:
    one IAM-authenticated user per workload with cache access, needs `transit_encryption`), `token`
    (an AUTH token kept only in the Secrets Manager secret NAME-cache-auth, needs
    `transit_encryption`) or `none` (refused in production). `maintenance_window`
    (`ddd:hh24:mi-ddd:hh24:mi`, lowercase days, UTC, 60 minutes to 24 hours); left out, the tier's
    (dev: ElastiCache picks it). `parameters` (e.g. `{ "maxmemory-policy" = "allkeys-lru" }`, needs
    `engine_version`) live in the environment's own parameter group NAME-cache-FAMILY.
    `apply_immediately` (default: true in dev and staging, false in production): node type changes
    and upgrades within the family wait for `maintenance_window` when false. `skip_final_snapshot`
    (default: true in dev, false in staging and production): destroy deletes the cache without the
    final snapshot NAME-cache-final-UNIXTIME.
  EOT
  type = object({
    authentication     = optional(string, "iam")
    engine             = optional(string, "redis")
    engine_version     = optional(string)
    node_type          = optional(string)
    replicas           = optional(number)
    automatic_failover = optional(bool)
    multi_az           = optional(bool)
    at_rest_encryption = optional(bool, true)
    transit_encryption = optional(bool, true)
    # UTC, at least 60 minutes; tier default (dev: ElastiCache's choice).
    maintenance_window  = optional(string)
    parameters          = optional(map(string))
    apply_immediately   = optional(bool)
    skip_final_snapshot = optional(bool)
  })
  default = null


  validation {
    condition     = try(var.elasticache.maintenance_window == null, true) || try(can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.elasticache.maintenance_window)), false)
    error_message = "elasticache.maintenance_window must be ddd:hh24:mi-ddd:hh24:mi in UTC with lowercase days, e.g. \"sun:04:00-sun:05:00\"."
  }

  validation {
    condition     = try(contains(["iam", "token", "none"], var.elasticache.authentication), true)
    error_message = "elasticache.authentication must be \"iam\", \"token\" or \"none\"."
  }

  validation {
    condition     = try(contains(["redis", "valkey"], var.elasticache.engine), true)
    error_message = "elasticache.engine must be \"redis\" or \"valkey\"."
  }

  validation {
    condition     = try(var.elasticache.engine_version == null, true) || try(can(regex("^[0-9]+\\.[0-9]+$", var.elasticache.engine_version)), false)
    error_message = "elasticache.engine_version must be MAJOR.MINOR: Redis OSS 6.x or 7.x, Valkey 7.x or 8.x."
  }

  validation {
    condition     = try(var.elasticache.node_type == null, true) || try(can(regex("^cache\\.[a-z0-9-]+\\.[a-z0-9]+$", var.elasticache.node_type)), false)
    error_message = "elasticache.node_type must look like cache.FAMILY.SIZE, e.g. \"cache.t4g.small\"."
  }

  validation {
    condition     = try(var.elasticache.replicas == null, true) || try(var.elasticache.replicas >= 0 && var.elasticache.replicas <= 5, false)
    error_message = "elasticache.replicas must be from 0 to 5."
  }
}

variable "msk" {
  description = <<-EOT
    An MSK (Apache Kafka) provisioned cluster, brokers spread over up to 3 of the network's AZs.
    Null (the default): no cluster. `kafka_version` is required (e.g. `3.6.0`, `3.7.x.kraft`).
    Left-out values take the tier's defaults: `broker_instance_type`, `storage_gb`, `brokers_per_az`
    (production: enough for 3 brokers). Clients authenticate with IAM and TLS in transit by default.
    `configuration` (broker `server.properties`, e.g. `{ "log.retention.hours" = "72" }`) is merged
    over the tier's (replication factor and `min.insync.replicas` by tier, topic auto-creation off
    outside dev) into the MSK configuration NAME-kafka; a change adds a revision applied in place.
    `storage_autoscaling_max_gb` turns on storage autoscaling (disk use target 60%) up to that many
    GB per broker; storage it grows is kept, not drift. `scram = true` adds SASL/SCRAM: each workload
    with Kafka access gets a user whose password is in the secret AmazonMSK_NAME-wl-WORKLOAD (needs a
    customer-managed key).
  EOT
  type = object({
    kafka_version                  = string
    broker_instance_type           = optional(string)
    brokers_per_az                 = optional(number)
    storage_gb                     = optional(number)
    client_authentication          = optional(string, "iam")
    scram                          = optional(bool, false)
    encryption_in_transit          = optional(string, "TLS")
    tls_certificate_authority_arns = optional(list(string))
    configuration                  = optional(map(string))
    storage_autoscaling_max_gb     = optional(number)
  })
  default = null

  validation {
    condition     = var.msk == null ? true : can(regex("^(2\\.8\\.|3\\.|4\\.)", var.msk.kafka_version))
    error_message = "msk.kafka_version must be an Apache Kafka version MSK offers: 2.8.x, 3.x or 4.x, e.g. \"3.6.0\"."
  }

  validation {
    condition     = try(var.msk.broker_instance_type == null, true) || try(can(regex("^kafka\\.[a-z0-9-]+\\.[a-z0-9]+$", var.msk.broker_instance_type)), false)
    error_message = "msk.broker_instance_type must look like kafka.FAMILY.SIZE, e.g. \"kafka.m7g.large\"."
  }

  validation {
    condition     = try(var.msk.brokers_per_az == null, true) || try(var.msk.brokers_per_az >= 1 && var.msk.brokers_per_az <= 10, false)
    error_message = "msk.brokers_per_az must be from 1 to 10."
  }

  validation {
    condition     = try(var.msk.storage_gb == null, true) || try(var.msk.storage_gb >= 1 && var.msk.storage_gb <= 16384, false)
    error_message = "msk.storage_gb must be from 1 to 16384."
  }

  validation {
    condition     = try(contains(["iam", "tls", "unauthenticated"], var.msk.client_authentication), true)
    error_message = "msk.client_authentication must be \"iam\", \"tls\" or \"unauthenticated\"."
  }

  validation {
    condition     = try(contains(["TLS", "TLS_PLAINTEXT", "PLAINTEXT"], var.msk.encryption_in_transit), true)
    error_message = "msk.encryption_in_transit must be \"TLS\", \"TLS_PLAINTEXT\" or \"PLAINTEXT\"."
  }

  validation {
    condition     = try(var.msk.client_authentication != "tls" || length(coalesce(var.msk.tls_certificate_authority_arns, [])) > 0, true)
    error_message = "msk.client_authentication = \"tls\" needs tls_certificate_authority_arns."
  }
}

variable "timeouts" {
  description = "Time limits for the whole environment's create, update and delete, e.g. `90m` or `1h30m` (at most 24h). Null values take the provider's defaults."
  type = object({
    create = optional(string)
    update = optional(string)
    delete = optional(string)
  })
  default = null

  validation {
    condition     = try(alltrue([for t in [var.timeouts.create, var.timeouts.update, var.timeouts.delete] : t == null || can(regex("^([0-9]+h)?([0-9]+m)?([0-9]+s)?$", t)) && t != ""]), true)
    error_message = "Timeouts must be durations such as \"90m\", \"1h30m\" or \"45s\"."
  }
}

variable "workloads" {
  description = <<-EOT
    Application identities, by workload name (becomes the IAM role `NAME-wl-WORKLOAD` and, with
    `irsa`, the service account annotation). Each: `namespace` (required), `service_account`
    (default: the workload's name), `identity` (`pod_identity` default, or `irsa`), `rds` (`none`,
    `read_secret`, `read_write`), `elasticache` (`none`, `read_only`, `read_write`), `msk`
    (`{ topics, groups, access }`, access `read`, `write` or `read_write`), `secrets_manager_arns`,
    `s3_buckets`, `policy_arns`. The provider generates each role's policy from the environment's
    ARNs; see the provider docs for the IAM actions each level grants.
  EOT
  type = map(object({
    namespace       = string
    service_account = optional(string)
    identity        = optional(string)
    rds             = optional(string)
    elasticache     = optional(string)
    msk = optional(object({
      topics = list(string)
      groups = optional(list(string))
      access = optional(string)
    }))
    secrets_manager_arns = optional(list(string))
    s3_buckets           = optional(list(string))
    policy_arns          = optional(list(string))
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for k, w in var.workloads : can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", w.namespace)) && can(regex("^[a-z](-?[a-z0-9])*$", k))])
    error_message = "Namespaces must be DNS labels (lowercase letters, digits and hyphens, starting and ending with a letter or digit); workload names (their IAM role and cache user) lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }

  validation {
    condition     = alltrue([for w in values(var.workloads) : contains(["pod_identity", "irsa"], coalesce(w.identity, "pod_identity"))])
    error_message = "A workload's identity must be \"pod_identity\" or \"irsa\"."
  }

  validation {
    condition     = alltrue([for w in values(var.workloads) : contains(["none", "read_secret", "read_write"], coalesce(w.rds, "none")) && contains(["none", "read_only", "read_write"], coalesce(w.elasticache, "none"))])
    error_message = "A workload's rds must be none, read_secret or read_write; its elasticache none, read_only or read_write."
  }

  validation {
    condition     = alltrue([for w in values(var.workloads) : w.msk == null || try(contains(["read", "write", "read_write"], coalesce(w.msk.access, "read_write")) && alltrue([for p in concat(w.msk.topics, coalesce(w.msk.groups, [])) : can(regex("^[A-Za-z0-9._*-]{1,249}$", p))]), false)])
    error_message = "A workload's msk.access must be read, write or read_write, and its topic and group patterns letters, digits, '.', '_', '-' and '*'."
  }
}

variable "monitoring" {
  description = <<-EOT
    Where the environment says it is in trouble. Null (the default): the tier's defaults (alarms,
    database insights and log exports off in dev, on in staging and production). `alert_emails`
    are subscribed to the alert topic NAME-alerts (each confirms by email); `sns_topic_arn` sends
    alerts to your own topic instead. `alarms` is the per-part alarm set (names NAME-PART-METRIC);
    `thresholds` overrides thresholds by name (see the resource docs' table). `database_insights`:
    RDS Performance Insights (plus enhanced monitoring in production). `log_exports`: database,
    broker and cache logs and VPC flow logs to CloudWatch Logs, kept `log_retention_days`.
  EOT
  type = object({
    alert_emails       = optional(list(string))
    sns_topic_arn      = optional(string)
    alarms             = optional(bool)
    thresholds         = optional(map(number))
    database_insights  = optional(bool)
    log_exports        = optional(bool)
    log_retention_days = optional(number)
  })
  default = null

  validation {
    condition     = alltrue([for e in try(coalesce(var.monitoring.alert_emails, []), []) : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "monitoring.alert_emails must be email addresses, e.g. \"oncall@example.com\"."
  }

  validation {
    condition     = try(var.monitoring.sns_topic_arn == null, true) || try(can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.monitoring.sns_topic_arn)), false)
    error_message = "monitoring.sns_topic_arn must be an SNS topic ARN, arn:aws:sns:REGION:ACCOUNT:NAME."
  }
}

variable "budget" {
  description = <<-EOT
    An AWS Budgets monthly cost budget NAME-monthly, filtered to the environment's tag, notifying
    the alert topic. Null (the default): no budget; `{}` takes the defaults. `monthly_limit_usd`
    defaults to the plan's estimate x 1.25, rounded up (it follows the estimate).
    `alert_at_percent`: actual spend thresholds (default 80 and 100); `forecast_alert`: notify
    when the forecast passes 100% (default true).
  EOT
  type = object({
    monthly_limit_usd = optional(number)
    alert_at_percent  = optional(list(number))
    forecast_alert    = optional(bool)
  })
  default = null

  validation {
    condition     = try(var.budget.monthly_limit_usd == null, true) || try(var.budget.monthly_limit_usd > 0, false)
    error_message = "budget.monthly_limit_usd must be more than 0."
  }
}

variable "backup" {
  description = <<-EOT
    Backups. Null (the default): the tier's defaults. `plan`: an AWS Backup vault NAME and daily plan
    NAME-daily for the database (default: false in dev, true in staging and production), keeping
    recovery points `retention_days` (1-36500, default 35); `copy_to_region` also copies each one to
    a vault NAME in that Region. `cache_snapshot_retention_days` (0-35; default 0 in dev, 7 in
    staging, 14 in production): ElastiCache's daily automatic snapshots of the cache.
  EOT
  type = object({
    plan                          = optional(bool)
    retention_days                = optional(number)
    copy_to_region                = optional(string)
    cache_snapshot_retention_days = optional(number)
  })
  default = null

  validation {
    condition     = try(var.backup.retention_days == null, true) || try(var.backup.retention_days >= 1 && var.backup.retention_days <= 36500, false)
    error_message = "backup.retention_days must be from 1 to 36500."
  }

  validation {
    condition     = try(var.backup.copy_to_region == null, true) || try(can(regex("^[a-z]+(-[a-z]+)+-[0-9]+$", var.backup.copy_to_region)), false)
    error_message = "backup.copy_to_region must be an AWS Region name such as \"us-west-2\"."
  }

  validation {
    condition     = try(var.backup.cache_snapshot_retention_days == null, true) || try(var.backup.cache_snapshot_retention_days >= 0 && var.backup.cache_snapshot_retention_days <= 35, false)
    error_message = "backup.cache_snapshot_retention_days must be from 0 to 35 (0: no automatic snapshots)."
  }
}
