# A dev environment with every service, against real AWS or (with `endpoint`) an emulator:
#   terraform init && terraform apply [-var endpoint=http://127.0.0.1:4566]
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    mosia = {
      source  = "mosia/mosia"
      version = ">= 0.1.0"
    }
  }
}

variable "endpoint" {
  description = "One endpoint URL for every AWS service (e.g. `http://127.0.0.1:4566`); null for real AWS."
  type        = string
  default     = null
}

provider "mosia" {
  region   = "eu-central-1"
  endpoint = var.endpoint
}

module "environment" {
  source = "../.."

  name = "acme-dev"
  tier = "dev"
  tags = { team = "platform" }

  # A VPC Mosia creates; az_count and nat_gateway come from the dev presets.
  network = { cidr_block = "10.20.0.0/16" }

  eks = {
    version = "1.35"
    node_groups = {
      general = { max_size = 3 } # instance type and min_size: dev presets
    }
  }

  rds = {
    engine_version = "16.4"
    database_name  = "app"
  }

  elasticache = { engine_version = "7.1" }

  msk = { kafka_version = "3.6.0" }
}

output "eks_cluster_name" {
  value = module.environment.eks_cluster_name
}

output "rds_endpoint" {
  value = module.environment.rds_endpoint
}

output "rds_master_user_secret_arn" {
  value = module.environment.rds_master_user_secret_arn
}

output "msk_bootstrap_brokers_iam" {
  value = module.environment.msk_bootstrap_brokers_iam
}

output "estimated_monthly_cost_usd" {
  value = module.environment.estimated_monthly_cost_usd
}
