locals {
  # Tier presets: what this module fills in for every value the caller leaves out. They mirror the
  # provider's own tier defaults (`terraform providers schema -json`, mosia_environment), so the
  # plan shows every size explicitly; any value set in var.network/eks/rds/elasticache/msk wins.
  tier_presets = {
    dev = {
      az_count                   = 2
      nat_gateway                = "single"
      eks_endpoint_public_access = true
      eks_enabled_log_types      = []
      node_instance_types        = ["t3.medium"]
      node_min_size              = 1
      node_max_size              = 2
      rds_instance_class         = "db.t4g.micro"
      rds_allocated_storage_gb   = 20
      rds_multi_az               = false
      rds_backup_retention_days  = 1
      rds_deletion_protection    = false
      rds_skip_final_snapshot    = true
      cache_node_type            = "cache.t4g.micro"
      cache_replicas             = 0
      msk_broker_instance_type   = "kafka.t3.small"
      msk_min_brokers            = 1
      msk_storage_gb             = 10
    }
    staging = {
      az_count                   = 2
      nat_gateway                = "single"
      eks_endpoint_public_access = true
      eks_enabled_log_types      = ["api", "audit"]
      node_instance_types        = ["m6i.large"]
      node_min_size              = 2
      node_max_size              = 4
      rds_instance_class         = "db.t4g.medium"
      rds_allocated_storage_gb   = 50
      rds_multi_az               = false
      rds_backup_retention_days  = 7
      rds_deletion_protection    = false
      rds_skip_final_snapshot    = false
      cache_node_type            = "cache.t4g.small"
      cache_replicas             = 1
      msk_broker_instance_type   = "kafka.m7g.large"
      msk_min_brokers            = 1
      msk_storage_gb             = 100
    }
    production = {
      az_count                   = 3
      nat_gateway                = "per_az"
      eks_endpoint_public_access = false
      eks_enabled_log_types      = ["api", "audit", "authenticator"]
      node_instance_types        = ["m6i.large"]
      node_min_size              = 3
      node_max_size              = 6
      rds_instance_class         = "db.m7g.large"
      rds_allocated_storage_gb   = 100
      rds_multi_az               = true
      rds_backup_retention_days  = 14
      rds_deletion_protection    = true
      rds_skip_final_snapshot    = false
      cache_node_type            = "cache.m7g.large"
      cache_replicas             = 1
      msk_broker_instance_type   = "kafka.m7g.large"
      msk_min_brokers            = 3
      msk_storage_gb             = 500
    }
  }
  preset = local.tier_presets[var.tier]

  # AZs of the network (configured or preset); MSK uses at most 3, and its broker count must be
  # a multiple of them.
  network_azs = var.network == null ? 0 : coalesce(var.network.az_count, local.preset.az_count)
  msk_azs     = max(1, min(local.network_azs, 3))

  # Node groups with the presets filled in. max_size's preset is raised to min_size when that
  # is larger, as the provider does; desired_size null means min_size (the provider's default).
  node_groups = var.eks == null ? {} : {
    for name, g in var.eks.node_groups : name => {
      instance_types = g.instance_types != null ? g.instance_types : local.preset.node_instance_types
      min_size       = coalesce(g.min_size, local.preset.node_min_size)
      max_size       = coalesce(g.max_size, max(local.preset.node_max_size, coalesce(g.min_size, local.preset.node_min_size)))
      desired_size   = g.desired_size
      capacity_type  = g.capacity_type
      disk_size_gb   = g.disk_size_gb
      labels         = g.labels
    }
  }
}

resource "mosia_environment" "this" {
  name = var.name
  tier = var.tier
  tags = var.tags

  # A VPC Mosia creates. Bringing your own VPC (vpc_id, subnet_ids) is left out for now: the
  # provider reads an unknown vpc_id (every module variable is unknown during `terraform
  # validate`) as "your own network" and then refuses cidr_block, az_count and nat_gateway.
  dynamic "network" {
    for_each = var.network == null ? [] : [var.network]
    content {
      cidr_block  = network.value.cidr_block
      az_count    = coalesce(network.value.az_count, local.preset.az_count)
      nat_gateway = coalesce(network.value.nat_gateway, local.preset.nat_gateway)
    }
  }

  dynamic "eks" {
    for_each = var.eks == null ? [] : [var.eks]
    content {
      version                      = eks.value.version
      endpoint_public_access       = eks.value.endpoint_public_access != null ? eks.value.endpoint_public_access : local.preset.eks_endpoint_public_access
      endpoint_private_access      = eks.value.endpoint_private_access
      public_endpoint_acknowledged = eks.value.public_endpoint_acknowledged
      public_access_cidrs          = eks.value.public_access_cidrs
      enabled_log_types            = eks.value.enabled_log_types != null ? eks.value.enabled_log_types : toset(local.preset.eks_enabled_log_types)

      # One dynamic block per allowed group name: `node_group` is a labeled (map) block, and a
      # dynamic block's label must be known when the configuration is validated, when every
      # module variable is still unknown. Literal labels keep `terraform validate` working.
      dynamic "node_group" {
        for_each = { for k, g in local.node_groups : k => g if k == "general" }
        labels   = ["general"]
        content {
          instance_types = node_group.value.instance_types
          min_size       = node_group.value.min_size
          max_size       = node_group.value.max_size
          desired_size   = node_group.value.desired_size
          capacity_type  = node_group.value.capacity_type
          disk_size_gb   = node_group.value.disk_size_gb
          labels         = node_group.value.labels
        }
      }

      dynamic "node_group" {
        for_each = { for k, g in local.node_groups : k => g if k == "system" }
        labels   = ["system"]
        content {
          instance_types = node_group.value.instance_types
          min_size       = node_group.value.min_size
          max_size       = node_group.value.max_size
          desired_size   = node_group.value.desired_size
          capacity_type  = node_group.value.capacity_type
          disk_size_gb   = node_group.value.disk_size_gb
          labels         = node_group.value.labels
        }
      }

      dynamic "node_group" {
        for_each = { for k, g in local.node_groups : k => g if k == "spot" }
        labels   = ["spot"]
        content {
          instance_types = node_group.value.instance_types
          min_size       = node_group.value.min_size
          max_size       = node_group.value.max_size
          desired_size   = node_group.value.desired_size
          capacity_type  = node_group.value.capacity_type
          disk_size_gb   = node_group.value.disk_size_gb
          labels         = node_group.value.labels
        }
      }

      dynamic "node_group" {
        for_each = { for k, g in local.node_groups : k => g if k == "arm" }
        labels   = ["arm"]
        content {
          instance_types = node_group.value.instance_types
          min_size       = node_group.value.min_size
          max_size       = node_group.value.max_size
          desired_size   = node_group.value.desired_size
          capacity_type  = node_group.value.capacity_type
          disk_size_gb   = node_group.value.disk_size_gb
          labels         = node_group.value.labels
        }
      }

      dynamic "node_group" {
        for_each = { for k, g in local.node_groups : k => g if k == "gpu" }
        labels   = ["gpu"]
        content {
          instance_types = node_group.value.instance_types
          min_size       = node_group.value.min_size
          max_size       = node_group.value.max_size
          desired_size   = node_group.value.desired_size
          capacity_type  = node_group.value.capacity_type
          disk_size_gb   = node_group.value.disk_size_gb
          labels         = node_group.value.labels
        }
      }

      dynamic "node_group" {
        for_each = { for k, g in local.node_groups : k => g if k == "memory" }
        labels   = ["memory"]
        content {
          instance_types = node_group.value.instance_types
          min_size       = node_group.value.min_size
          max_size       = node_group.value.max_size
          desired_size   = node_group.value.desired_size
          capacity_type  = node_group.value.capacity_type
          disk_size_gb   = node_group.value.disk_size_gb
          labels         = node_group.value.labels
        }
      }

      dynamic "node_group" {
        for_each = { for k, g in local.node_groups : k => g if k == "compute" }
        labels   = ["compute"]
        content {
          instance_types = node_group.value.instance_types
          min_size       = node_group.value.min_size
          max_size       = node_group.value.max_size
          desired_size   = node_group.value.desired_size
          capacity_type  = node_group.value.capacity_type
          disk_size_gb   = node_group.value.disk_size_gb
          labels         = node_group.value.labels
        }
      }

      dynamic "node_group" {
        for_each = { for k, g in local.node_groups : k => g if k == "batch" }
        labels   = ["batch"]
        content {
          instance_types = node_group.value.instance_types
          min_size       = node_group.value.min_size
          max_size       = node_group.value.max_size
          desired_size   = node_group.value.desired_size
          capacity_type  = node_group.value.capacity_type
          disk_size_gb   = node_group.value.disk_size_gb
          labels         = node_group.value.labels
        }
      }
    }
  }

  dynamic "rds" {
    for_each = var.rds == null ? [] : [var.rds]
    content {
      engine_version            = rds.value.engine_version
      instance_class            = coalesce(rds.value.instance_class, local.preset.rds_instance_class)
      allocated_storage_gb      = coalesce(rds.value.allocated_storage_gb, local.preset.rds_allocated_storage_gb)
      max_allocated_storage_gb  = rds.value.max_allocated_storage_gb
      multi_az                  = rds.value.multi_az != null ? rds.value.multi_az : local.preset.rds_multi_az
      backup_retention_days     = rds.value.backup_retention_days != null ? rds.value.backup_retention_days : local.preset.rds_backup_retention_days
      deletion_protection       = rds.value.deletion_protection != null ? rds.value.deletion_protection : local.preset.rds_deletion_protection
      read_replicas             = rds.value.read_replicas
      parameters                = rds.value.parameters
      skip_final_snapshot       = rds.value.skip_final_snapshot != null ? rds.value.skip_final_snapshot : local.preset.rds_skip_final_snapshot
      final_snapshot_identifier = rds.value.final_snapshot_identifier
      master_username           = rds.value.master_username
      database_name             = rds.value.database_name
    }
  }

  dynamic "elasticache" {
    for_each = var.elasticache == null ? [] : [var.elasticache]
    content {
      engine         = elasticache.value.engine
      engine_version = elasticache.value.engine_version
      node_type      = coalesce(elasticache.value.node_type, local.preset.cache_node_type)
      replicas       = elasticache.value.replicas != null ? elasticache.value.replicas : local.preset.cache_replicas
      # Null: true when there is a replica; multi_az null: follows automatic_failover.
      automatic_failover = elasticache.value.automatic_failover
      multi_az           = elasticache.value.multi_az
      at_rest_encryption = elasticache.value.at_rest_encryption
      transit_encryption = elasticache.value.transit_encryption
    }
  }

  dynamic "msk" {
    for_each = var.msk == null ? [] : [var.msk]
    content {
      kafka_version        = msk.value.kafka_version
      broker_instance_type = coalesce(msk.value.broker_instance_type, local.preset.msk_broker_instance_type)
      # Enough brokers per AZ for the tier's minimum in total (production: 3).
      brokers_per_az                 = coalesce(msk.value.brokers_per_az, ceil(local.preset.msk_min_brokers / local.msk_azs))
      storage_gb                     = coalesce(msk.value.storage_gb, local.preset.msk_storage_gb)
      client_authentication          = msk.value.client_authentication
      encryption_in_transit          = msk.value.encryption_in_transit
      tls_certificate_authority_arns = msk.value.tls_certificate_authority_arns
    }
  }

  dynamic "timeouts" {
    for_each = var.timeouts == null ? [] : [var.timeouts]
    content {
      create = timeouts.value.create
      update = timeouts.value.update
      delete = timeouts.value.delete
    }
  }
}
