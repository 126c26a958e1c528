# One real apply (and the destroy terraform test ends with) through the real provider: the
# harness (acceptance-tests/tests/module_terraform_test.rs) runs it against the emulator with
# AWS_ENDPOINT_URL; run alone against an account, it creates a small dev environment for a
# few minutes: a one-AZ network and a cache.

provider "mosia" {
  region = "us-east-1"
}

variables {
  name        = "tftest-apply"
  tier        = "dev"
  network     = { az_count = 1, nat_gateway = "none", allowed_cidrs = ["10.99.0.0/24"] }
  elasticache = {}
}

run "a_dev_network_and_cache_come_up_ready" {
  command = apply

  assert {
    condition     = startswith(output.vpc_id, "vpc-") && length(output.private_subnet_ids) == 1
    error_message = "the module's network outputs come from the created VPC."
  }
  assert {
    condition     = alltrue([for part, status in output.part_status : status == "ready"])
    error_message = "every part is ready after the apply."
  }
  assert {
    condition     = output.elasticache_port == 6379 && output.elasticache_transit_encryption
    error_message = "the cache listens on 6379 with TLS."
  }
}
