# Output names match modules/environment's, so a stack can switch between owning an
# environment and reading one without renaming.

output "tier" {
  description = "Tier the environment's settings match best (`dev`, `staging` or `production`; inferred, AWS does not record it)."
  value       = data.mosia_environment.this.tier
}

output "tags_all" {
  description = "Tags on the environment's AWS objects."
  value       = data.mosia_environment.this.tags_all
}

output "part_status" {
  description = "Status of each part found, e.g. `ready` for each part."
  value       = data.mosia_environment.this.part_status
}

output "estimated_monthly_cost_usd" {
  description = "Estimated monthly cost in USD at on-demand list prices."
  value       = data.mosia_environment.this.estimated_monthly_cost_usd
}

output "vpc_id" {
  description = "ID of the VPC the environment runs in."
  value       = data.mosia_environment.this.vpc_id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per AZ: where workloads that reach the environment's services go."
  value       = data.mosia_environment.this.private_subnet_ids
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, one per AZ (load balancers)."
  value       = data.mosia_environment.this.public_subnet_ids
}

output "security_group_ids" {
  description = "Security group of each part, by part (`eks`, `rds`, `elasticache`, `msk`)."
  value       = data.mosia_environment.this.security_group_ids
}

output "eks_cluster_name" {
  description = "Name of the EKS cluster; null without EKS."
  value       = data.mosia_environment.this.eks_cluster_name
}

output "eks_cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = data.mosia_environment.this.eks_cluster_arn
}

output "eks_cluster_version" {
  description = "Kubernetes version of the cluster."
  value       = data.mosia_environment.this.eks_version
}

output "eks_cluster_endpoint" {
  description = "URL of the Kubernetes API server."
  value       = data.mosia_environment.this.eks_endpoint
}

output "eks_cluster_certificate_authority_data" {
  description = "Base64 PEM of the cluster's certificate authority (kubeconfig `certificate-authority-data`)."
  value       = data.mosia_environment.this.eks_certificate_authority
}

output "eks_oidc_issuer" {
  description = "OIDC issuer URL of the cluster."
  value       = data.mosia_environment.this.eks_oidc_issuer
}

output "eks_oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider, for IAM roles for service accounts (IRSA)."
  value       = data.mosia_environment.this.eks_oidc_provider_arn
}

output "rds_arn" {
  description = "ARN of the RDS primary instance; null without RDS."
  value       = data.mosia_environment.this.rds_arn
}

output "rds_endpoint" {
  description = "Host name of the RDS primary instance."
  value       = data.mosia_environment.this.rds_endpoint
}

output "rds_port" {
  description = "Port of the RDS instances."
  value       = data.mosia_environment.this.rds_port
}

output "rds_reader_endpoints" {
  description = "Host names of the RDS read replicas."
  value       = data.mosia_environment.this.rds_reader_endpoints
}

output "rds_master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret with the master password (grant `secretsmanager:GetSecretValue` on it; the password itself is never read by Terraform)."
  value       = data.mosia_environment.this.rds_master_user_secret_arn
}

output "elasticache_primary_endpoint" {
  description = "Host name of the ElastiCache primary; null without ElastiCache."
  value       = data.mosia_environment.this.elasticache_primary_endpoint
}

output "elasticache_reader_endpoint" {
  description = "Host name of the ElastiCache reader endpoint."
  value       = data.mosia_environment.this.elasticache_reader_endpoint
}

output "elasticache_port" {
  description = "Port of the ElastiCache endpoints."
  value       = data.mosia_environment.this.elasticache_port
}

output "msk_cluster_arn" {
  description = "ARN of the MSK cluster; null without MSK."
  value       = data.mosia_environment.this.msk_arn
}

output "msk_bootstrap_brokers" {
  description = "Plaintext bootstrap brokers, when plaintext is allowed."
  value       = data.mosia_environment.this.msk_bootstrap_brokers
}

output "msk_bootstrap_brokers_tls" {
  description = "TLS bootstrap brokers, when TLS is on."
  value       = data.mosia_environment.this.msk_bootstrap_brokers_tls
}

output "msk_bootstrap_brokers_iam" {
  description = "IAM-authenticated bootstrap brokers, when IAM authentication is on."
  value       = data.mosia_environment.this.msk_bootstrap_brokers_iam
}
