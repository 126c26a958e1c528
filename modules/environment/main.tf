locals {
  # Tier presets are the provider's own (`tier`): every value left null here is filled by
  # mosia_environment at plan time from the tier's defaults, so the plan still shows every size,
  # and the module and the provider can never disagree about a preset. Values set in
  # var.network/eks/rds/elasticache/msk win.
  node_groups = var.eks == null ? {} : var.eks.node_groups
}

resource "mosia_environment" "this" {
  name = var.name
  tier = var.tier
  tags = var.tags

  customer_managed_key = var.customer_managed_key
  kms_key_arn          = var.kms_key_arn

  # A map attribute (not labeled blocks), so any workload name passes through.
  workload = var.workloads

  # A VPC Mosia creates (cidr_block, az_count, nat_gateway) or your own (vpc_id, subnet_ids).
  dynamic "network" {
    for_each = var.network == null ? [] : [var.network]
    content {
      cidr_block  = network.value.cidr_block
      az_count    = network.value.az_count
      nat_gateway = network.value.nat_gateway
      vpc_id      = network.value.vpc_id
      subnet_ids  = network.value.subnet_ids

      allowed_cidrs              = network.value.allowed_cidrs
      allowed_security_group_ids = network.value.allowed_security_group_ids
      vpc_endpoints              = network.value.vpc_endpoints
    }
  }

  dynamic "eks" {
    for_each = var.eks == null ? [] : [var.eks]
    content {
      version                      = eks.value.version
      endpoint_public_access       = eks.value.endpoint_public_access
      endpoint_private_access      = eks.value.endpoint_private_access
      public_endpoint_acknowledged = eks.value.public_endpoint_acknowledged
      public_access_cidrs          = eks.value.public_access_cidrs
      enabled_log_types            = eks.value.enabled_log_types
      authentication_mode          = eks.value.authentication_mode
      creator_admin                = eks.value.creator_admin
      creator_admin_acknowledged   = eks.value.creator_admin_acknowledged
      support_type                 = eks.value.support_type
      secrets_encryption           = eks.value.secrets_encryption
      kms_key_arn                  = eks.value.kms_key_arn
      log_retention_days           = eks.value.log_retention_days
      addons                       = eks.value.addons

      # Access entries and add-on settings are labeled (map) blocks too: one dynamic block per
      # allowed name, with a literal label, as for node groups below.
      dynamic "access_entry" {
        for_each = { for k, e in eks.value.access_entries : k => e if k == "platform-admins" }
        labels   = ["platform-admins"]
        content {
          principal_arn = access_entry.value.principal_arn
          policy        = access_entry.value.policy
          namespaces    = access_entry.value.namespaces
        }
      }

      dynamic "access_entry" {
        for_each = { for k, e in eks.value.access_entries : k => e if k == "admins" }
        labels   = ["admins"]
        content {
          principal_arn = access_entry.value.principal_arn
          policy        = access_entry.value.policy
          namespaces    = access_entry.value.namespaces
        }
      }

      dynamic "access_entry" {
        for_each = { for k, e in eks.value.access_entries : k => e if k == "ops" }
        labels   = ["ops"]
        content {
          principal_arn = access_entry.value.principal_arn
          policy        = access_entry.value.policy
          namespaces    = access_entry.value.namespaces
        }
      }

      dynamic "access_entry" {
        for_each = { for k, e in eks.value.access_entries : k => e if k == "ci" }
        labels   = ["ci"]
        content {
          principal_arn = access_entry.value.principal_arn
          policy        = access_entry.value.policy
          namespaces    = access_entry.value.namespaces
        }
      }

      dynamic "access_entry" {
        for_each = { for k, e in eks.value.access_entries : k => e if k == "deployers" }
        labels   = ["deployers"]
        content {
          principal_arn = access_entry.value.principal_arn
          policy        = access_entry.value.policy
          namespaces    = access_entry.value.namespaces
        }
      }

      dynamic "access_entry" {
        for_each = { for k, e in eks.value.access_entries : k => e if k == "developers" }
        labels   = ["developers"]
        content {
          principal_arn = access_entry.value.principal_arn
          policy        = access_entry.value.policy
          namespaces    = access_entry.value.namespaces
        }
      }

      dynamic "access_entry" {
        for_each = { for k, e in eks.value.access_entries : k => e if k == "readers" }
        labels   = ["readers"]
        content {
          principal_arn = access_entry.value.principal_arn
          policy        = access_entry.value.policy
          namespaces    = access_entry.value.namespaces
        }
      }

      dynamic "access_entry" {
        for_each = { for k, e in eks.value.access_entries : k => e if k == "security" }
        labels   = ["security"]
        content {
          principal_arn = access_entry.value.principal_arn
          policy        = access_entry.value.policy
          namespaces    = access_entry.value.namespaces
        }
      }

      dynamic "addon" {
        for_each = { for k, x in eks.value.addon_settings : k => x if k == "vpc-cni" }
        labels   = ["vpc-cni"]
        content {
          version       = addon.value.version
          configuration = addon.value.configuration
        }
      }

      dynamic "addon" {
        for_each = { for k, x in eks.value.addon_settings : k => x if k == "kube-proxy" }
        labels   = ["kube-proxy"]
        content {
          version       = addon.value.version
          configuration = addon.value.configuration
        }
      }

      dynamic "addon" {
        for_each = { for k, x in eks.value.addon_settings : k => x if k == "coredns" }
        labels   = ["coredns"]
        content {
          version       = addon.value.version
          configuration = addon.value.configuration
        }
      }

      dynamic "addon" {
        for_each = { for k, x in eks.value.addon_settings : k => x if k == "eks-pod-identity-agent" }
        labels   = ["eks-pod-identity-agent"]
        content {
          version       = addon.value.version
          configuration = addon.value.configuration
        }
      }

      dynamic "addon" {
        for_each = { for k, x in eks.value.addon_settings : k => x if k == "aws-ebs-csi-driver" }
        labels   = ["aws-ebs-csi-driver"]
        content {
          version       = addon.value.version
          configuration = addon.value.configuration
        }
      }

      dynamic "addon" {
        for_each = { for k, x in eks.value.addon_settings : k => x if k == "aws-efs-csi-driver" }
        labels   = ["aws-efs-csi-driver"]
        content {
          version       = addon.value.version
          configuration = addon.value.configuration
        }
      }

      dynamic "addon" {
        for_each = { for k, x in eks.value.addon_settings : k => x if k == "snapshot-controller" }
        labels   = ["snapshot-controller"]
        content {
          version       = addon.value.version
          configuration = addon.value.configuration
        }
      }

      dynamic "addon" {
        for_each = { for k, x in eks.value.addon_settings : k => x if k == "amazon-cloudwatch-observability" }
        labels   = ["amazon-cloudwatch-observability"]
        content {
          version       = addon.value.version
          configuration = addon.value.configuration
        }
      }

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
          ami_type       = node_group.value.ami_type
          taints = node_group.value.taints == null ? null : [
            for t in node_group.value.taints : { key = t.key, value = t.value, effect = t.effect }
          ]
          max_unavailable            = node_group.value.max_unavailable
          max_unavailable_percentage = node_group.value.max_unavailable_percentage
          scaling                    = node_group.value.scaling
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
          ami_type       = node_group.value.ami_type
          taints = node_group.value.taints == null ? null : [
            for t in node_group.value.taints : { key = t.key, value = t.value, effect = t.effect }
          ]
          max_unavailable            = node_group.value.max_unavailable
          max_unavailable_percentage = node_group.value.max_unavailable_percentage
          scaling                    = node_group.value.scaling
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
          ami_type       = node_group.value.ami_type
          taints = node_group.value.taints == null ? null : [
            for t in node_group.value.taints : { key = t.key, value = t.value, effect = t.effect }
          ]
          max_unavailable            = node_group.value.max_unavailable
          max_unavailable_percentage = node_group.value.max_unavailable_percentage
          scaling                    = node_group.value.scaling
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
          ami_type       = node_group.value.ami_type
          taints = node_group.value.taints == null ? null : [
            for t in node_group.value.taints : { key = t.key, value = t.value, effect = t.effect }
          ]
          max_unavailable            = node_group.value.max_unavailable
          max_unavailable_percentage = node_group.value.max_unavailable_percentage
          scaling                    = node_group.value.scaling
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
          ami_type       = node_group.value.ami_type
          taints = node_group.value.taints == null ? null : [
            for t in node_group.value.taints : { key = t.key, value = t.value, effect = t.effect }
          ]
          max_unavailable            = node_group.value.max_unavailable
          max_unavailable_percentage = node_group.value.max_unavailable_percentage
          scaling                    = node_group.value.scaling
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
          ami_type       = node_group.value.ami_type
          taints = node_group.value.taints == null ? null : [
            for t in node_group.value.taints : { key = t.key, value = t.value, effect = t.effect }
          ]
          max_unavailable            = node_group.value.max_unavailable
          max_unavailable_percentage = node_group.value.max_unavailable_percentage
          scaling                    = node_group.value.scaling
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
          ami_type       = node_group.value.ami_type
          taints = node_group.value.taints == null ? null : [
            for t in node_group.value.taints : { key = t.key, value = t.value, effect = t.effect }
          ]
          max_unavailable            = node_group.value.max_unavailable
          max_unavailable_percentage = node_group.value.max_unavailable_percentage
          scaling                    = node_group.value.scaling
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
          ami_type       = node_group.value.ami_type
          taints = node_group.value.taints == null ? null : [
            for t in node_group.value.taints : { key = t.key, value = t.value, effect = t.effect }
          ]
          max_unavailable            = node_group.value.max_unavailable
          max_unavailable_percentage = node_group.value.max_unavailable_percentage
          scaling                    = node_group.value.scaling
        }
      }
    }
  }

  dynamic "rds" {
    for_each = var.rds == null ? [] : [var.rds]
    content {
      engine_version            = rds.value.engine_version
      instance_class            = rds.value.instance_class
      allocated_storage_gb      = rds.value.allocated_storage_gb
      max_allocated_storage_gb  = rds.value.max_allocated_storage_gb
      multi_az                  = rds.value.multi_az
      backup_retention_days     = rds.value.backup_retention_days
      deletion_protection       = rds.value.deletion_protection
      read_replicas             = rds.value.read_replicas
      parameters                = rds.value.parameters
      skip_final_snapshot       = rds.value.skip_final_snapshot
      final_snapshot_identifier = rds.value.final_snapshot_identifier
      snapshot_identifier       = rds.value.snapshot_identifier
      master_username           = rds.value.master_username
      database_name             = rds.value.database_name

      iam_database_authentication  = rds.value.iam_database_authentication
      maintenance_window           = rds.value.maintenance_window
      backup_window                = rds.value.backup_window
      apply_immediately            = rds.value.apply_immediately
      maintenance_acknowledged     = rds.value.maintenance_acknowledged
      auto_minor_version_upgrade   = rds.value.auto_minor_version_upgrade
      major_upgrade                = rds.value.major_upgrade
      old_instance_retention_hours = rds.value.old_instance_retention_hours
    }
  }

  dynamic "elasticache" {
    for_each = var.elasticache == null ? [] : [var.elasticache]
    content {
      authentication = elasticache.value.authentication
      engine         = elasticache.value.engine
      engine_version = elasticache.value.engine_version
      node_type      = elasticache.value.node_type
      replicas       = elasticache.value.replicas
      # Null: true when there is a replica; multi_az null: follows automatic_failover.
      automatic_failover = elasticache.value.automatic_failover
      multi_az           = elasticache.value.multi_az
      at_rest_encryption = elasticache.value.at_rest_encryption
      transit_encryption = elasticache.value.transit_encryption
      maintenance_window = elasticache.value.maintenance_window
      parameters         = elasticache.value.parameters
      apply_immediately  = elasticache.value.apply_immediately

      skip_final_snapshot = elasticache.value.skip_final_snapshot
    }
  }

  dynamic "msk" {
    for_each = var.msk == null ? [] : [var.msk]
    content {
      kafka_version                  = msk.value.kafka_version
      broker_instance_type           = msk.value.broker_instance_type
      brokers_per_az                 = msk.value.brokers_per_az
      storage_gb                     = msk.value.storage_gb
      client_authentication          = msk.value.client_authentication
      scram                          = msk.value.scram
      encryption_in_transit          = msk.value.encryption_in_transit
      tls_certificate_authority_arns = msk.value.tls_certificate_authority_arns
      configuration                  = msk.value.configuration
      storage_autoscaling_max_gb     = msk.value.storage_autoscaling_max_gb
    }
  }

  dynamic "monitoring" {
    for_each = var.monitoring == null ? [] : [var.monitoring]
    content {
      alert_emails       = monitoring.value.alert_emails
      sns_topic_arn      = monitoring.value.sns_topic_arn
      alarms             = monitoring.value.alarms
      thresholds         = monitoring.value.thresholds
      database_insights  = monitoring.value.database_insights
      log_exports        = monitoring.value.log_exports
      log_retention_days = monitoring.value.log_retention_days
    }
  }

  dynamic "budget" {
    for_each = var.budget == null ? [] : [var.budget]
    content {
      monthly_limit_usd = budget.value.monthly_limit_usd
      alert_at_percent  = budget.value.alert_at_percent
      forecast_alert    = budget.value.forecast_alert
    }
  }

  dynamic "backup" {
    for_each = var.backup == null ? [] : [var.backup]
    content {
      plan                          = backup.value.plan
      retention_days                = backup.value.retention_days
      copy_to_region                = backup.value.copy_to_region
      cache_snapshot_retention_days = backup.value.cache_snapshot_retention_days
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
