locals {
  env = mosia_environment.this
}

output "id" {
  description = "ID of the environment (its name)."
  value       = local.env.id
}

output "name" {
  description = "Name of the environment, the prefix of every AWS name it creates."
  value       = local.env.name
}

output "tier" {
  description = "Tier of the environment: `dev`, `staging` or `production`."
  value       = local.env.tier
}

output "tags_all" {
  description = "Tags every part carries: `tags` merged with the provider's `default_tags`."
  value       = local.env.tags_all
}

# Network

output "vpc_id" {
  description = "ID of the VPC the environment runs in (created by Mosia, or your own). Null without a network."
  value       = try(local.env.network.vpc_id, null)
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC. Null without a network."
  value       = try(local.env.network.cidr_block, null)
}

output "private_subnet_ids" {
  description = "IDs of the private subnets the parts run in, one per AZ (your `subnet_ids` for your own network). Empty without a network."
  value       = try(local.env.network.private_subnet_ids, [])
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (NAT gateways, load balancers), one per AZ; empty for your own network or without a network."
  value       = try(local.env.network.public_subnet_ids, [])
}

output "security_group_ids" {
  description = "Security group ID of each service, by service: `eks` (the cluster and its nodes), `rds`, `elasticache`, `msk` (those the environment has). Each service admits the EKS nodes on its port. Empty without a network."
  value       = try(tomap(local.env.network.security_group_ids), {})
}

# EKS

output "eks_cluster_name" {
  description = "Name of the EKS cluster (for `aws eks update-kubeconfig --name`). Null without `eks`."
  value       = try(local.env.eks.cluster_name, null)
}

output "eks_cluster_arn" {
  description = "ARN of the EKS cluster. Null without `eks`."
  value       = try(local.env.eks.arn, null)
}

output "eks_cluster_version" {
  description = "Kubernetes version of the EKS control plane. Null without `eks`."
  value       = try(local.env.eks.version, null)
}

output "eks_cluster_endpoint" {
  description = "URL of the Kubernetes API server. Null without `eks`."
  value       = try(local.env.eks.endpoint, null)
}

output "eks_cluster_certificate_authority_data" {
  description = "Base64-encoded certificate data of the cluster's CA, for kubeconfig and the Kubernetes provider (`base64decode(...)` it for `cluster_ca_certificate`). Null without `eks`."
  value       = try(local.env.eks.certificate_authority, null)
}

output "eks_oidc_issuer" {
  description = "URL of the cluster's OIDC issuer. Null without `eks`."
  value       = try(local.env.eks.oidc_issuer, null)
}

output "eks_oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider for the issuer: the federated principal of IAM roles for service accounts (IRSA). Null without `eks`."
  value       = try(local.env.eks.oidc_provider_arn, null)
}

output "eks_node_groups" {
  description = "Each managed node group as applied (`instance_types`, `min_size`, `max_size`, `desired_size`, `capacity_type`), by group name. Empty without `eks`."
  value = try({
    for name, g in local.env.eks.node_group : name => {
      instance_types = g.instance_types
      min_size       = g.min_size
      max_size       = g.max_size
      desired_size   = g.desired_size
      capacity_type  = g.capacity_type
    }
  }, {})
}

# RDS

output "rds_arn" {
  description = "ARN of the RDS primary instance. Null without `rds`."
  value       = try(local.env.rds.arn, null)
}

output "rds_endpoint" {
  description = "Host name of the RDS primary instance (reads and writes). Null without `rds`."
  value       = try(local.env.rds.endpoint, null)
}

output "rds_port" {
  description = "Port PostgreSQL listens on. Null without `rds`."
  value       = try(local.env.rds.port, null)
}

output "rds_reader_endpoints" {
  description = "Host names of the RDS read replicas, in replica order. Empty without replicas or without `rds`."
  value       = try(local.env.rds.reader_endpoints, [])
}

output "rds_master_username" {
  description = "Name of the RDS master user. Null without `rds`."
  value       = try(local.env.rds.master_username, null)
}

output "rds_database_name" {
  description = "Name of the database created in the instance; null when none was asked for (only `postgres`) or without `rds`."
  value       = try(local.env.rds.database_name, null)
}

output "rds_master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret RDS manages for the master user's password: grant `secretsmanager:GetSecretValue` on it to whatever needs the password. Null without `rds`."
  value       = try(local.env.rds.master_user_secret_arn, null)
}

# ElastiCache

output "elasticache_arn" {
  description = "ARN of the ElastiCache replication group. Null without `elasticache`."
  value       = try(local.env.elasticache.arn, null)
}

output "elasticache_primary_endpoint" {
  description = "Host name that always points at the cache primary (writes). Null without `elasticache`."
  value       = try(local.env.elasticache.primary_endpoint, null)
}

output "elasticache_reader_endpoint" {
  description = "Host name balancing over the cache replicas (reads). Null without `elasticache`."
  value       = try(local.env.elasticache.reader_endpoint, null)
}

output "elasticache_port" {
  description = "Port the cache listens on. Null without `elasticache`."
  value       = try(local.env.elasticache.port, null)
}

output "elasticache_transit_encryption" {
  description = "Whether cache clients must connect with TLS (`rediss://`). Null without `elasticache`."
  value       = try(local.env.elasticache.transit_encryption, null)
}

# MSK

output "msk_cluster_arn" {
  description = "ARN of the MSK cluster. Null without `msk`."
  value       = try(local.env.msk.arn, null)
}

output "msk_bootstrap_brokers" {
  description = "Plaintext bootstrap brokers (`host:9092,...`) when `encryption_in_transit` allows plaintext. Null without `msk`."
  value       = try(local.env.msk.bootstrap_brokers, null)
}

output "msk_bootstrap_brokers_tls" {
  description = "TLS bootstrap brokers (`host:9094,...`). Null without `msk`."
  value       = try(local.env.msk.bootstrap_brokers_tls, null)
}

output "msk_bootstrap_brokers_scram" {
  description = "SASL/SCRAM bootstrap brokers (`host:9096,...`), with `msk.scram = true`. Null without `msk`."
  value       = try(local.env.msk.bootstrap_brokers_scram, null)
}

output "msk_bootstrap_brokers_iam" {
  description = "IAM-authenticated bootstrap brokers (`host:9098,...`), with `client_authentication = \"iam\"`. Null without `msk`."
  value       = try(local.env.msk.bootstrap_brokers_iam, null)
}

output "msk_zookeeper_connect_string" {
  description = "ZooKeeper connection string of the MSK cluster; empty for KRaft clusters. Null without `msk`."
  value       = try(local.env.msk.zookeeper_connect_string, null)
}

# Cost and status

output "estimated_monthly_cost_usd" {
  description = "Estimated monthly cost in USD at on-demand list prices (NAT gateways, EKS control plane and nodes, RDS, ElastiCache, MSK; excludes data transfer and usage-based charges). Known at plan time."
  value       = local.env.estimated_monthly_cost_usd
}

output "part_status" {
  description = "Status of each part (`network`, `iam`, `eks`, each node group, `rds`, `elasticache`, `msk`) as last seen, e.g. `ready`, `failed`, `missing`, `pending-maintenance`. A part that failed or went missing is created again by the next apply."
  value       = local.env.part_status
}

output "pending_changes" {
  description = "Changes AWS holds for later, by part and setting: `value` and `applies` (the maintenance window, or the next reboot). Empty when nothing waits."
  value       = local.env.pending_changes
}

output "eks_cluster_security_group_id" {
  description = "The security group EKS created for the cluster (control plane and managed nodes). Null without `eks`."
  value       = try(local.env.eks.cluster_security_group_id, null)
}

output "eks_kubeconfig" {
  description = "A kubeconfig for the cluster that gets a token with `aws eks get-token`. Null without `eks`."
  value       = try(local.env.eks.kubeconfig, null)
}

output "eks_access_entry_arns" {
  description = "ARN of each EKS access entry, by its name. Empty without `eks`."
  value       = try(local.env.eks.access_entry_arns, {})
}

output "eks_addon_versions" {
  description = "Installed version of each EKS add-on, by add-on name. Empty without `eks`."
  value       = try(local.env.eks.addon_versions, {})
}

output "encryption_key_arn" {
  description = "ARN of the KMS key that encrypts the environment (your `kms_key_arn` or the environment's own key). Null with AWS-managed keys."
  value       = local.env.encryption_key_arn
}

output "eks_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the cluster's Kubernetes secrets. Null without secrets encryption."
  value       = try(local.env.eks.kms_key_arn, null)
}

output "vpc_endpoint_ids" {
  description = "ID of each VPC endpoint (`vpce-...`), by service (`s3`, `ecr.api`, ...). Empty without a network."
  value       = try(local.env.network.vpc_endpoint_ids, {})
}

# Workloads

output "workloads" {
  description = "Each workload, by name: `role_arn`, `role_name`, `namespace`, `service_account`, `identity` and `connection` (the environment variables the application needs: `AWS_REGION`, `PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `DB_SECRET_ARN`, `REDIS_URL`, `REDIS_USER` or `REDIS_AUTH_SECRET_ARN`, `KAFKA_BOOTSTRAP_SERVERS`, `KAFKA_SASL_MECHANISM`, for the services it may reach). No secret value."
  value       = coalesce(local.env.workloads, {})
}

output "workload_manifests" {
  description = "A Kubernetes manifest per workload, by name, to apply as it is (`kubectl apply -f`): the ServiceAccount (with the `eks.amazonaws.com/role-arn` annotation for `irsa`) and a ConfigMap `WORKLOAD-connection` holding `connection` (reference it with `envFrom`)."
  value = {
    for name, w in coalesce(local.env.workloads, {}) : name => join("---\n", [
      yamlencode({
        apiVersion = "v1"
        kind       = "ServiceAccount"
        metadata = {
          name        = w.service_account
          namespace   = w.namespace
          labels      = local.workload_labels[name]
          annotations = w.identity == "irsa" ? { "eks.amazonaws.com/role-arn" = w.role_arn } : {}
        }
      }),
      yamlencode({
        apiVersion = "v1"
        kind       = "ConfigMap"
        metadata = {
          name      = "${name}-connection"
          namespace = w.namespace
          labels    = local.workload_labels[name]
        }
        data = w.connection
      }),
    ])
  }
}

locals {
  workload_labels = {
    for name, w in coalesce(local.env.workloads, {}) : name => {
      "app.kubernetes.io/name"       = name
      "app.kubernetes.io/managed-by" = "mosia"
      "mosia.dev/environment"        = local.env.name
    }
  }
}

output "alert_topic_arn" {
  description = "ARN of the SNS topic the environment's alerts go to (null without alerts)."
  value       = local.env.alert_topic_arn
}

output "alarms" {
  description = "The environment's CloudWatch alarms, name => ARN."
  value       = local.env.alarms
}

output "budget_monthly_limit_usd" {
  description = "The budget's monthly limit in USD (null without a budget)."
  value       = try(local.env.budget.monthly_limit_usd, null)
}

output "backup_vault_arn" {
  description = "ARN of the AWS Backup vault (null without a backup plan)."
  value       = try(local.env.backup.vault_arn, null)
}

output "backup_copy_vault_arn" {
  description = "ARN of the vault in `backup.copy_to_region` (null without copies)."
  value       = try(local.env.backup.copy_vault_arn, null)
}
