# Every validation block of the module refuses a value that breaks it (one run per block,
# in the order of variables.tf): plan-only runs with a mocked provider, so nothing is
# created and the provider's own plan-time guardrails do not run. The harness
# (acceptance-tests/tests/module_terraform_test.rs) checks there is one run here per
# validation block, so a new block needs its run.

mock_provider "mosia" {}

variables {
  name    = "tftest-dev"
  tier    = "dev"
  network = { allowed_cidrs = ["10.99.0.0/24"] }
}

run "name_is_a_lowercase_label" {
  command = plan
  variables {
    name = "Shop"
  }
  expect_failures = [var.name]
}

run "tier_is_one_of_three" {
  command = plan
  variables {
    tier = "qa"
  }
  expect_failures = [var.tier]
}

run "mosia_tags_are_reserved" {
  command = plan
  variables {
    tags = { "mosia:part" = "x" }
  }
  expect_failures = [var.tags]
}

run "kms_key_arn_is_a_key_arn" {
  command = plan
  variables {
    kms_key_arn = "alias/mine"
  }
  expect_failures = [var.kms_key_arn]
}

run "allowed_cidrs_are_ipv4_cidrs" {
  command = plan
  variables {
    network = { allowed_cidrs = ["10.0.0.0/33"] }
  }
  expect_failures = [var.network]
}

run "allowed_security_group_ids_are_group_ids" {
  command = plan
  variables {
    network = { allowed_cidrs = ["10.99.0.0/24"], allowed_security_group_ids = ["sg-12"] }
  }
  expect_failures = [var.network]
}

run "vpc_endpoints_are_known_services" {
  command = plan
  variables {
    network = { allowed_cidrs = ["10.99.0.0/24"], vpc_endpoints = ["nope"] }
  }
  expect_failures = [var.network]
}

run "own_vpc_needs_two_subnets" {
  command = plan
  variables {
    network = { vpc_id = "vpc-0123abcd" }
  }
  expect_failures = [var.network]
}

run "vpc_id_is_a_vpc_id" {
  command = plan
  variables {
    network = { vpc_id = "vpc-xyz", subnet_ids = ["subnet-0123abcd", "subnet-0123abce"] }
  }
  expect_failures = [var.network]
}

run "subnet_ids_are_subnet_ids" {
  command = plan
  variables {
    network = { vpc_id = "vpc-0123abcd", subnet_ids = ["subnet-1", "subnet-2"] }
  }
  expect_failures = [var.network]
}

run "cidr_block_is_16_to_24" {
  command = plan
  variables {
    network = { cidr_block = "10.0.0.0/8" }
  }
  expect_failures = [var.network]
}

run "az_count_is_1_to_6" {
  command = plan
  variables {
    network = { az_count = 7 }
  }
  expect_failures = [var.network]
}

run "nat_gateway_is_none_single_or_per_az" {
  command = plan
  variables {
    network = { nat_gateway = "double" }
  }
  expect_failures = [var.network]
}

run "eks_version_is_1_minor" {
  command = plan
  variables {
    eks = { version = "v1.31" }
  }
  expect_failures = [var.eks]
}

run "eks_log_types_are_known" {
  command = plan
  variables {
    eks = { enabled_log_types = ["kubelet"] }
  }
  expect_failures = [var.eks]
}

run "eks_public_access_cidrs_are_cidrs" {
  command = plan
  variables {
    eks = { public_access_cidrs = ["nope"] }
  }
  expect_failures = [var.eks]
}

run "eks_endpoint_reachable_somehow" {
  command = plan
  variables {
    eks = { endpoint_public_access = false, endpoint_private_access = false }
  }
  expect_failures = [var.eks]
}

run "node_group_names_are_known" {
  command = plan
  variables {
    eks = { node_groups = { web = {} } }
  }
  expect_failures = [var.eks]
}

run "node_group_sizes_are_ordered" {
  command = plan
  variables {
    eks = { node_groups = { general = { min_size = 3, max_size = 2 } } }
  }
  expect_failures = [var.eks]
}

run "authentication_mode_is_api" {
  command = plan
  variables {
    eks = { authentication_mode = "CONFIG_MAP" }
  }
  expect_failures = [var.eks]
}

run "support_type_is_standard_or_extended" {
  command = plan
  variables {
    eks = { support_type = "LTS" }
  }
  expect_failures = [var.eks]
}

run "access_entry_policy_and_principal" {
  command = plan
  variables {
    eks = { access_entries = { admins = { principal_arn = "arn:aws:iam::123456789012:role/ops", policy = "root" } } }
  }
  expect_failures = [var.eks]
}

run "access_entry_names_are_known" {
  command = plan
  variables {
    eks = { access_entries = { bob = { principal_arn = "arn:aws:iam::123456789012:role/ops", policy = "view" } } }
  }
  expect_failures = [var.eks]
}

run "addon_settings_name_known_addons" {
  command = plan
  variables {
    eks = { addon_settings = { istio = {} } }
  }
  expect_failures = [var.eks]
}

run "node_group_scaling_is_managed_or_external" {
  command = plan
  variables {
    eks = { node_groups = { general = { scaling = "auto" } } }
  }
  expect_failures = [var.eks]
}

run "node_group_capacity_and_disk" {
  command = plan
  variables {
    eks = { node_groups = { general = { disk_size_gb = 10 } } }
  }
  expect_failures = [var.eks]
}

run "rds_engine_version_is_13_to_18" {
  command = plan
  variables {
    rds = { engine_version = "12" }
  }
  expect_failures = [var.rds]
}

run "rds_instance_class_is_db_class" {
  command = plan
  variables {
    rds = { instance_class = "m5.large" }
  }
  expect_failures = [var.rds]
}

run "rds_storage_is_20_gb_or_more" {
  command = plan
  variables {
    rds = { allocated_storage_gb = 10 }
  }
  expect_failures = [var.rds]
}

run "rds_maintenance_window_is_a_weekly_range" {
  command = plan
  variables {
    rds = { maintenance_window = "Sun:03:00-Sun:04:00" }
  }
  expect_failures = [var.rds]
}

run "rds_backup_window_is_a_daily_range" {
  command = plan
  variables {
    rds = { backup_window = "1:00-2:00" }
  }
  expect_failures = [var.rds]
}

run "rds_max_storage_is_22_gb_or_more" {
  command = plan
  variables {
    rds = { max_allocated_storage_gb = 21 }
  }
  expect_failures = [var.rds]
}

run "rds_backups_are_kept_35_days_at_most" {
  command = plan
  variables {
    rds = { backup_retention_days = 36 }
  }
  expect_failures = [var.rds]
}

run "rds_has_no_read_replicas" {
  command = plan
  variables {
    rds = { read_replicas = 1 }
  }
  expect_failures = [var.rds]
}

run "rds_master_username_is_an_identifier" {
  command = plan
  variables {
    rds = { master_username = "1admin" }
  }
  expect_failures = [var.rds]
}

run "rds_database_name_is_an_identifier" {
  command = plan
  variables {
    rds = { database_name = "my-db" }
  }
  expect_failures = [var.rds]
}

run "rds_snapshot_identifier_is_a_snapshot" {
  command = plan
  variables {
    rds = { snapshot_identifier = "bad_snap!" }
  }
  expect_failures = [var.rds]
}

run "rds_final_snapshot_identifier_is_lowercase" {
  command = plan
  variables {
    rds = { final_snapshot_identifier = "Final_Snap" }
  }
  expect_failures = [var.rds]
}

run "cache_maintenance_window_is_a_weekly_range" {
  command = plan
  variables {
    elasticache = { maintenance_window = "sunday 04:00" }
  }
  expect_failures = [var.elasticache]
}

run "cache_authentication_is_iam_token_or_none" {
  command = plan
  variables {
    elasticache = { authentication = "password" }
  }
  expect_failures = [var.elasticache]
}

run "cache_engine_is_redis_or_valkey" {
  command = plan
  variables {
    elasticache = { engine = "memcached" }
  }
  expect_failures = [var.elasticache]
}

run "cache_engine_version_is_major_minor" {
  command = plan
  variables {
    elasticache = { engine_version = "7" }
  }
  expect_failures = [var.elasticache]
}

run "cache_node_type_is_cache_type" {
  command = plan
  variables {
    elasticache = { node_type = "t4g.small" }
  }
  expect_failures = [var.elasticache]
}

run "cache_replicas_are_0_to_5" {
  command = plan
  variables {
    elasticache = { replicas = 6 }
  }
  expect_failures = [var.elasticache]
}

run "kafka_version_is_2_8_or_later" {
  command = plan
  variables {
    msk = { kafka_version = "2.7.0" }
  }
  expect_failures = [var.msk]
}

run "broker_type_is_kafka_type" {
  command = plan
  variables {
    msk = { kafka_version = "3.6.0", broker_instance_type = "m5.large" }
  }
  expect_failures = [var.msk]
}

run "brokers_per_az_is_1_to_10" {
  command = plan
  variables {
    msk = { kafka_version = "3.6.0", brokers_per_az = 11 }
  }
  expect_failures = [var.msk]
}

run "msk_storage_is_1_gb_or_more" {
  command = plan
  variables {
    msk = { kafka_version = "3.6.0", storage_gb = 0 }
  }
  expect_failures = [var.msk]
}

run "msk_client_authentication_is_known" {
  command = plan
  variables {
    msk = { kafka_version = "3.6.0", client_authentication = "sasl" }
  }
  expect_failures = [var.msk]
}

run "msk_encryption_in_transit_is_known" {
  command = plan
  variables {
    msk = { kafka_version = "3.6.0", encryption_in_transit = "SSL" }
  }
  expect_failures = [var.msk]
}

run "msk_tls_authentication_needs_cas" {
  command = plan
  variables {
    msk = { kafka_version = "3.6.0", client_authentication = "tls" }
  }
  expect_failures = [var.msk]
}

run "timeouts_are_durations" {
  command = plan
  variables {
    timeouts = { create = "10 minutes" }
  }
  expect_failures = [var.timeouts]
}

run "workload_names_are_lowercase_labels" {
  command = plan
  variables {
    workloads = { Orders = { namespace = "shop" } }
  }
  expect_failures = [var.workloads]
}

run "workload_identity_is_pod_identity_or_irsa" {
  command = plan
  variables {
    workloads = { orders = { namespace = "shop", identity = "oidc" } }
  }
  expect_failures = [var.workloads]
}

run "workload_access_levels_are_known" {
  command = plan
  variables {
    workloads = { orders = { namespace = "shop", rds = "admin" } }
  }
  expect_failures = [var.workloads]
}

run "workload_kafka_access_and_patterns" {
  command = plan
  variables {
    workloads = { orders = { namespace = "shop", msk = { topics = ["orders/*"] } } }
  }
  expect_failures = [var.workloads]
}

run "alert_emails_are_addresses" {
  command = plan
  variables {
    monitoring = { alert_emails = ["oncall"] }
  }
  expect_failures = [var.monitoring]
}

run "sns_topic_arn_is_a_topic_arn" {
  command = plan
  variables {
    monitoring = { sns_topic_arn = "arn:aws:sqs:us-east-1:123456789012:q" }
  }
  expect_failures = [var.monitoring]
}

run "budget_limit_is_positive" {
  command = plan
  variables {
    budget = { monthly_limit_usd = 0 }
  }
  expect_failures = [var.budget]
}

run "backup_retention_is_in_range" {
  command = plan
  variables {
    backup = { retention_days = 0 }
  }
  expect_failures = [var.backup]
}

run "backup_copy_region_is_a_region_name" {
  command = plan
  variables {
    backup = { copy_to_region = "oregon" }
  }
  expect_failures = [var.backup]
}

run "cache_snapshot_retention_is_in_range" {
  command = plan
  variables {
    backup = { cache_snapshot_retention_days = 36 }
  }
  expect_failures = [var.backup]
}
