name = "mosia-production"
tags = { environment = "production" }

# Production guardrails, spelled out so reviews see them (they match the production presets).
network = {
  cidr_block  = "10.30.0.0/16"
  az_count    = 3
  nat_gateway = "per_az"
}

eks = {
  version                = "1.35"
  endpoint_public_access = false # private API endpoint
  authentication_mode    = "API" # access entries only, no aws-auth ConfigMap
  secrets_encryption     = true  # Kubernetes secrets encrypted with the environment's KMS key
  log_retention_days     = 90

  # Who administers the cluster once the creator's session is gone (production refuses a
  # cluster without one). Replace with your team's roles: EKS refuses a principal that does not
  # exist in the account.
  access_entries = {
    platform-admins = {
      principal_arn = "arn:aws:iam::123456789012:role/PlatformAdmins"
      policy        = "cluster-admin"
    }
  }
  node_groups = {
    general = { min_size = 3, max_size = 6 }
  }
}

rds = {
  engine_version        = "16.4"
  database_name         = "app"
  multi_az              = true
  deletion_protection   = true
  backup_retention_days = 14
  skip_final_snapshot   = false
}

elasticache = {
  engine_version     = "7.1"
  replicas           = 1
  automatic_failover = true
  multi_az           = true
}

msk = {
  kafka_version  = "3.6.0"
  brokers_per_az = 1 # x 3 AZs = 3 brokers
}

# The application (mosia-app): its own role with exactly the access below, and a manifest output.
workloads = {
  app = {
    namespace   = "mosia-app"
    rds         = "read_write"
    elasticache = "read_write"
    msk         = { topics = ["app.*"], groups = ["app-*"] }
  }
}
