provider "mosia" {
  region   = var.region
  endpoint = var.endpoint

  default_tags {
    tags = {
      "managed-by" = "terraform"
      "component"  = "terraform-state"
    }
  }
}

resource "mosia_state_backend" "this" {
  bucket                             = var.bucket
  lock_table                         = var.lock_table
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  force_destroy                      = var.force_destroy
  tags                               = var.tags
}
