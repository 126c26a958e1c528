output "vpc_id" {
  description = "ID of the VPC."
  value       = module.environment.vpc_id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets."
  value       = module.environment.private_subnet_ids
}

output "public_subnet_ids" {
  description = "IDs of the public subnets."
  value       = module.environment.public_subnet_ids
}

output "security_group_ids" {
  description = "Security group ID of each part."
  value       = module.environment.security_group_ids
}

output "eks_cluster_name" {
  description = "Name of the EKS cluster."
  value       = module.environment.eks_cluster_name
}

output "eks_cluster_endpoint" {
  description = "URL of the Kubernetes API server."
  value       = module.environment.eks_cluster_endpoint
}

output "eks_cluster_certificate_authority_data" {
  description = "Base64-encoded CA data of the cluster."
  value       = module.environment.eks_cluster_certificate_authority_data
}

output "eks_oidc_issuer" {
  description = "URL of the cluster's OIDC issuer."
  value       = module.environment.eks_oidc_issuer
}

output "eks_oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider (IRSA)."
  value       = module.environment.eks_oidc_provider_arn
}

output "rds_endpoint" {
  description = "Host name of the RDS primary."
  value       = module.environment.rds_endpoint
}

output "rds_port" {
  description = "Port of PostgreSQL."
  value       = module.environment.rds_port
}

output "rds_reader_endpoints" {
  description = "Host names of the RDS read replicas."
  value       = module.environment.rds_reader_endpoints
}

output "rds_master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret with the master password."
  value       = module.environment.rds_master_user_secret_arn
}

output "elasticache_primary_endpoint" {
  description = "Host name of the cache primary."
  value       = module.environment.elasticache_primary_endpoint
}

output "elasticache_reader_endpoint" {
  description = "Host name of the cache readers."
  value       = module.environment.elasticache_reader_endpoint
}

output "msk_bootstrap_brokers_tls" {
  description = "TLS bootstrap brokers."
  value       = module.environment.msk_bootstrap_brokers_tls
}

output "msk_bootstrap_brokers_iam" {
  description = "IAM bootstrap brokers."
  value       = module.environment.msk_bootstrap_brokers_iam
}

output "estimated_monthly_cost_usd" {
  description = "Estimated monthly cost in USD."
  value       = module.environment.estimated_monthly_cost_usd
}

output "part_status" {
  description = "Status of each part."
  value       = module.environment.part_status
}

output "workloads" {
  description = "Each workload's role ARN and connection settings (no secret value)."
  value       = module.environment.workloads
}

output "workload_manifests" {
  description = "Each workload's ServiceAccount and connection ConfigMap, ready for kubectl apply."
  value       = module.environment.workload_manifests
}

output "name" {
  description = "Name of the environment: what the `mosia_environment` data source and scripts/smoke-environment.py read it by."
  value       = module.environment.name
}
