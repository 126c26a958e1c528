name = "mosia-staging"
tags = { environment = "staging" }

# Staging presets: 2 AZs, m6i.large nodes (2-4), db.t4g.medium with 7 days of backups,
# a cache replica with failover, kafka.m7g.large brokers.
network = { cidr_block = "10.20.0.0/16" }

eks = {
  version = "1.35"
  node_groups = {
    general = {}
  }
}

rds = {
  engine_version = "16.4"
  database_name  = "app"
}

elasticache = {
  engine_version = "7.1"
}

msk = {
  kafka_version = "3.6.0"
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
