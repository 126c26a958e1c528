# What the module passes to the provider and what its outputs make of the provider's values,
# with a mocked provider: nothing is created and no credentials are needed.

mock_provider "mosia" {}

variables {
  name    = "tftest-shop"
  tier    = "staging"
  tags    = { team = "platform" }
  network = { allowed_cidrs = ["10.99.0.0/24"] }
}

run "settings_pass_through" {
  command = plan

  variables {
    eks         = {}
    rds         = { database_name = "shop", instance_class = "db.t4g.small" }
    elasticache = {}
    workloads = {
      orders = { namespace = "shop", rds = "read_write", elasticache = "read_write" }
    }
  }

  assert {
    condition     = mosia_environment.this.name == "tftest-shop" && mosia_environment.this.tier == "staging"
    error_message = "name and tier reach the provider as given."
  }
  assert {
    condition     = mosia_environment.this.tags == tomap({ team = "platform" })
    error_message = "tags reach the provider as given."
  }
  assert {
    condition     = mosia_environment.this.network.allowed_cidrs == tolist(["10.99.0.0/24"])
    error_message = "network.allowed_cidrs reaches the provider."
  }
  assert {
    condition     = mosia_environment.this.rds.instance_class == "db.t4g.small" && mosia_environment.this.rds.database_name == "shop"
    error_message = "RDS settings reach the provider as given."
  }
  assert {
    condition     = mosia_environment.this.elasticache.authentication == "iam"
    error_message = "the cache authenticates with IAM by default."
  }
  assert {
    condition     = join(",", keys(mosia_environment.this.eks.node_group)) == "general"
    error_message = "an EKS cluster without node_groups gets the one group `general`."
  }
  assert {
    condition     = mosia_environment.this.workload["orders"].elasticache == "read_write" && mosia_environment.this.workload["orders"].namespace == "shop"
    error_message = "workloads reach the provider as given."
  }
  assert {
    condition     = mosia_environment.this.msk == null
    error_message = "no msk block without var.msk."
  }
}

run "workload_manifests_hold_the_service_account_and_the_connection" {
  command = apply

  variables {
    eks = {}
    workloads = {
      orders  = { namespace = "shop" }
      reports = { namespace = "shop", identity = "irsa" }
    }
  }

  override_resource {
    target = mosia_environment.this
    values = {
      workloads = {
        orders = {
          role_arn   = "arn:aws:iam::123456789012:role/tftest-shop-wl-orders", role_name = "tftest-shop-wl-orders"
          namespace  = "shop", service_account = "orders", identity = "pod_identity"
          connection = { AWS_REGION = "us-east-1", REDIS_URL = "rediss://cache:6379", REDIS_USER = "tftest-shop-wl-orders" }
        }
        reports = {
          role_arn   = "arn:aws:iam::123456789012:role/tftest-shop-wl-reports", role_name = "tftest-shop-wl-reports"
          namespace  = "shop", service_account = "reports", identity = "irsa"
          connection = { AWS_REGION = "us-east-1" }
        }
      }
    }
  }

  assert {
    condition     = output.workloads["orders"].connection["REDIS_USER"] == "tftest-shop-wl-orders"
    error_message = "the workloads output is the provider's map."
  }
  assert {
    condition = yamldecode(split("---\n", output.workload_manifests["orders"])[0]) == {
      apiVersion = "v1", kind = "ServiceAccount"
      metadata = {
        name   = "orders", namespace = "shop", annotations = {}
        labels = { "app.kubernetes.io/name" = "orders", "app.kubernetes.io/managed-by" = "mosia", "mosia.dev/environment" = "tftest-shop" }
      }
    }
    error_message = "a pod identity workload's ServiceAccount has no role annotation."
  }
  assert {
    condition     = yamldecode(split("---\n", output.workload_manifests["reports"])[0]).metadata.annotations["eks.amazonaws.com/role-arn"] == "arn:aws:iam::123456789012:role/tftest-shop-wl-reports"
    error_message = "an IRSA workload's ServiceAccount names its role."
  }
  assert {
    condition     = yamldecode(split("---\n", output.workload_manifests["orders"])[1]).data == { AWS_REGION = "us-east-1", REDIS_URL = "rediss://cache:6379", REDIS_USER = "tftest-shop-wl-orders" }
    error_message = "the ConfigMap holds the connection settings."
  }
}
