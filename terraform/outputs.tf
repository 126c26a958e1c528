output "bucket" {
  description = "Name of the state bucket."
  value       = mosia_state_backend.this.bucket
}

output "bucket_arn" {
  description = "ARN of the state bucket."
  value       = mosia_state_backend.this.arn
}

output "lock_table_arn" {
  description = "ARN of the DynamoDB lock table, or null."
  value       = mosia_state_backend.this.lock_table_arn
}

output "backend_config" {
  description = "Settings for `backend \"s3\"` (without `key`, which is per environment)."
  value       = mosia_state_backend.this.backend_config
}

output "backend_hcl" {
  description = "The same settings as a partial backend configuration file: `terraform output -raw backend_hcl > backend.hcl`, then `terraform init -backend-config=backend.hcl -backend-config=\"key=ENV/terraform.tfstate\"`."
  value       = mosia_state_backend.this.backend_hcl
}
