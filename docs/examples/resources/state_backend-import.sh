# A state backend is imported by its bucket name; the lock table is found through the bucket's tags.
terraform import mosia_state_backend.this acme-terraform-state
