resource "mosia_state_backend" "state" {
  bucket     = "acme-terraform-state"
  lock_table = "acme-terraform-locks" # optional; omit it to lock with S3 lock files

  noncurrent_version_expiration_days = 30

  tags = {
    "component" = "terraform-state"
  }
}

# A partial backend configuration: save it as backend.hcl, add a `key` per environment,
# then `terraform init -backend-config=backend.hcl`.
output "backend_hcl" {
  value = mosia_state_backend.state.backend_hcl
}
