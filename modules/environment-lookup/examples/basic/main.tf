# An application stack reading the staging environment, against real AWS or (with `endpoint`)
# an emulator:
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

module "platform" {
  source = "../.."
  name   = "acme-staging"
}

output "database" {
  description = "Where the application finds its database, and the secret with its password."
  value = {
    host       = module.platform.rds_endpoint
    port       = module.platform.rds_port
    secret_arn = module.platform.rds_master_user_secret_arn
  }
}

output "kafka_brokers" {
  description = "IAM-authenticated Kafka bootstrap brokers."
  value       = module.platform.msk_bootstrap_brokers_iam
}
