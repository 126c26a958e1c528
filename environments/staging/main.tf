provider "mosia" {
  region   = var.region
  endpoint = var.endpoint

  default_tags {
    tags = {
      "managed-by"  = "terraform"
      "environment" = "staging"
    }
  }
}

module "environment" {
  source = "../../modules/environment"

  name = var.name
  tier = "staging"
  tags = var.tags

  network     = var.network
  eks         = var.eks
  rds         = var.rds
  elasticache = var.elasticache
  msk         = var.msk
  workloads   = var.workloads
  monitoring  = var.monitoring
  budget      = var.budget
  backup      = var.backup
}
