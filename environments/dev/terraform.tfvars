name = "mosia-dev"
tags = { environment = "dev" }

# Cheap: dev presets (2 AZs, one NAT gateway, t3.medium nodes, db.t4g.micro, cache.t4g.micro,
# kafka.t3.small), single node, no replicas.
network = { cidr_block = "10.10.0.0/16" }

eks = {
  version = "1.35"
  node_groups = {
    general = { min_size = 1, max_size = 2, capacity_type = "SPOT" }
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
