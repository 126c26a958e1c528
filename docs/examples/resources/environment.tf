# A dev environment with every service. Values left out (AZs, NAT gateways, instance
# sizes, backups) take the dev tier's defaults.
resource "mosia_environment" "dev" {
  name = "acme-dev"
  tier = "dev"
  tags = { team = "platform" }

  # A VPC Mosia creates. For your own VPC: vpc_id and subnet_ids instead.
  network {
    cidr_block = "10.20.0.0/16"
  }

  eks {
    version = "1.35"

    node_group "general" {
      max_size = 3
    }

    node_group "batch" {
      instance_types = ["m6i.large", "m5.large"]
      capacity_type  = "SPOT"
      labels         = { workload = "batch" }
    }
  }

  rds {
    engine_version = "16.4"
    database_name  = "app"
  }

  elasticache {
    engine_version = "7.1"
  }

  msk {
    kafka_version = "3.6.0"
  }

  timeouts {
    create = "90m"
  }
}

output "kubeconfig_command" {
  value = "aws eks update-kubeconfig --name ${mosia_environment.dev.eks.cluster_name}"
}

# The master password stays in Secrets Manager; only the secret's ARN is in state.
output "rds_master_user_secret_arn" {
  value = mosia_environment.dev.rds.master_user_secret_arn
}

output "estimated_monthly_cost_usd" {
  value = mosia_environment.dev.estimated_monthly_cost_usd
}
